"""An incremental month-to-date meter: the billing month's peaks and energy, interval by interval.

:class:`MonthToDateMeter` is fed the metered net import of each interval in order
(:meth:`~MonthToDateMeter.record`, or :meth:`~MonthToDateMeter.record_many` for an array) and
can be asked at any time for the state of the billing month (:meth:`~MonthToDateMeter.usage`),
in O(1) amortized work per interval. It measures what :func:`markets.bill.month_to_date`
measures by re-reading the whole series, with the same rules (see :mod:`markets.bill`):

- a billing month is a local calendar month; an interval belongs to the month and the TOU
  period of its start, read on the clock of the zone of the first interval recorded;
- energy [kWh] is ``max(grid_kw, 0) * dt_h`` imported and ``max(-grid_kw, 0) * dt_h``
  exported, per energy period;
- demand [kW] is the interval value, or with a tariff demand window longer than the step the
  average of each clock-aligned block (aligned to the UTC epoch); a block takes the month and
  TOU period of its first interval and counts once it is *complete*. The running average of
  the open block is :attr:`MonthToDateMeter.open_block_kw`. So ``usage()`` equals
  ``month_to_date`` of the recorded series whenever the last block is complete (always, for
  a meter without a window); mid-block, ``month_to_date`` also counts the partial block;
- the ratchet's look-back peak is :func:`ratchet_reference_kw` over the flat peaks of the
  months recorded before (and an optional ``ratchet_history_kw``), the one rule the bill
  engine also uses.

:class:`MonthToDateUsage`, the one month-to-date type, and :func:`ratchet_reference_kw` live
in :mod:`markets.month_to_date` (re-exported here and by :mod:`markets.bill`). Never imports
Pyomo.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.errors import InputError
from core.timegrid import validate_index
from core.validation import require_nonnegative
from markets.interval_calendar import IntervalCalendar, month_key
from markets.month_to_date import MonthToDateUsage, ratchet_reference_kw
from markets.tariff_terms import PEAK_CHARGES, TariffTerms

if TYPE_CHECKING:  # markets.tariff imports markets.bill, which imports this module
    from markets.tariff import Tariff

__all__ = ["MonthToDateMeter", "MonthToDateUsage", "ratchet_reference_kw"]

logger = logging.getLogger(__name__)

_NS_PER_H = 3_600 * 10**9
_UTC_NAMES = ("UTC", "UTC+00:00", "Etc/UTC", "GMT")


def _year_month(key: int) -> tuple[int, int]:
    return key // 12, key % 12 + 1


def _parse_step(step: object) -> int:
    try:
        step_td = pd.Timedelta(step)
    except (TypeError, ValueError) as exc:
        raise InputError("step", step, "a time step such as '15min' or pd.Timedelta") from exc
    if pd.isna(step_td) or step_td.value <= 0:
        raise InputError("step", step, "a positive time step")
    return int(step_td.value)


def _timestamp(name: str, value: object) -> pd.Timestamp:
    if not isinstance(value, pd.Timestamp):
        if not isinstance(value, dt.datetime):
            raise InputError(name, value, "a tz-aware pandas.Timestamp in the site's zone")
        value = pd.Timestamp(value)
    if value.tzinfo is None:
        raise InputError(name, value, "a tz-aware timestamp (localize it to the site's zone)")
    return value


class MonthToDateMeter:
    """Month-to-date peaks and energy kept incrementally, interval by interval.

    Parameters
    ----------
    tariff : Tariff
        The tariff: its energy periods, peak charges, demand window and ratchet.
    step : pandas.Timedelta or str
        The fixed interval length (e.g. ``"15min"``); must divide the tariff's demand window
        when that window is longer than the step.
    ratchet_history_kw : float, default 0.0
        Highest flat peak among look-back months before the first recorded interval [kW].

    Raises
    ------
    InputError
        On a tariff that is not a :class:`~markets.tariff.Tariff`, a non-positive step, a step
        that does not divide the demand window, or a negative history.
    """

    def __init__(
        self, tariff: Tariff, *, step: pd.Timedelta | str, ratchet_history_kw: float = 0.0
    ) -> None:
        if not isinstance(tariff, TariffTerms):
            raise InputError("tariff", type(tariff).__name__, "a markets.Tariff")
        self._step_ns = _parse_step(step)
        require_nonnegative("ratchet_history_kw", ratchet_history_kw)
        self._tariff = tariff
        self._history_kw = float(ratchet_history_kw)
        self._dt_h = self._step_ns / _NS_PER_H
        self._window_ns = self._window(tariff, self._step_ns)
        self._n_energy = 1 if tariff.energy is None else len(tariff.energy.periods)
        parts = tariff.peak_charges()
        self._peak_names = [part.name for part in parts]
        self._n_peak_periods = [part.n_periods for part in parts]
        self._keep_months = 11
        if tariff.ratchet is not None:
            self._keep_months = max(11, tariff.ratchet.lookback_range_months)
        self._tz: dt.tzinfo | None = None
        self._next_ns: int | None = None
        # the billing month being recorded (a month key year * 12 + month - 1)
        self._month: int | None = None
        self._import_kwh = [0.0] * self._n_energy
        self._export_kwh = [0.0] * self._n_energy
        self._flat_peak_kw = 0.0
        self._peaks_kw = self._zero_peaks()
        self._closed: dict[int, float] = {}  # flat peak of each earlier month, by month key
        # the open demand block: id (ns // window), sum, count, month key, peak-charge periods
        self._block: list | None = None
        self._calendar: IntervalCalendar | None = None  # set with the zone

    @staticmethod
    def _window(tariff: Tariff, step_ns: int) -> int | None:
        window = tariff.demand_window_minutes
        window_ns = None if window is None else round(window * 60 * 10**9)
        if window_ns is None or window_ns <= step_ns:
            return None
        if window_ns % step_ns:
            raise InputError(
                "step",
                pd.Timedelta(step_ns),
                f"a step that divides the tariff's demand window of {window:g} min",
            )
        return window_ns

    # -- properties ---------------------------------------------------------------------------
    @property
    def step(self) -> pd.Timedelta:
        """The interval length."""
        return pd.Timedelta(self._step_ns)

    @property
    def next_start(self) -> pd.Timestamp | None:
        """Start of the next interval to record; None before the first."""
        if self._next_ns is None:
            return None
        return pd.Timestamp(self._next_ns, tz=self._tz)

    @property
    def open_block_kw(self) -> float | None:
        """Running average of the open (incomplete) demand block [kW]; None if none is open."""
        if self._block is None:
            return None
        return self._block[1] / self._block[2]

    # -- recording ----------------------------------------------------------------------------
    def _expected(self) -> str:
        return (
            f"the next interval {self.next_start} (intervals in order, contiguous at the "
            f"meter's step of {self.step})"
        )

    def record(self, start: pd.Timestamp, grid_kw: float) -> None:
        """Record the metered net import of one interval.

        Parameters
        ----------
        start : pandas.Timestamp
            Start of the interval, tz-aware (the site's zone); the first call fixes the zone
            whose clock sets billing months and periods; each later call must be the next
            interval.
        grid_kw : float
            Net import over the interval [kW], import positive, export negative.

        Raises
        ------
        InputError
            On a naive timestamp, a gap or an out-of-order time, or a non-finite value.
        """
        start = _timestamp("start", start)
        ns = start.value
        if self._next_ns is not None and ns != self._next_ns:
            raise InputError("start", start, self._expected())
        kw = float(grid_kw)
        if not math.isfinite(kw):
            raise InputError("grid_kw", grid_kw, "a finite net import [kW]")
        if self._tz is None:
            self._set_zone(start.tz)
        calendar = self._calendar
        i = calendar.position(ns)
        month = calendar.month[i]
        if month != self._month:
            self._open_month(month)
        if kw > 0:
            self._import_kwh[calendar.energy[i]] += kw * self._dt_h
        elif kw < 0:
            self._export_kwh[calendar.energy[i]] += -kw * self._dt_h
        self._next_ns = ns + self._step_ns
        periods = calendar.demand[i]
        if self._window_ns is None:
            self._add_demand(kw, month, periods)
            return
        block_id = ns // self._window_ns
        if self._block is None:
            self._block = [block_id, 0.0, 0, month, periods]
        block = self._block
        block[1] += kw
        block[2] += 1
        if self._next_ns // self._window_ns != block_id:
            self._add_demand(block[1] / block[2], block[3], block[4])
            self._block = None

    def record_many(self, index: pd.DatetimeIndex, grid_kw: np.ndarray) -> None:
        """Record consecutive intervals at once (the same result as :meth:`record` in a loop).

        Parameters
        ----------
        index : pandas.DatetimeIndex
            Interval starts, tz-aware, at the meter's step, the first being the next interval.
        grid_kw : array-like of float
            Net import of each interval [kW], import positive.

        Raises
        ------
        InputError
            On a naive, gapped or unsorted index, a step other than the meter's, a first label
            that is not the next interval, a length mismatch or non-finite values.
        """
        validate_index(index, name="index")
        x = np.asarray(grid_kw, dtype=float)
        if x.shape != (len(index),):
            raise InputError("grid_kw", f"shape {x.shape}", f"one value per label ({len(index)})")
        if not np.isfinite(x).all():
            bad = int(np.argmin(np.isfinite(x)))
            raise InputError(f"grid_kw[{bad}]", x[bad], "a finite net import [kW]")
        ns = index.as_unit("ns").asi8
        if len(ns) >= 2 and int(ns[1] - ns[0]) != self._step_ns:
            raise InputError("index", f"step of {index[1] - index[0]}", f"the step {self.step}")
        if self._next_ns is not None and int(ns[0]) != self._next_ns:
            raise InputError("index", index[0], self._expected())
        if self._tz is None:
            self._set_zone(index.tz)
        key, energy, periods = self._calendar.arrays(ns, index)
        n = len(x)
        imp = np.maximum(x, 0.0) * self._dt_h
        exp = np.maximum(-x, 0.0) * self._dt_h
        cuts = np.flatnonzero(key[1:] != key[:-1]) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, n], strict=True):
            if int(key[a]) != self._month:
                self._open_month(int(key[a]))
            e = energy[a:b]
            add_imp = np.bincount(e, weights=imp[a:b], minlength=self._n_energy)
            add_exp = np.bincount(e, weights=exp[a:b], minlength=self._n_energy)
            self._import_kwh = [
                s + float(v) for s, v in zip(self._import_kwh, add_imp, strict=True)
            ]
            self._export_kwh = [
                s + float(v) for s, v in zip(self._export_kwh, add_exp, strict=True)
            ]
        self._next_ns = int(ns[-1]) + self._step_ns
        demand, month, period = self._blocks_of(x, ns, key, periods)
        self._add_demands(demand, month, period)

    def _blocks_of(
        self, x: np.ndarray, ns: np.ndarray, key: np.ndarray, periods: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Completed demand values with their month keys and peak-charge periods (charges x
        blocks); keeps the open block."""
        if self._window_ns is None:
            return x, key, periods
        ids = ns // self._window_ns
        new = np.empty(len(x), dtype=bool)
        new[0] = True
        new[1:] = ids[1:] != ids[:-1]
        first = np.flatnonzero(new)
        sums = np.add.reduceat(x, first)
        counts = np.diff(np.append(first, len(x))).astype(float)
        month = key[first].copy()
        period = periods[:, first].copy()
        if self._block is not None:  # the open block continues (contiguity guarantees it)
            sums[0] += self._block[1]
            counts[0] += self._block[2]
            month[0], period[:, 0] = self._block[3], self._block[4]
            self._block = None
        if self._next_ns // self._window_ns == ids[-1]:  # the last block is still open
            self._block = [
                int(ids[-1]),
                float(sums[-1]),
                int(counts[-1]),
                int(month[-1]),
                tuple(int(p) for p in period[:, -1]),
            ]
            sums, counts, month, period = sums[:-1], counts[:-1], month[:-1], period[:, :-1]
        return sums / counts, month, period

    def _add_demands(self, demand: np.ndarray, month: np.ndarray, period: np.ndarray) -> None:
        for m in np.unique(month):
            mask = month == m
            if int(m) == self._month:
                self._flat_peak_kw = max(self._flat_peak_kw, float(demand[mask].max()))
                for j, peaks in enumerate(self._peaks_kw):
                    peaks_arr = np.asarray(peaks)
                    np.maximum.at(peaks_arr, period[j, mask], demand[mask])
                    self._peaks_kw[j] = peaks_arr.tolist()
            else:
                peak = max(self._closed.get(int(m), 0.0), float(demand[mask].max()))
                self._closed[int(m)] = peak

    def _add_demand(self, kw: float, month: int, periods: tuple[int, ...]) -> None:
        if month == self._month:
            if kw > self._flat_peak_kw:
                self._flat_peak_kw = kw
            for peaks, p in zip(self._peaks_kw, periods, strict=True):
                if kw > peaks[p]:
                    peaks[p] = kw
        elif kw > self._closed.get(month, 0.0):  # a block begun in the previous month
            self._closed[month] = kw

    def _set_zone(self, tz: dt.tzinfo) -> None:
        self._tz = tz
        self._calendar = IntervalCalendar(self._tariff, self._step_ns, tz)
        if str(tz) in _UTC_NAMES:
            logger.warning(
                "the meter reads billing months and periods on the %s clock; record in the "
                "site's local zone if the site is elsewhere",
                tz,
            )

    def _open_month(self, month: int) -> None:
        if self._month is not None:
            self._closed[self._month] = max(self._closed.get(self._month, 0.0), self._flat_peak_kw)
        for old in [k for k in self._closed if month - k > self._keep_months]:
            del self._closed[old]
        self._month = month
        self._import_kwh = [0.0] * self._n_energy
        self._export_kwh = [0.0] * self._n_energy
        self._flat_peak_kw = 0.0
        self._peaks_kw = self._zero_peaks()

    def _zero_peaks(self) -> list[list[float]]:
        return [[0.0] * n for n in self._n_peak_periods]

    # -- reading ------------------------------------------------------------------------------
    def usage(self, at: pd.Timestamp | None = None) -> MonthToDateUsage:
        """The state of the billing month of ``at``.

        Parameters
        ----------
        at : pandas.Timestamp, optional
            A tz-aware time in the month being recorded, or in the next month when nothing of
            it is recorded yet (then the month is all zeros, with the ratchet look-back of the
            months before); default: the start of the next interval to record.

        Returns
        -------
        MonthToDateUsage
            Equal to :func:`markets.bill.month_to_date` of the series recorded so far when
            ``at`` lies in its last month and its last demand block is complete.

        Raises
        ------
        InputError
            If ``at`` is naive, or lies in another month; if ``at`` is omitted before anything
            was recorded.
        """
        if at is None:
            if self._next_ns is None:
                raise InputError("at", None, "a time (nothing is recorded yet)")
            key = self._calendar.month_of(self._next_ns)
        else:
            at = _timestamp("at", at)
            local = at.tz_convert(self._tz) if self._tz is not None else at
            key = month_key(local.year, local.month)
        if key == self._month:
            return self._state(key, self._flat_peak_kw, self._peaks_kw, self._closed.items())
        if self._next_ns is None or key == self._calendar.month_of(self._next_ns):
            earlier = list(self._closed.items())
            if self._month is not None:
                earlier.append((self._month, self._flat_peak_kw))
            return self._state(key, 0.0, self._zero_peaks(), earlier, empty=True)
        upcoming = self._period(self._calendar.month_of(self._next_ns))
        raise InputError(
            "at",
            at,
            f"a time in the billing month being recorded ({self._period(self._month)}) or in "
            f"the month of the next interval ({upcoming})",
        )

    @staticmethod
    def _period(key: int | None) -> pd.Period | None:
        if key is None:
            return None
        year, month = _year_month(key)
        return pd.Period(year=year, month=month, freq="M")

    def _state(
        self,
        key: int,
        flat_kw: float,
        peaks_kw: list[list[float]],
        earlier: Iterable[tuple[int, float]],
        *,
        empty: bool = False,
    ) -> MonthToDateUsage:
        reference = ratchet_reference_kw(
            self._tariff.ratchet,
            _year_month(key),
            ((_year_month(k), peak) for k, peak in earlier),
            self._history_kw,
        )
        zeros = (0.0,) * self._n_energy
        return MonthToDateUsage.with_peaks(
            {kind.name: () for kind in PEAK_CHARGES}
            | {name: tuple(kw) for name, kw in zip(self._peak_names, peaks_kw, strict=True)},
            month=self._period(key),
            flat_peak_kw=flat_kw,
            ratchet_peak_kw=reference,
            import_kwh_by_period=zeros if empty else tuple(self._import_kwh),
            export_kwh_by_period=zeros if empty else tuple(self._export_kwh),
        )
