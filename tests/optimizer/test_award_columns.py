"""Capacity awards per step in ``DispatchResult.schedule`` (``<product>_award_kw``)."""

from __future__ import annotations

import pandas as pd
import pytest

from markets.prices import MarketPrices
from markets.products import Direction, Product
from markets.tariff import Tariff
from optimizer.battery import Battery
from optimizer.model import DispatchModel
from optimizer.results import SCHEDULE_COLUMNS
from optimizer.state import TerminalMode, TerminalSoc
from optimizer.streams.capacity import CapacityStream, award_column

TZ = "America/Chicago"
FOM = Tariff(name="front of the meter")


def _up(duration_h: float) -> Product:
    return Product(
        name="reg_up",
        direction=Direction.UP,
        price_column="reg_up_usd_per_kw_h",
        duration_h=duration_h,
        deployed_energy_fraction=0.0,
    )


@pytest.mark.parametrize(("duration_h", "award_kw"), [(1.0, 45.0), (4.0, 11.25), (0.25, 100.0)])
def test_award_column_is_the_hand_computed_award_on_every_re_solve(duration_h, award_kw):
    # 100 kW / 100 kWh held at 50 % (SOC fixed), discharge efficiency 0.9: 0.9 x 50 = 45 kWh
    # can be delivered, so an award sustainable for h hours is min(100 kW, 45 / h) kW:
    # 45 kW for 1 h, 11.25 kW for 4 h, 100 kW (headroom) for 15 min. One step of 1 h at
    # 0.01 $/kW/h earns 0.01 x award. (One step with a fixed SOC keeps the battery idle; over
    # two steps, charging first would widen the up headroom.)
    battery = Battery(power_kw=100, energy_kwh=100, charge_efficiency=0.9, discharge_efficiency=0.9)
    stream = CapacityStream(_up(duration_h))
    model = DispatchModel(battery=battery, tariff=FOM, n_steps=1, freq="1h", streams=[stream])
    for start in ("2024-07-01", "2024-07-02"):  # the column is refreshed by every solve
        index = pd.date_range(start, periods=1, freq="1h", tz=TZ)
        prices = MarketPrices(frame=pd.DataFrame({"reg_up_usd_per_kw_h": 0.01}, index=index))
        result = model.solve(
            load_kw=pd.Series(0.0, index=index),
            terminal=TerminalSoc(mode=TerminalMode.FIXED),
            stream_inputs={"reg_up": prices},
        )
        schedule = result.schedule
        assert list(schedule.columns) == [*SCHEDULE_COLUMNS, award_column("reg_up")]
        assert schedule["reg_up_award_kw"].tolist() == pytest.approx([award_kw], abs=1e-6)
        assert result.value_by_stream_usd["reg_up"] == pytest.approx(-0.01 * award_kw, abs=1e-6)


def test_a_model_without_capacity_streams_keeps_the_core_columns():
    battery = Battery(power_kw=10, energy_kwh=20)
    index = pd.date_range("2024-07-01", periods=3, freq="1h", tz=TZ)
    model = DispatchModel(battery=battery, tariff=FOM, n_steps=3, freq="1h")
    result = model.solve(load_kw=pd.Series(0.0, index=index))
    # the six documented core columns, written out here rather than read from the module
    core = [
        "charge_kw",
        "discharge_kw",
        "soc_kwh",
        "grid_import_kw",
        "grid_export_kw",
        "pv_curtail_kw",
    ]
    assert list(result.schedule.columns) == core
    assert list(SCHEDULE_COLUMNS) == core
