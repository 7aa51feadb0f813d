"""One-shot models built as Pyomo templates equal the element-by-element build, row by row.

A one-shot model (:func:`optimizer.optimize_dispatch`) builds its per-step core rows and
demand covers as Pyomo templates (:func:`optimizer.compile.templated`). The second method
here is the same model built with templating switched off (every rule called per step): both
are compiled to standard form and compared entry by entry, keyed by constraint and variable
names, on a three-day window at 15 min that crosses a billing month, with TOU energy,
tiered flat and TOU demand, PV, no grid charging and self-discharge; and once more with a
capacity stream, whose metered-demand and stored-energy terms make the core rebuild the
covers and keep the SOC rows element by element.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from pyomo.core.base.objective import ObjectiveSense
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import optimizer.core
import optimizer.streams.demand
from markets.prices import MarketPrices
from markets.products import Direction, Product
from markets.tariff import DemandTier, ExportMode, FlatDemandCharges
from optimizer.battery import Battery
from optimizer.inputs import ModelSpec
from optimizer.model import DispatchModel
from optimizer.state import MonthToDate, TerminalSoc
from optimizer.streams.capacity import CapacityStream
from tests.optimizer.helpers import INF, TZ, energy_charges, tariff, tou_demand

N_STEPS = 288


def _case_tariff():
    flat = FlatDemandCharges(
        periods=(
            (
                DemandTier(max_kw=40.0, rate_usd_per_kw=5.0),
                DemandTier(max_kw=INF, rate_usd_per_kw=8.0),
            ),
        ),
        month_periods=(0,) * 12,
    )
    return tariff(
        energy=energy_charges([0.10, 0.30], lambda h: int(16 <= h < 21), sells=[0.03, 0.05]),
        flat=flat,
        tou=tou_demand([0.0, 12.0], lambda h: int(12 <= h < 18)),
        export=ExportMode.SELL_RATE,
    )


def _compiled(streams, prices) -> dict:
    """Rows {(name, sense): ({column: coef}, rhs)}, columns {name: bounds}, objective."""
    index = pd.date_range(pd.Timestamp("2024-03-30", tz=TZ), periods=N_STEPS, freq="15min")
    hours = np.asarray(index.hour + index.minute / 60.0)
    load = pd.Series(60.0 + 30.0 * np.sin(hours / 24 * 2 * np.pi), index=index)
    pv = pd.Series(np.clip(80.0 * np.sin((hours - 6) / 12 * np.pi), 0.0, None), index=index)
    battery = Battery(
        power_kw=50.0,
        energy_kwh=120.0,
        grid_charging=False,
        self_discharge_fraction_per_h=0.001,
        soc_min_fraction=0.1,
    )
    spec = ModelSpec.create(
        battery=battery,
        tariff=_case_tariff(),
        n_steps=N_STEPS,
        freq="15min",
        relax_binaries=False,
        mip_rel_gap=1e-4,
        streams=streams,
        time_limit_s=None,
        relaxation_first=True,
    )
    window = spec.window(
        load,
        pv,
        0.4,
        TerminalSoc(),
        MonthToDate(flat_peak_kw=55.0, tou_peak_kw=(0.0, 45.0)),
        {s.name: prices(index) for s in streams},
    )
    model = DispatchModel._from_spec(spec, calendar=window)._model
    info = LinearStandardFormCompiler().write(
        model, mixed_form=True, set_sense=ObjectiveSense.minimize
    )
    names = [v.name for v in info.columns]
    a = info.A.tocsr()
    rows = {}
    for i, row in enumerate(info.rows):
        entries = a.indices[a.indptr[i] : a.indptr[i + 1]]
        coefs = dict(
            zip([names[j] for j in entries], a.data[a.indptr[i] : a.indptr[i + 1]], strict=True)
        )
        rows[(row.constraint.name, row.bound_type)] = (coefs, float(info.rhs[i]))
    cost = np.asarray(info.c.todense()).ravel()
    return {
        "rows": rows,
        "columns": {v.name: v.bounds for v in info.columns},
        "objective": {n: c for n, c in zip(names, cost, strict=True) if c},
        "templates": sum(
            type(con).__name__.startswith("Template")
            for con in model.component_data_objects(ctype=optimizer.core.pyo.Constraint)
        ),
    }


def _reg_down(index: pd.DatetimeIndex) -> MarketPrices:
    return MarketPrices(
        frame=pd.DataFrame(
            {"reg_down_usd_per_kw_h": np.full(len(index), 0.02), "energy_da_usd_per_kwh": 0.04},
            index=index,
        )
    )


REG_DOWN = Product(
    name="reg_down",
    direction=Direction.DOWN,
    price_column="reg_down_usd_per_kw_h",
    duration_h=1.0,
    deployed_energy_fraction=0.2,
    deployed_energy_price_column="energy_da_usd_per_kwh",
)


@pytest.mark.parametrize("with_capacity", [False, True])
def test_templated_one_shot_model_equals_the_element_build(with_capacity, monkeypatch):
    streams = [CapacityStream(REG_DOWN)] if with_capacity else []
    fast = _compiled(streams, _reg_down)
    off = lambda enabled=True: contextlib.nullcontext()  # noqa: E731
    monkeypatch.setattr(optimizer.core, "templated", off)
    monkeypatch.setattr(optimizer.streams.demand, "templated", off)
    slow = _compiled(streams, _reg_down)
    assert slow["templates"] == 0
    # the fast build really used templates: the charge/discharge and PV-charging rows, and
    # without capacity terms also the balance, SOC and the two cover families
    assert fast["templates"] >= (3 if with_capacity else 7) * (N_STEPS - 1)
    assert fast["rows"].keys() == slow["rows"].keys()
    for key, (coefs, rhs) in slow["rows"].items():
        assert fast["rows"][key] == (coefs, rhs), key
    assert fast["columns"] == slow["columns"]
    assert fast["objective"] == slow["objective"]
