"""Month-to-date peaks of peak charges other than TOU demand, carried by name."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import InputError
from markets.month_to_date import MonthToDateUsage
from optimizer import MonthToDate


def test_peaks_by_name_with_tou_in_its_own_field():
    mtd = MonthToDate(tou_peak_kw=(5.0, 6.0), demand_peaks_kw={"other": (7.0,)})
    assert mtd.peak_kw("tou") == (5.0, 6.0)
    assert mtd.peak_kw("other") == (7.0,)
    assert mtd.peak_kw("absent") == ()


def test_a_negative_peak_is_named():
    with pytest.raises(InputError, match=r"MonthToDate.demand_peaks_kw\['other'\]\[1\]"):
        MonthToDate(demand_peaks_kw={"other": (1.0, -2.0)})


def test_from_usage_carries_every_peak_charge_and_clips_export_months():
    usage = MonthToDateUsage.with_peaks(
        {"tou": (-1.0, 2.0), "other": (-3.0, 4.0)},
        month=pd.Period("2024-07", freq="M"),
        flat_peak_kw=4.0,
        ratchet_peak_kw=0.0,
        import_kwh_by_period=(0.0,),
        export_kwh_by_period=(0.0,),
    )
    mtd = MonthToDate.from_usage(usage)
    assert mtd.tou_peak_kw == (0.0, 2.0)
    assert mtd.peak_kw("other") == (0.0, 4.0)


def test_replace_peaks_puts_each_charge_in_its_field_and_keeps_the_rest():
    mtd = MonthToDate(
        flat_peak_kw=9.0, tou_peak_kw=(5.0, 6.0), demand_peaks_kw={"other": (7.0,), "kept": (1.0,)}
    )
    new = mtd.replace_peaks({"tou": (8.0, 6.0), "other": (7.5,)})
    assert new.tou_peak_kw == (8.0, 6.0)
    assert new.peak_kw("other") == (7.5,)
    assert new.peak_kw("kept") == (1.0,)
    assert new.flat_peak_kw == 9.0
    assert mtd.tou_peak_kw == (5.0, 6.0)  # a copy: the original is unchanged
    assert mtd.replace_peaks({"other": (2.0,)}).tou_peak_kw == (5.0, 6.0)
