"""The incremental month-to-date meter against the bill engine, by hand, and on bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from markets.bill import MonthToDateUsage, month_to_date
from markets.meter import MonthToDateMeter, ratchet_reference_kw
from markets.tariff import DemandRatchet, Tariff
from tests.conftest import shared_data_dir
from tests.markets.tariff_builders import energy, flat_demand, schedule, series, tou_demand

HALF_DAY = schedule([0] * 12 + [1] * 12)
URDB = shared_data_dir() / "reopt" / "urdb"
MORE = shared_data_dir() / "urdb_more"


def _half_day_tariff(**extra) -> Tariff:
    return Tariff(
        name="half day",
        energy=energy([0.1, 0.3], HALF_DAY),
        tou_demand=tou_demand([1.0, 5.0], HALF_DAY),
        flat_demand=flat_demand(2.0),
        **extra,
    )


TARIFFS = {
    "half_day": _half_day_tariff(),
    "demand_only": Tariff(name="demand only", flat_demand=flat_demand(3.0)),
    "pge_e19": Tariff.from_urdb(URDB / "pge_e19_secondary_5cef0a415457a33576f60fe2.json"),
    "pge_e19_holidays": Tariff.from_urdb(
        URDB / "pge_e19_secondary_5cef0a415457a33576f60fe2.json", holiday_country="US"
    ),
    "entergy_15min_window": Tariff.from_urdb(
        URDB / "entergy_ar_lps_tou_5a592c995457a3371c423a7d.json"
    ),
    "custom_4period_tou": Tariff.from_urdb(
        URDB / "custom_rate_2tier_energy_4period_tou_demand.json"
    ),
    "sdge_al_tou": Tariff.from_urdb(MORE / "SDGE_AL-TOU_Secondary_above500kW.json"),
}
RATCHETS = {
    "none": None,
    "range_11": DemandRatchet(lookback_fraction=0.75, lookback_range_months=11),
    "range_1": DemandRatchet(lookback_fraction=0.5, lookback_range_months=1),
    "flagged_odd_months": DemandRatchet(
        lookback_fraction=0.8, lookback_months=tuple(m % 2 == 1 for m in range(1, 13))
    ),
}
# starts a few weeks before a DST change, so 1-3 months cross it and at least one month boundary
STARTS = [
    ("2024-02-12", "America/Los_Angeles"),
    ("2024-02-27", "America/New_York"),
    ("2023-10-08", "America/Los_Angeles"),
    ("2023-10-30", "America/Chicago"),
]


def _index(start: str, tz: str, hours_offset: int, n: int, step: str) -> pd.DatetimeIndex:
    # built in UTC from a local midnight and converted, so the start is never in a DST gap
    first = pd.Timestamp(start, tz=tz) + pd.Timedelta(hours=hours_offset)
    return pd.date_range(first.tz_convert("UTC"), periods=n, freq=step).tz_convert(tz)


def _assert_usage_equal(actual: MonthToDateUsage, expected: MonthToDateUsage) -> None:
    assert actual.month == expected.month
    assert actual.flat_peak_kw == pytest.approx(expected.flat_peak_kw, rel=1e-9, abs=1e-9)
    assert actual.ratchet_peak_kw == pytest.approx(expected.ratchet_peak_kw, rel=1e-9, abs=1e-9)
    for name in ("tou_peak_kw", "import_kwh_by_period", "export_kwh_by_period"):
        got, want = getattr(actual, name), getattr(expected, name)
        assert len(got) == len(want), name
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=name)


def _checkpoints(index: pd.DatetimeIndex, rng: np.random.Generator) -> list[int]:
    """Numbers of intervals recorded at which to compare: month starts, DST days, random."""
    month = index.year * 12 + index.month
    starts = np.flatnonzero(np.diff(month)) + 1
    offsets = index.tz_localize(None).as_unit("ns").asi8 - index.as_unit("ns").asi8
    dst = np.flatnonzero(offsets[1:] != offsets[:-1]) + 1
    points = {1, len(index)}
    for s in starts:
        points |= {int(s), int(s) + 1, int(s) + 7}  # last of a month, first and 7th of the next
    for d in dst:
        points |= {int(d) - 1, int(d), int(d) + 3}
    points |= {int(k) for k in rng.integers(1, len(index), 6)}
    return sorted(k for k in points if 1 <= k <= len(index))


def _window_ns(tariff: Tariff, step: str) -> int | None:
    window = tariff.demand_window_minutes
    step_ns = pd.Timedelta(step).value
    if window is None or window * 60 * 10**9 <= step_ns:
        return None
    return round(window * 60 * 10**9)


@settings(max_examples=25)
@given(
    name=st.sampled_from(sorted(TARIFFS)),
    ratchet=st.sampled_from(sorted(RATCHETS)),
    window=st.sampled_from([0, 30, 60]),
    step=st.sampled_from(["15min", "1h"]),
    where=st.sampled_from(STARTS),
    hours_offset=st.integers(0, 23),
    days=st.integers(30, 75),
    seed=st.integers(0, 2**32 - 1),
)
def test_meter_equals_month_to_date_of_the_series_so_far(
    name, ratchet, window, step, where, hours_offset, days, seed
):
    tariff = TARIFFS[name]
    if window:
        tariff = dataclasses.replace(tariff, demand_window_minutes=float(window))
    tariff = dataclasses.replace(tariff, ratchet=RATCHETS[ratchet])
    n = days * 24 * pd.Timedelta("1h") // pd.Timedelta(step)
    index = _index(*where, hours_offset, n, step)
    rng = np.random.default_rng(seed)
    values = rng.normal(80.0, 60.0, n) + (rng.uniform(size=n) < 0.01) * rng.uniform(0, 400, n)
    load = pd.Series(values, index=index)
    window_ns = _window_ns(tariff, step)
    ns = index.as_unit("ns").asi8
    step_ns = pd.Timedelta(step).value

    stamps = list(index)
    meter = MonthToDateMeter(tariff, step=step)
    recorded = 0
    for k in _checkpoints(index, rng):
        for i in range(recorded, k):
            meter.record(stamps[i], values[i])
        recorded = k
        so_far = month_to_date(tariff, load.iloc[:k])
        # month_to_date also counts a block cut by the end of the data; the meter counts a
        # block once complete, so its peaks are those of the series cut at the last boundary
        complete = k
        last_block = None if window_ns is None else ns[k - 1] // window_ns
        if last_block is not None and (ns[k - 1] + step_ns) // window_ns == last_block:
            while complete > 0 and ns[complete - 1] // window_ns == last_block:
                complete -= 1
        if complete == k:
            expected = so_far
        else:
            cut = month_to_date(tariff, load.iloc[:complete]) if complete else None
            same_month = cut is not None and cut.month == so_far.month
            expected = dataclasses.replace(
                so_far,
                flat_peak_kw=cut.flat_peak_kw if same_month else 0.0,
                tou_peak_kw=cut.tou_peak_kw if same_month else (0.0,) * len(so_far.tou_peak_kw),
            )
            assert meter.open_block_kw == pytest.approx(values[complete:k].mean(), rel=1e-9)
        _assert_usage_equal(meter.usage(stamps[k - 1]), expected)
        if k < n and stamps[k].month != stamps[k - 1].month:
            # the first interval of a new month, not yet recorded: an all-zero month with the
            # ratchet look-back of the months before (that of the series one interval longer)
            ahead = month_to_date(tariff, load.iloc[: k + 1])
            zero = (0.0,) * len(ahead.import_kwh_by_period)
            _assert_usage_equal(
                meter.usage(),
                dataclasses.replace(
                    ahead,
                    flat_peak_kw=0.0,
                    tou_peak_kw=(0.0,) * len(ahead.tou_peak_kw),
                    import_kwh_by_period=zero,
                    export_kwh_by_period=zero,
                ),
            )


@settings(max_examples=15)
@given(
    name=st.sampled_from(["half_day", "pge_e19_holidays", "entergy_15min_window"]),
    window=st.sampled_from([0, 60]),
    where=st.sampled_from(STARTS),
    cuts=st.lists(st.integers(1, 24 * 4 * 40 - 1), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_record_many_in_chunks_equals_record_in_a_loop(name, window, where, cuts, seed):
    tariff = TARIFFS[name]
    if window:
        tariff = dataclasses.replace(tariff, demand_window_minutes=float(window))
    n = 24 * 4 * 40
    index = _index(*where, 5, n, "15min")
    values = np.random.default_rng(seed).normal(50.0, 70.0, n)
    looped = MonthToDateMeter(tariff, step="15min")
    for stamp, kw in zip(index, values, strict=True):
        looped.record(stamp, kw)
    chunked = MonthToDateMeter(tariff, step=pd.Timedelta("15min"))
    bounds = [0, *sorted(set(cuts)), n]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        chunked.record_many(index[a:b], values[a:b])
    assert chunked.next_start == looped.next_start == index[-1] + pd.Timedelta("15min")
    if looped.open_block_kw is None:
        assert chunked.open_block_kw is None
    else:
        assert chunked.open_block_kw == pytest.approx(looped.open_block_kw, rel=1e-12)
    _assert_usage_equal(chunked.usage(index[-1]), looped.usage(index[-1]))
    _assert_usage_equal(chunked.usage(), looped.usage())


def test_hand_computed_half_hour_blocks():
    # Wed 2024-01-03 from 11:00 local, 15-min steps, 30-min demand window (clock-aligned):
    #   11:00 10, 11:15 30 -> block 20 kW (period 0, hours 0-11)
    #   11:30 50, 11:45 10 -> block 30 kW (period 0): the 50 kW interval is not the peak
    #   12:00 40, 12:15 -8 -> block 16 kW (period 1, hours 12-23)
    # energy [kWh] = kW * 0.25 h: period 0 imports (10+30+50+10)/4 = 25; period 1 imports
    # 40/4 = 10 and exports 8/4 = 2.
    tariff = _half_day_tariff(demand_window_minutes=30.0)
    load = series("2024-01-03 11:00", [10.0, 30.0, 50.0, 10.0, 40.0, -8.0], freq="15min")
    meter = MonthToDateMeter(tariff, step="15min")
    for stamp, kw in list(load.items())[:5]:
        meter.record(stamp, kw)
    after_five = meter.usage()
    assert meter.open_block_kw == 40.0  # 12:00 alone, the block is still open
    assert after_five.flat_peak_kw == 30.0
    assert after_five.tou_peak_kw == (30.0, 0.0)
    assert after_five.import_kwh_by_period == (25.0, 10.0)
    meter.record(load.index[5], load.iloc[5])
    usage = meter.usage()
    assert meter.open_block_kw is None
    assert usage.month == pd.Period("2024-01", freq="M")
    assert usage.flat_peak_kw == 30.0
    assert usage.tou_peak_kw == (30.0, 16.0)
    assert usage.import_kwh_by_period == (25.0, 10.0)
    assert usage.export_kwh_by_period == (0.0, 2.0)
    assert usage.ratchet_peak_kw == 0.0


def test_new_month_is_zero_with_the_ratchet_look_back():
    # January 30-31 hourly at 10 kW with one 90 kW hour; a ratchet over 11 months at 50 %.
    tariff = _half_day_tariff(
        ratchet=DemandRatchet(lookback_fraction=0.5, lookback_range_months=11)
    )
    load = series("2024-01-30", [90.0] + [10.0] * 47)
    meter = MonthToDateMeter(tariff, step="1h", ratchet_history_kw=120.0)
    meter.record_many(load.index, load.to_numpy())
    february = meter.usage()
    assert february.month == pd.Period("2024-02", freq="M")
    assert february.flat_peak_kw == 0.0
    assert february.import_kwh_by_period == (0.0, 0.0)
    assert february.ratchet_peak_kw == 120.0  # the history before the data is higher
    january = meter.usage(pd.Timestamp("2024-01-15", tz="America/New_York"))
    assert january.flat_peak_kw == 90.0
    assert january.ratchet_peak_kw == 120.0
    assert sum(january.import_kwh_by_period) == pytest.approx(90.0 + 47 * 10.0)
    without_history = MonthToDateMeter(tariff, step="1h")
    without_history.record_many(load.index, load.to_numpy())
    assert without_history.usage().ratchet_peak_kw == 90.0
    with pytest.raises(InputError) as err:
        meter.usage(pd.Timestamp("2024-03-01", tz="America/New_York"))
    assert err.value.field == "at"


@pytest.mark.parametrize("many", [False, True])
def test_a_block_across_midnight_belongs_to_the_month_it_starts_in(many):
    # A 90-min window on the UTC epoch: in New York (UTC-5) blocks start at 22:00 and 23:30,
    # so the block 23:30-01:00 spans the month change. 15-min steps from 2024-01-31 22:00:
    #   22:00-23:15  10 kW x 6            -> 10 kW (January)
    #   23:30, 23:45 100 kW; 00:00-00:45 40 kW -> (200 + 160) / 6 = 60 kW, January's block
    #   01:00-02:15  20 kW x 6            -> 20 kW (February)
    # With a one-month ratchet look-back, February's reference is January's 60 kW.
    tariff = _half_day_tariff(
        demand_window_minutes=90.0,
        ratchet=DemandRatchet(lookback_fraction=0.5, lookback_range_months=1),
    )
    load = series(
        "2024-01-31 22:00", [10.0] * 6 + [100.0] * 2 + [40.0] * 4 + [20.0] * 6, freq="15min"
    )
    meter = MonthToDateMeter(tariff, step="15min")
    meter.record_many(load.index[:10], load.to_numpy()[:10])  # through 00:15
    assert meter.open_block_kw == pytest.approx(70.0)  # (200 + 80) / 4
    usage = meter.usage()
    assert (usage.month, usage.flat_peak_kw, usage.ratchet_peak_kw) == (
        pd.Period("2024-02", freq="M"),
        0.0,
        10.0,
    )
    if many:  # through 00:45: the block completes
        meter.record_many(load.index[10:12], load.to_numpy()[10:12])
    else:
        for stamp, kw in list(load.items())[10:12]:
            meter.record(stamp, kw)
    assert meter.open_block_kw is None
    assert meter.usage().ratchet_peak_kw == pytest.approx(60.0)
    assert meter.usage().flat_peak_kw == 0.0
    for stamp, kw in list(load.items())[12:]:
        meter.record(stamp, kw)
    _assert_usage_equal(meter.usage(load.index[-1]), month_to_date(tariff, load))
    assert meter.usage().flat_peak_kw == 20.0
    assert meter.usage().ratchet_peak_kw == pytest.approx(60.0)


def test_usage_before_anything_is_recorded():
    meter = MonthToDateMeter(_half_day_tariff(), step="1h")
    assert meter.next_start is None
    usage = meter.usage(pd.Timestamp("2024-05-10 08:00", tz="America/New_York"))
    assert usage.month == pd.Period("2024-05", freq="M")
    assert usage.flat_peak_kw == 0.0 and usage.tou_peak_kw == (0.0, 0.0)
    with pytest.raises(InputError) as err:
        meter.usage()
    assert err.value.field == "at"


@pytest.mark.parametrize(
    ("ratchet", "expected_kw"),
    [
        # March 2024: the 2 months before are February (40) and January (70)
        (DemandRatchet(lookback_fraction=0.5, lookback_range_months=2), 70.0),
        # flagged June-September among the 11 months before March 2024: 2023-06..09 -> 95;
        # 2023-03 (120, flagged? no) and 2023-04 (130, 12 months back) never count
        (
            DemandRatchet(
                lookback_fraction=0.5,
                lookback_months=tuple(6 <= m <= 9 for m in range(1, 13)),
            ),
            95.0,
        ),
        (None, 0.0),
    ],
)
def test_ratchet_reference_look_back(ratchet, expected_kw):
    peaks = {
        (2023, 3): 120.0,
        (2023, 4): 130.0,
        (2023, 6): 80.0,
        (2023, 8): 95.0,
        (2023, 10): 300.0,
        (2024, 1): 70.0,
        (2024, 2): 40.0,
        (2024, 3): 500.0,  # the month itself never counts
    }
    reference = ratchet_reference_kw(ratchet, (2024, 3), peaks.items())
    assert reference == expected_kw


# -- bad input --------------------------------------------------------------------------------
def _meter_with_two_hours() -> tuple[MonthToDateMeter, pd.DatetimeIndex]:
    index = pd.date_range("2024-01-03", periods=4, freq="1h", tz="America/New_York")
    meter = MonthToDateMeter(_half_day_tariff(), step="1h")
    meter.record(index[0], 5.0)
    meter.record(index[1], 6.0)
    return meter, index


@pytest.mark.parametrize(
    ("where", "message"),
    [(3, "2024-01-03 02:00:00-05:00"), (0, "2024-01-03 02:00:00-05:00"), (1, "contiguous")],
)
def test_gap_or_out_of_order_names_start_value_and_expected(where, message):
    meter, index = _meter_with_two_hours()
    with pytest.raises(InputError) as err:
        meter.record(index[where], 1.0)
    assert err.value.field == "start"
    assert err.value.value == index[where]
    assert message in err.value.expected
    meter.record(index[2], 1.0)  # the meter is unharmed and takes the right interval
    assert meter.next_start == index[3]


def test_naive_timestamps_are_rejected():
    meter, _ = _meter_with_two_hours()
    with pytest.raises(InputError) as err:
        meter.record(pd.Timestamp("2024-01-03 02:00"), 1.0)
    assert err.value.field == "start"
    with pytest.raises(InputError) as err:
        meter.usage(pd.Timestamp("2024-01-03 02:00"))
    assert err.value.field == "at"
    with pytest.raises(InputError) as err:
        meter.record_many(pd.date_range("2024-01-03 02:00", periods=2, freq="1h"), [1.0, 2.0])
    assert err.value.field == "index"


def test_record_many_rejects_a_gap_a_wrong_step_and_bad_values():
    meter, index = _meter_with_two_hours()
    later = pd.date_range("2024-01-03 03:00", periods=2, freq="1h", tz="America/New_York")
    quarter = pd.date_range("2024-01-03 02:00", periods=2, freq="15min", tz="America/New_York")
    cases = [
        (later, [1.0, 2.0], "index"),
        (quarter, [1.0, 2.0], "index"),
        (index[2:], [1.0], "grid_kw"),
        (index[2:], [1.0, float("nan")], "grid_kw[1]"),
    ]
    for idx, values, field in cases:
        with pytest.raises(InputError) as err:
            meter.record_many(idx, values)
        assert err.value.field == field
    with pytest.raises(InputError) as err:
        meter.record(index[2], float("inf"))
    assert err.value.field == "grid_kw"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"step": "7min"}, "step"),  # does not divide the 30-min window
        ({"step": "0min"}, "step"),
        ({"step": "soon"}, "step"),
        ({"step": "15min", "ratchet_history_kw": -1.0}, "ratchet_history_kw"),
    ],
)
def test_constructor_validates(kwargs, field):
    with pytest.raises(InputError) as err:
        MonthToDateMeter(_half_day_tariff(demand_window_minutes=30.0), **kwargs)
    assert err.value.field == field


def test_constructor_wants_a_tariff():
    with pytest.raises(InputError) as err:
        MonthToDateMeter({"name": "x"}, step="1h")
    assert err.value.field == "tariff"
