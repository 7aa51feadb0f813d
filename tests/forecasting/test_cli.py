"""``valuestack forecast-eval`` on a CSV made here."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sims.cli import main
from tests.forecasting.synthetic import synthetic_site


def test_forecast_eval_prints_scores_that_match_a_direct_computation(tmp_path, capsys):
    data = synthetic_site(days=50, seed=7)
    data.iloc[30 * 24 + 5, 0] = 0.0  # one zero reading, to be treated as missing
    csv = tmp_path / "site.csv"
    pd.DataFrame(
        {"timestamp": data.index.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_kw": data["load_kw"]}
    ).to_csv(csv, index=False)
    code = main(
        [
            "forecast-eval",
            str(csv),
            "--tz",
            "Europe/London",
            "--zero-is-missing",
            "--start",
            "2021-06-10",
            "--end",
            "2021-06-19",
            "--forecasters",
            "naive_24h",
            "similar_days",
            "--json",
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["missing_readings"] == 1
    # independent: yesterday's value at each hour of the ten local days 10-19 June 2021
    local = data.index.tz_convert("Europe/London")
    target = (local >= pd.Timestamp("2021-06-10", tz="Europe/London")) & (
        local < pd.Timestamp("2021-06-20", tz="Europe/London")
    )
    actual = data["load_kw"].to_numpy(copy=True)
    actual[30 * 24 + 5] = np.nan
    positions = np.flatnonzero(target)
    err = actual[positions - 24] - actual[positions]
    ok = np.isfinite(err)
    assert payload["scores"]["naive_24h"]["mae_kw"] == pytest.approx(np.mean(np.abs(err[ok])))
    assert set(payload["scores"]) == {"naive_24h", "similar_days"}


def test_forecast_eval_reports_bad_input(tmp_path, capsys):
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "timestamp,load_kw\n2021-01-01 00:00,1\n2021-01-01 01:00,2\n2021-01-01 03:00,2\n"
    )
    assert main(["forecast-eval", str(csv), "--tz", "UTC"]) == 2
    assert "fixed step" in capsys.readouterr().err


def test_forecast_eval_names_come_from_the_registry(tmp_path, capsys):
    data = synthetic_site(days=30, seed=3)
    csv = tmp_path / "site.csv"
    pd.DataFrame(
        {"timestamp": data.index.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_kw": data["load_kw"]}
    ).to_csv(csv, index=False)
    base = ["forecast-eval", str(csv), "--tz", "Europe/London", "--start", "2021-05-20"]
    base += ["--end", "2021-05-25"]
    # pvlib is registered but needs a PV array, perfect looks ahead: neither runs on a CSV
    for name in ("crystal_ball", "pvlib", "perfect"):
        assert main([*base, "--forecasters", name]) == 2
        err = capsys.readouterr().err
        assert "--forecasters" in err and name in err and "seasonal_naive_week" in err
    # the old name is the same forecaster as the registry's name: identical scores
    assert main([*base, "--forecasters", "naive_168h", "seasonal_naive_week", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)["scores"]
    timings = ("fit_s", "predict_s")
    old, new = ({k: v for k, v in scores[n].items() if k not in timings} for n in scores)
    assert old == new and "n_points" in old
    # independent: last week's value at each hour of the six local days 20-25 May 2021 (data from 3 May)
    local = data.index.tz_convert("Europe/London")
    days = (local >= pd.Timestamp("2021-05-20", tz="Europe/London")) & (
        local < pd.Timestamp("2021-05-26", tz="Europe/London")
    )
    positions = np.flatnonzero(days)
    actual = data["load_kw"].to_numpy()
    err = actual[positions - 168] - actual[positions]
    assert scores["seasonal_naive_week"]["mae_kw"] == pytest.approx(np.mean(np.abs(err)))


def test_forecast_eval_on_the_example_runs_every_registry_forecaster(capsys):
    # issue 11: `valuestack forecast-eval examples/office_load.csv --tz America/New_York`,
    # default forecasters (the registry's), one week of issues to keep it short
    from tests.conftest import REPO_ROOT

    csv = REPO_ROOT / "examples" / "office_load.csv"
    argv = ["forecast-eval", str(csv), "--tz", "America/New_York"]
    assert main([*argv, "--start", "2023-03-01", "--end", "2023-03-07", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)["scores"]
    assert list(scores) == [
        "seasonal_naive",
        "persistence",
        "seasonal_naive_week",
        "similar_days",
        "gradient_boosting",
    ]
    # 7 local days of 96 quarter hours (no DST change before 12 March)
    assert {s["n_points"] for s in scores.values()} == {7 * 96}
    # independent: the load 24 h earlier, from the CSV itself
    frame = pd.read_csv(csv)
    load = pd.Series(
        frame["load_kw"].to_numpy(),
        index=pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert("America/New_York"),
    )
    days = load.loc["2023-03-01":"2023-03-07"]
    earlier = load.reindex(days.index - pd.Timedelta(hours=24)).to_numpy()
    expected = np.mean(np.abs(days.to_numpy() - earlier))
    assert scores["seasonal_naive"]["mae_kw"] == pytest.approx(expected)
