"""Baseline forecasters against values known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InputError
from forecasting import (
    PersistenceForecaster,
    SeasonalNaiveForecaster,
    SimilarDaysForecaster,
    SiteCalendar,
)
from forecasting.baselines import seasonal_lookback

TZ = "Europe/London"


def _hourly(values, start="2021-03-01 00:00"):
    index = pd.date_range(start, periods=len(values), freq="h", tz=TZ)
    return pd.DataFrame({"load_kw": np.asarray(values, dtype=float)}, index=index)


@given(st.lists(st.floats(0, 1000), min_size=24 * 9, max_size=24 * 9))
def test_seasonal_naive_week_equals_the_value_a_week_before(values):
    history = _hourly(values)
    issue = history.index[-1] + pd.Timedelta(hours=1)
    horizon = pd.date_range(issue, periods=48, freq="h")
    forecast = SeasonalNaiveForecaster(period_h=168).fit(history).predict(issue, horizon)
    # by construction: position of the target minus 168 steps in the history
    expected = [values[len(values) + k - 168] for k in range(48)]
    assert forecast["load_kw"].tolist() == expected


def test_seasonal_naive_day_uses_the_last_known_day_for_leads_past_24h():
    values = np.arange(24 * 3, dtype=float)  # value = position
    history = _hourly(values)
    issue = history.index[-1] + pd.Timedelta(hours=1)  # position 72 is the first unknown
    horizon = pd.date_range(issue, periods=30, freq="h")
    forecast = SeasonalNaiveForecaster(period_h=24).fit(history).predict(issue, horizon)
    # leads 0-23 (positions 72-95): position - 24 = 48..71; leads 24-29 (positions 96-101):
    # position - 24 = 72.. is unknown, so position - 48 = 48..53
    assert forecast["load_kw"].tolist() == list(range(48, 72)) + list(range(48, 54))


def test_missing_reading_falls_back_one_season():
    values = np.arange(24 * 3, dtype=float)
    values[50] = np.nan  # yesterday's 02:00 is missing
    history = _hourly(values)
    issue = history.index[-1] + pd.Timedelta(hours=1)
    forecast = (
        SeasonalNaiveForecaster(period_h=24)
        .fit(history)
        .predict(issue, pd.date_range(issue, periods=24, freq="h"))
    )
    assert forecast["load_kw"].iloc[2] == 26.0  # two days before: position 74 - 48
    assert forecast["load_kw"].iloc[3] == 51.0


def test_lookback_with_no_known_value_raises():
    history = _hourly([np.nan] * 24 + [1.0] * 24)
    issue = history.index[-1] + pd.Timedelta(hours=1)
    forecaster = SeasonalNaiveForecaster(period_h=24, max_periods_back=1).fit(history)
    forecaster.update(_hourly([np.nan] * 24, start=str(issue.tz_localize(None))))
    later = issue + pd.Timedelta(days=1)
    with pytest.raises(InputError, match="history"):
        forecaster.predict(later, pd.date_range(later, periods=24, freq="h"))


def test_seasonal_lookback_never_reads_positions_at_or_after_visible():
    values = np.array([1.0, 2.0, 3.0, 4.0, 99.0, 99.0])
    out = seasonal_lookback(values, np.array([4, 5, 6]), period=2, max_periods_back=3, visible=4)
    # position 4 -> 2 (3.0), 5 -> 3 (4.0), 6 -> 4 is not visible -> 2 (3.0)
    assert out.tolist() == [3.0, 4.0, 3.0]


def test_persistence_repeats_the_last_observed_value():
    history = _hourly([5.0] * 23 + [7.0, np.nan])
    issue = history.index[-1] + pd.Timedelta(hours=1)
    forecast = (
        PersistenceForecaster()
        .fit(history)
        .predict(issue, pd.date_range(issue, periods=5, freq="h"))
    )
    assert forecast["load_kw"].tolist() == [7.0] * 5


def test_similar_days_averages_the_same_day_type():
    # Mon 2021-03-01 .. Sun 2021-03-14; each day's load equals its day number (1..14)
    values = np.repeat(np.arange(1, 15, dtype=float), 24)
    history = _hourly(values)
    issue = history.index[-1] + pd.Timedelta(hours=1)  # Monday 2021-03-15
    calendar = SiteCalendar(tz=TZ, country="GB", subdiv="ENG")
    forecast = (
        SimilarDaysForecaster(calendar=calendar, n_days=4)
        .fit(history)
        .predict(issue, pd.date_range(issue, periods=24 * 6, freq="h"))
    )
    # Monday: last 4 working days are Fri 12, Thu 11, Wed 10, Tue 9 -> 10.5
    assert forecast["load_kw"].iloc[0] == pytest.approx(10.5)
    # Saturday 2021-03-20 (lead 5 days): Saturdays known are the 13th and 6th -> (13+6)/2
    assert forecast["load_kw"].iloc[24 * 5] == pytest.approx(9.5)


def test_requests_are_validated_before_work():
    history = _hourly(np.ones(48))
    forecaster = SeasonalNaiveForecaster()
    issue = history.index[-1] + pd.Timedelta(hours=1)
    with pytest.raises(InputError, match="not fitted"):
        forecaster.predict(issue, pd.date_range(issue, periods=3, freq="h"))
    forecaster.fit(history)
    with pytest.raises(InputError, match="horizon\\[0\\]"):
        forecaster.predict(issue, pd.date_range(issue - pd.Timedelta(hours=2), periods=3, freq="h"))
    with pytest.raises(InputError, match="issue_time"):
        forecaster.predict(issue.tz_localize(None), pd.date_range(issue, periods=3, freq="h"))
    with pytest.raises(InputError, match="step"):
        forecaster.predict(issue, pd.date_range(issue, periods=3, freq="15min"))
    with pytest.raises(InputError, match="observations.index\\[0\\]"):
        forecaster.update(_hourly([1.0], start="2021-03-05 00:00"))
    with pytest.raises(InputError, match="history.load_kw"):
        SeasonalNaiveForecaster().fit(_hourly([1.0, -2.0, 3.0]))
    with pytest.raises(InputError, match="period_h"):
        SeasonalNaiveForecaster(period_h=1.5).fit(history)
