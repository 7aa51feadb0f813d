"""The forecaster registry: one table of names read by the config, the CLI and the backtest."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from core.errors import InputError
from forecasting import SeasonalNaiveForecaster, SiteCalendar
from forecasting.registry import (
    ALIASES,
    FORECASTERS,
    ForecasterContext,
    canonical_name,
    evaluable_names,
    make_forecaster,
    names_for,
    warmup_days,
)
from sims import config, forecasts

CAL = SiteCalendar(tz="Europe/London")


def test_config_and_backtest_read_the_registry():
    assert config.LOAD_FORECASTERS == names_for("load_kw")
    assert config.PV_FORECASTERS == names_for("pv_kw")
    assert forecasts.WARMUP_DAYS == {n: s.warmup_days for n, s in FORECASTERS.items()}
    # the names the issue lists for configurations, and the PV-only / load-only ones
    assert set(config.LOAD_FORECASTERS) >= {"seasonal_naive", "gradient_boosting", "perfect"}
    assert "pvlib" in config.PV_FORECASTERS and "pvlib" not in config.LOAD_FORECASTERS
    assert "gradient_boosting" not in config.PV_FORECASTERS


def test_evaluation_names_leave_out_the_oracle_and_those_needing_more_than_a_csv():
    assert evaluable_names() == (
        "persistence",
        "seasonal_naive",
        "seasonal_naive_week",
        "similar_days",
        "gradient_boosting",
    )


@pytest.mark.parametrize(("old", "new"), sorted(ALIASES.items()))
def test_old_cli_names_map_to_one_table_with_a_warning(old, new, caplog):
    with caplog.at_level(logging.WARNING, logger="forecasting.registry"):
        assert canonical_name(old) == new
    assert "deprecated" in caplog.text and old in caplog.text and new in caplog.text
    assert new in FORECASTERS and old not in FORECASTERS


def test_naive_24h_alias_builds_a_24_hour_season():
    forecaster = make_forecaster("naive_24h", ForecasterContext(target="load_kw", calendar=CAL))
    assert isinstance(forecaster, SeasonalNaiveForecaster) and forecaster.period_h == 24.0


def test_unknown_names_and_wrong_targets_are_named():
    with pytest.raises(InputError) as err:
        canonical_name("crystal_ball", field="forecast.load")
    assert err.value.field == "forecast.load" and "crystal_ball" in str(err.value)
    with pytest.raises(InputError, match="similar_days for pv_kw"):
        make_forecaster("similar_days", ForecasterContext(target="pv_kw", calendar=CAL))
    with pytest.raises(InputError) as err:
        make_forecaster("perfect", ForecasterContext(target="load_kw", calendar=CAL))
    assert err.value.field == "actuals"


def test_warmup_is_the_longest_of_the_named_forecasters():
    # seasonal naive needs a week, similar days two weeks, gradient boosting eight weeks
    assert warmup_days("seasonal_naive") == 7
    assert warmup_days("seasonal_naive", "similar_days") == 14
    assert warmup_days("perfect", "ml") == 56


def test_perfect_reads_the_actuals_from_the_context():
    index = pd.date_range("2024-01-01", periods=48, freq="1h", tz="Europe/London")
    actuals = pd.Series(range(48), index=index, dtype=float)
    oracle = make_forecaster(
        "perfect", ForecasterContext(target="load_kw", calendar=CAL, actuals=actuals)
    )
    oracle.fit(actuals.iloc[:24].to_frame("load_kw"))
    forecast = oracle.predict(index[24], index[24:30])
    assert list(forecast["load_kw"]) == [24.0, 25.0, 26.0, 27.0, 28.0, 29.0]
