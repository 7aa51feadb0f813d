"""Plan helpers: the steps at the lowest import rate ahead; month-to-date floors."""

from __future__ import annotations

import numpy as np

from control.plan import cheapest_ahead, floored
from markets.peak_charges import PeakCharges
from markets.tariff import DemandTier, TouDemandCharges
from optimizer import MonthToDate


def test_cheapest_ahead_by_hand():
    # windows of 3 steps: [.2 .1 .1] -> .2 is not the lowest; [.1 .1 .3] -> ties count;
    # [.1 .3 .05] -> a cheaper step comes; [.3 .05] and [.05] at the end of the plan
    rate = np.array([0.2, 0.1, 0.1, 0.3, 0.05])
    assert cheapest_ahead(rate, 3).tolist() == [False, True, False, False, True]


def test_a_flat_rate_is_cheapest_everywhere():
    assert cheapest_ahead(np.full(5, 0.12), 96).all()


class _Other(PeakCharges):
    """A second peak charge, one period (a stand-in: only its name and periods are read)."""

    name = "other"
    field = "other_demand"
    urdb_fields = frozenset()
    urdb_structure = ""

    @classmethod
    def from_urdb(cls, rec):
        return None

    def period_of(self, tariff, index):
        return np.zeros(len(index), dtype=np.int64)


_TIER = (DemandTier(max_kw=float("inf"), rate_usd_per_kw=1.0),)
_FREE = tuple(tuple(0 for _ in range(24)) for _ in range(12))


def test_floored_raises_the_flat_and_every_peak_charges_peaks_to_the_holdable_levels():
    tou = TouDemandCharges(periods=(_TIER, _TIER), weekday_schedule=_FREE, weekend_schedule=_FREE)
    other = _Other(periods=(_TIER,))
    mtd = MonthToDate(flat_peak_kw=50.0, tou_peak_kw=(10.0, 40.0))  # nothing yet in "other"
    holdable = {("flat", 0): 60.0, ("tou", 0): 20.0, ("tou", 1): 30.0, ("other", 0): 7.0}
    out = floored(mtd, holdable, (tou, other))
    assert out.flat_peak_kw == 60.0  # raised
    assert out.tou_peak_kw == (20.0, 40.0)  # period 0 raised, period 1 paid more already
    assert out.peak_kw("other") == (7.0,)  # from zero
    # a charge the history has no level for keeps its peaks; one with no peaks gets zeros
    assert floored(MonthToDate(demand_peaks_kw={"other": (3.0,)}), {}, (other,)).peak_kw(
        "other"
    ) == (3.0,)
    assert floored(MonthToDate(), {}, (tou,)).tou_peak_kw == (0.0, 0.0)
