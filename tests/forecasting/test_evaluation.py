"""Rolling-origin evaluation: issues, horizons and scores on constructed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from forecasting import (
    PerfectForesightForecaster,
    SeasonalNaiveForecaster,
    evaluate_run,
    rolling_origin,
)
from tests.forecasting.synthetic import TZ, synthetic_site


@pytest.fixture(scope="module")
def data():
    return synthetic_site(days=30, start="2021-03-15", seed=5)  # spans the 28 March DST change


def test_seasonal_naive_run_repeats_yesterday(data):
    first = pd.Timestamp("2021-03-22", tz=TZ)
    last = pd.Timestamp("2021-04-05", tz=TZ)
    run = rolling_origin(
        lambda: SeasonalNaiveForecaster(period_h=24), data, first_issue=first, last_issue=last
    )
    frame = run.frame
    assert frame["issue_time"].nunique() == 15
    # issues stay at local midnight across the DST change
    issues = pd.DatetimeIndex(frame["issue_time"].unique()).tz_convert(TZ)
    assert (issues.hour == 0).all()
    assert (frame.groupby("issue_time").size() == 24).all()
    yesterday = data["load_kw"].reindex(pd.DatetimeIndex(frame["time"]) - pd.Timedelta(hours=24))
    assert np.array_equal(frame["forecast"].to_numpy(), yesterday.to_numpy())
    # scores recomputed here from the frame by plain numpy
    scores = evaluate_run(run, tz=TZ)
    err = frame["forecast"].to_numpy() - frame["actual"].to_numpy()
    assert scores["mae_kw"] == pytest.approx(np.mean(np.abs(err)))
    assert scores["rmse_kw"] == pytest.approx(np.sqrt(np.mean(err**2)))
    assert scores["cv_rmse"] == pytest.approx(np.sqrt(np.mean(err**2)) / frame["actual"].mean())
    # each of the 15 horizons (24 h from local midnight) holds one complete local day; on
    # 28 March that day has 23 hours and the horizon's last hour falls on 29 March
    assert scores["n_days"] == 15


def test_perfect_foresight_scores_perfectly(data):
    first = pd.Timestamp("2021-03-22", tz=TZ)
    last = pd.Timestamp("2021-03-30", tz=TZ)
    runs = {
        name: rolling_origin(make, data, first_issue=first, last_issue=last, name=name)
        for name, make in (
            ("naive", lambda: SeasonalNaiveForecaster(period_h=24)),
            ("perfect", lambda: PerfectForesightForecaster(actuals=data["load_kw"])),
        )
    }
    scores = evaluate_run(runs["perfect"], tz=TZ, reference=runs["naive"])
    assert scores["mae_kw"] == 0.0
    assert scores["skill_cv_rmse"] == 1.0
    assert scores["coverage_p10_p90"] == 1.0
    assert scores["peak_within_1h"] == 1.0


def test_missing_actuals_are_counted_and_left_out(data):
    holed = data.copy()
    holed.loc[holed.index[24 * 10 : 24 * 10 + 5], "load_kw"] = np.nan
    run = rolling_origin(
        lambda: SeasonalNaiveForecaster(period_h=168),
        holed,
        first_issue=pd.Timestamp("2021-03-25", tz=TZ),
        last_issue=pd.Timestamp("2021-03-25", tz=TZ),
    )
    scores = evaluate_run(run, tz=TZ)
    assert scores["n_missing"] == 5 and scores["n_points"] == 19


def test_bad_windows_raise(data):
    make = lambda: SeasonalNaiveForecaster()  # noqa: E731
    with pytest.raises(InputError, match="last_issue"):
        rolling_origin(
            make,
            data,
            first_issue=pd.Timestamp("2021-03-22", tz=TZ),
            last_issue=pd.Timestamp("2021-05-22", tz=TZ),
        )
    with pytest.raises(InputError, match="first_issue"):
        rolling_origin(
            make,
            data,
            first_issue=pd.Timestamp("2021-03-22"),
            last_issue=pd.Timestamp("2021-03-23", tz=TZ),
        )
