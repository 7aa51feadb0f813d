"""One conformance test for every forecaster: data after issue_time cannot change a forecast.

Each forecaster is fitted on 40 days, updated with 10 more days (past the issue time), and
asked for a day-ahead forecast issued at local midnight of day 44. A copy of the data in which
every row with ``t + dt > issue_time`` is changed (target, temperature and irradiance) must
give the identical forecast; a forecast issued eight days later must differ (so the test would
notice a forecaster that ignores updates altogether).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from forecasting import (
    GradientBoostingLoadForecaster,
    PerfectForesightForecaster,
    PersistenceForecaster,
    PVForecaster,
    SeasonalNaiveForecaster,
    SimilarDaysForecaster,
    SiteCalendar,
)
from forecasting.registry import FORECASTERS, ForecasterContext, make_forecaster
from tests.forecasting.synthetic import SPEC, TZ, synthetic_site

CAL = SiteCalendar(tz=TZ, country="GB", subdiv="ENG")
SMALL = dict(max_iter=30, calibration_days=7, min_train_days=14, refit_every_h=24.0)

FACTORIES = {
    "persistence": lambda: PersistenceForecaster(),
    "seasonal_naive_24h": lambda: SeasonalNaiveForecaster(period_h=24),
    "seasonal_naive_168h": lambda: SeasonalNaiveForecaster(period_h=168),
    "similar_days": lambda: SimilarDaysForecaster(calendar=CAL),
    "ml_direct": lambda: GradientBoostingLoadForecaster(calendar=CAL, **SMALL),
    "ml_direct_no_weather": lambda: GradientBoostingLoadForecaster(
        calendar=CAL, weather="none", **SMALL
    ),
    "ml_recursive": lambda: GradientBoostingLoadForecaster(
        calendar=CAL, strategy="recursive", **SMALL
    ),
    "ml_quantile_regression": lambda: GradientBoostingLoadForecaster(
        calendar=CAL, quantile_method="quantile_regression", **SMALL
    ),
    "pv_measured": lambda: PVForecaster(system=SPEC),
    "pv_unmeasured_ghi": lambda: PVForecaster(system=SPEC),  # history: GHI, no measured PV
}
TARGET = {"pv_measured": "pv_kw", "pv_unmeasured_ghi": "pv_kw"}

# Every row of the registry is checked: the rows below by the hand-made factory of the same
# class and settings (smaller ML settings, for speed), any other row (a forecaster added to the
# registry later) as configurations and the command line build it, without editing this file.
COVERED = {
    "persistence": "persistence",
    "seasonal_naive": "seasonal_naive_24h",
    "seasonal_naive_week": "seasonal_naive_168h",
    "similar_days": "similar_days",
    "gradient_boosting": "ml_direct_no_weather",
    "pvlib": "pv_measured",
}


def _registry_context(target: str) -> ForecasterContext:
    return ForecasterContext(
        target=target, calendar=CAL, pv_system=SPEC, horizon_h=24.0, weather="none"
    )


for _name, _spec in FORECASTERS.items():
    if not _spec.looks_ahead and _name not in COVERED:
        FACTORIES[_name] = partial(make_forecaster, _name, _registry_context(_spec.targets[0]))
        TARGET[_name] = _spec.targets[0]


@pytest.mark.parametrize("name", sorted(COVERED))
def test_registry_rows_build_the_forecasters_checked_here(name):
    spec = FORECASTERS[name]
    built = make_forecaster(name, _registry_context(spec.targets[0]))
    by_hand = FACTORIES[COVERED[name]]()
    assert type(built) is type(by_hand)
    assert built.target == TARGET.get(COVERED[name], "load_kw")
    for attribute in ("period_h", "weather", "strategy", "quantile_method"):
        assert getattr(built, attribute, None) == getattr(by_hand, attribute, None)


def test_every_forecaster_of_the_registry_is_checked():
    looks_ahead = {name for name, spec in FORECASTERS.items() if spec.looks_ahead}
    assert looks_ahead == {"perfect"}  # checked by its own test below
    assert set(FORECASTERS) - looks_ahead <= set(COVERED) | set(FACTORIES)


def _inputs(name: str, data: pd.DataFrame) -> pd.DataFrame:
    return data.assign(pv_kw=np.nan) if name == "pv_unmeasured_ghi" else data


def _perturb_after(data: pd.DataFrame, issue: pd.Timestamp) -> pd.DataFrame:
    changed = data.copy()
    after = data.index + pd.Timedelta(hours=1) > issue
    changed.loc[after, "load_kw"] = data.loc[after, "load_kw"] * 3 + 50
    changed.loc[after, "temp_air_c"] = data.loc[after, "temp_air_c"] + 15
    changed.loc[after, "ghi_w_per_m2"] = data.loc[after, "ghi_w_per_m2"] * 0.1
    changed.loc[after, "pv_kw"] = data.loc[after, "pv_kw"] * 0.1
    return changed


def _run(name: str, data: pd.DataFrame, issue: pd.Timestamp) -> pd.DataFrame:
    forecaster = FACTORIES[name]()
    data = _inputs(name, data)
    target = TARGET.get(name, "load_kw")
    forecaster.fit(data.iloc[: 40 * 24])
    forecaster.update(data.iloc[40 * 24 : 45 * 24])
    forecaster.update(data.iloc[45 * 24 : 50 * 24])
    horizon = pd.date_range(issue, periods=24, freq="h")
    forecast = forecaster.predict(issue, horizon)
    assert list(forecast.index) == list(horizon)
    assert forecast[target].notna().all()
    return forecast


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_data_after_issue_time_cannot_change_the_forecast(name):
    data = synthetic_site(days=56)
    issue = pd.Timestamp("2021-06-16 00:00", tz=TZ)  # local midnight of day 44
    later = issue + pd.Timedelta(days=8)  # past a weekly lag of the changed rows
    factory = FACTORIES[name]
    original = _run(name, data, issue)
    changed = _run(name, _perturb_after(data, issue), issue)
    pd.testing.assert_frame_equal(original, changed, check_exact=True)
    # sensitivity: a forecast issued after the changed rows does see them
    clean, perturbed = _inputs(name, data), _inputs(name, _perturb_after(data, issue))
    a = factory().fit(clean.iloc[: 40 * 24]).update(clean.iloc[40 * 24 : 50 * 24])
    b = factory().fit(clean.iloc[: 40 * 24])
    b.update(perturbed.iloc[40 * 24 : 50 * 24])
    horizon = pd.date_range(later, periods=24, freq="h")
    assert not a.predict(later, horizon).equals(b.predict(later, horizon))


@pytest.mark.parametrize("name", ["ml_direct", "pv_measured"])
def test_issue_before_the_fitting_cutoff_is_refused(name):
    data = synthetic_site(days=56)
    forecaster = FACTORIES[name]().fit(data.iloc[: 40 * 24])
    issue = data.index[39 * 24]
    with pytest.raises(InputError, match="issue_time"):
        forecaster.predict(issue, pd.date_range(issue, periods=24, freq="h"))


def test_perfect_foresight_is_labelled_and_does_look_ahead():
    data = synthetic_site(days=56)
    issue = pd.Timestamp("2021-06-16 00:00", tz=TZ)
    horizon = pd.date_range(issue, periods=24, freq="h")
    oracle = PerfectForesightForecaster(actuals=data["load_kw"]).fit(data.iloc[: 40 * 24])
    assert oracle.looks_ahead is True
    forecast = oracle.predict(issue, horizon)
    # by construction the forecast IS the future: the actual values on the horizon
    assert (forecast["load_kw"].to_numpy() == data.loc[horizon, "load_kw"].to_numpy()).all()
    assert (forecast["load_kw_p90"] == forecast["load_kw_p10"]).all()
    assert forecast.attrs["source"] == "perfect_foresight"
    changed = PerfectForesightForecaster(actuals=_perturb_after(data, issue)["load_kw"])
    assert not changed.predict(issue, horizon).equals(forecast)
