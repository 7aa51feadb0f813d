"""The gradient-boosting load forecaster on synthetic data with a known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from forecasting import (
    GradientBoostingLoadForecaster,
    SeasonalNaiveForecaster,
    SiteCalendar,
    rolling_origin,
    score_table,
)
from tests.forecasting.synthetic import TZ, synthetic_site

CAL = SiteCalendar(tz=TZ, country="GB", subdiv="ENG")
FAST = dict(max_iter=60, calibration_days=14, min_train_days=14, refit_every_h=168.0)


@pytest.fixture(scope="module")
def scores():
    data = synthetic_site(days=70, seed=3)
    first = pd.Timestamp("2021-06-14", tz=TZ)  # 42 days of history
    last = pd.Timestamp("2021-07-10", tz=TZ)
    runs = [
        rolling_origin(
            lambda: SeasonalNaiveForecaster(period_h=24),
            data,
            first_issue=first,
            last_issue=last,
            name="naive",
        ),
        rolling_origin(
            lambda: GradientBoostingLoadForecaster(calendar=CAL, **FAST),
            data,
            first_issue=first,
            last_issue=last,
            name="ml",
        ),
        rolling_origin(
            lambda: GradientBoostingLoadForecaster(calendar=CAL, strategy="recursive", **FAST),
            data,
            first_issue=first,
            last_issue=last,
            name="ml_recursive",
        ),
    ]
    return score_table(runs, tz=TZ, reference="naive")


def test_ml_beats_seasonal_naive_where_the_weekday_pattern_breaks_it(scores):
    # The synthetic load jumps by 80 kW on working hours: yesterday's value is wrong every
    # Monday and Saturday (2 days in 7), which a calendar-aware model does not repeat.
    assert scores.loc["ml", "cv_rmse"] < 0.3 * scores.loc["naive", "cv_rmse"]
    assert scores.loc["ml_recursive", "cv_rmse"] < scores.loc["naive", "cv_rmse"]


def test_ml_error_is_near_the_noise_floor(scores):
    # noise is N(0, 4 kW) on a mean load of about 125 kW: an ideal forecast has
    # RMSE = 4 kW; allow the model 25 % above that
    assert scores.loc["ml", "rmse_kw"] < 5.0


def test_conformal_intervals_cover_about_80_percent(scores):
    assert 0.72 <= scores.loc["ml", "coverage_p10_p90"] <= 0.90


def test_quantiles_are_ordered_and_the_fit_is_reproducible():
    data = synthetic_site(days=42, seed=1)
    issue = data.index[-1] + pd.Timedelta(hours=1)
    horizon = pd.date_range(issue, periods=24, freq="h")
    a = GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(data).predict(issue, horizon)
    b = GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(data).predict(issue, horizon)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.columns) == ["load_kw", "load_kw_p10", "load_kw_p50", "load_kw_p90"]
    assert (a["load_kw_p10"] <= a["load_kw_p50"]).all()
    assert (a["load_kw_p50"] <= a["load_kw_p90"]).all()
    assert (a["load_kw_p90"] > a["load_kw_p10"]).any()


def test_fifteen_minute_data_and_weather_forecasts():
    hourly = synthetic_site(days=36, seed=2)
    data = hourly.resample("15min").ffill().iloc[: 36 * 96]
    data.index.freq = None
    issue = data.index[-1] + pd.Timedelta(minutes=15)
    horizon = pd.date_range(issue, periods=96, freq="15min")
    forecaster = GradientBoostingLoadForecaster(calendar=CAL, weather="forecast", **FAST)
    forecaster.fit(data)
    with pytest.raises(InputError, match="weather"):
        forecaster.predict(issue, horizon)
    weather = pd.DataFrame({"temp_air_c": np.full(96, 20.0)}, index=horizon)
    forecast = forecaster.predict(issue, horizon, weather=weather)
    assert len(forecast) == 96
    # the synthetic load is 100-200 kW (+ 2.5 kW/degC above 18 degC)
    assert forecast["load_kw"].between(60, 260).all()


def test_missing_readings_are_not_learned_from():
    data = synthetic_site(days=42, seed=4)
    clean = GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(data)
    holed = data.copy()
    holed.iloc[100:160, 0] = np.nan
    forecaster = GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(holed)
    issue = data.index[-1] + pd.Timedelta(hours=1)
    horizon = pd.date_range(issue, periods=24, freq="h")
    a = clean.predict(issue, horizon)["load_kw"]
    b = forecaster.predict(issue, horizon)["load_kw"]
    # losing 60 of 1008 training hours changes the forecast only a little
    assert np.max(np.abs(a - b)) < 15.0
    zeros = data.copy()
    zeros.iloc[100:160, 0] = 0.0  # zeros are NOT missing to the forecaster: the reader marks them
    z = GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(zeros)
    assert z.predict(issue, horizon)["load_kw"].notna().all()


def test_bad_settings_and_short_history_raise():
    with pytest.raises(InputError, match="strategy"):
        GradientBoostingLoadForecaster(calendar=CAL, strategy="sideways")
    with pytest.raises(InputError, match="issue_hours"):
        GradientBoostingLoadForecaster(calendar=CAL, issue_hours=(25.0,))
    with pytest.raises(InputError, match="calendar"):
        GradientBoostingLoadForecaster(calendar="Europe/London")
    with pytest.raises(InputError, match="history"):
        GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(synthetic_site(days=20))
    no_temp = synthetic_site(days=42).drop(columns="temp_air_c")
    with pytest.raises(InputError, match="temp_air_c"):
        GradientBoostingLoadForecaster(calendar=CAL, **FAST).fit(no_temp)
