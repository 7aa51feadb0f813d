"""Full real-data forecast evaluation; prints the tables for the closing note.

Usage (from the project root, with ``../shared/data`` beside it)::

    python scripts/evaluate_forecasts.py [--parts cambridge b105 citylearn doe] [--jobs 2]
        [--buildings b105 b19 ...] [--out forecast_eval]

- ``cambridge``: the ten metered university buildings, 2019, day-ahead issued at local midnight
  (Europe/London) from 1 March to 31 December, history from 1 January; Bedford temperature
  known at the issue (lagged) for the ML forecaster, plus a labelled perfect-weather run.
- ``b105``: building b105 trained on 2017-2018 and tested on 2019-2020 (no weather: Bedford
  weather covers only 2018-2019), and the direct vs recursive comparison on 2019.
- ``citylearn``: three homes (Fontana, CA): load (ML vs baselines) and PV (pvlib forecaster
  calibrated on measured PV vs yesterday's PV).
- ``doe``: the ten DOE reference building models (EnergyPlus output, not meters), 2017.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cases import shared_data_dir  # noqa: E402
from forecasting import (  # noqa: E402
    GradientBoostingLoadForecaster,
    PVForecaster,
    PVSystemSpec,
    SeasonalNaiveForecaster,
    SiteCalendar,
    rolling_origin,
    score_table,
)
from forecasting import datasets as ds  # noqa: E402
from forecasting.registry import ForecasterContext, make_forecaster  # noqa: E402

REFERENCE = "seasonal_naive"
"""Skill scores are against this registry forecaster (same time 24 h earlier)."""
ML = "gradient_boosting"

CAMBRIDGE = ("b105", "b19", "b2", "b21", "b27", "b35", "b5", "b58", "b91", "b96")
LONDON = "Europe/London"
COLUMNS = [
    "cv_rmse",
    "skill_cv_rmse",
    "mape",
    "mae_kw",
    "rmse_kw",
    "nmae",
    "peak_error",
    "peak_within_1h",
    "coverage_p10_p90",
    "n_points",
    "n_missing",
    "fit_s",
    "predict_s",
]


def _data_dir() -> Path:
    return shared_data_dir()


def _load_runs(data, calendar, tz, first, last, *, weather=True, recursive=False, perfect=False):
    kind = "lagged" if weather else "none"
    context = ForecasterContext(target="load_kw", calendar=calendar, horizon_h=24.0, weather=kind)
    makers = {
        name: partial(make_forecaster, name, context)
        for name in (REFERENCE, "seasonal_naive_week", "similar_days", ML)
    }
    if recursive:
        makers[f"{ML}_recursive"] = lambda: GradientBoostingLoadForecaster(
            calendar=calendar, weather=kind, strategy="recursive"
        )
    runs = [
        rolling_origin(make, data, first_issue=first, last_issue=last, name=name)
        for name, make in makers.items()
    ]
    if perfect:
        runs.append(
            rolling_origin(
                lambda: GradientBoostingLoadForecaster(calendar=calendar, weather="forecast"),
                data,
                first_issue=first,
                last_issue=last,
                weather_columns=("temp_air_c",),
                name=f"{ML}_PERFECT_WEATHER",
            )
        )
    return runs


def cambridge_building(building: str) -> tuple[str, pd.DataFrame, dict]:
    """Score table of one Cambridge building, 2019."""
    root = _data_dir() / "meters" / "cambridge"
    meter = ds.read_cambridge_building(
        root / "electricity_2019" / f"UCam_Building_{building}_2019.csv"
    )
    weather = ds.read_bedford_weather([root / "aux" / "metoffice_bedford_weather_2019.csv"])
    data = pd.DataFrame({"load_kw": meter.load_kw}).join(weather[["temp_air_c"]])
    calendar = SiteCalendar(tz=LONDON, country="GB", subdiv="ENG")
    runs = _load_runs(
        data,
        calendar,
        LONDON,
        pd.Timestamp("2019-03-01", tz=LONDON),
        pd.Timestamp("2019-12-30", tz=LONDON),
        perfect=True,
        recursive=building in ("b105", "b19", "b58"),
    )
    table = score_table(runs, tz=LONDON, reference=REFERENCE)
    info = {"zeros": meter.zero_count, "partial": meter.partial_count}
    return building, table, info


def b105_years() -> pd.DataFrame:
    """b105: train on 2017-2018, test on 2019-2020 (no weather)."""
    root = _data_dir() / "meters" / "cambridge" / "electricity_b105_2017_2020"
    series = [
        ds.read_cambridge_building(root / f"UCam_Building_b105_{y}.csv").load_kw
        for y in (2017, 2018, 2019, 2020)
    ]
    data = pd.DataFrame({"load_kw": pd.concat(series)})
    calendar = SiteCalendar(tz=LONDON, country="GB", subdiv="ENG")
    runs = _load_runs(
        data,
        calendar,
        LONDON,
        pd.Timestamp("2019-01-01", tz=LONDON),
        pd.Timestamp("2020-12-30", tz=LONDON),
        weather=False,
    )
    return score_table(runs, tz=LONDON, reference=REFERENCE)


def citylearn_home(building: str) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Load and PV tables of one CityLearn home (Aug 2016 - Jul 2017)."""
    home = ds.read_citylearn_home(_data_dir() / "meters" / "citylearn_2022", building)
    tz = ds.CITYLEARN_TZ
    calendar = SiteCalendar(tz=tz, country="US", subdiv="CA")
    first, last = pd.Timestamp("2016-10-01", tz=tz), pd.Timestamp("2017-07-30", tz=tz)
    data = home[["load_kw", "temp_air_c"]]
    load = score_table(_load_runs(data, calendar, tz, first, last), tz=tz, reference=REFERENCE)
    import json

    schema = json.loads((_data_dir() / "meters" / "citylearn_2022" / "schema.json").read_text())
    capacity_kw = float(schema["buildings"][building]["pv"]["attributes"]["nominal_power"])
    spec = PVSystemSpec(  # Fontana, CA; orientation unknown: 20 deg south, calibrated on data
        latitude_deg=34.09,
        longitude_deg=-117.43,
        altitude_m=380.0,
        tilt_deg=20.0,
        dc_capacity_kw=capacity_kw,
        ac_capacity_kw=capacity_kw,
    )
    pv_data = home[["pv_kw"]]
    pv_runs = [
        rolling_origin(
            lambda: SeasonalNaiveForecaster(period_h=24, target="pv_kw"),
            pv_data,
            first_issue=first,
            last_issue=last,
            target="pv_kw",
            name="pv_yesterday",
        ),
        rolling_origin(
            lambda: PVForecaster(system=spec),
            pv_data,
            first_issue=first,
            last_issue=last,
            target="pv_kw",
            name="pv_pvlib_clearness",
        ),
    ]
    pv = score_table(
        pv_runs, tz=tz, reference="pv_yesterday", capacity_kw=capacity_kw, mape_ok=False
    )
    return building, load, pv


def doe_building(city_building: str) -> tuple[str, pd.DataFrame]:
    """A DOE reference building model, 2017 (no weather)."""
    city, building = city_building.split("_")
    load = ds.read_doe_reference_building(
        _data_dir() / "reopt" / "load_profiles_crb_normalized", city, building
    )
    tz = ds.DOE_REFERENCE_TZ[city]
    calendar = SiteCalendar(tz=tz, country="US")
    runs = _load_runs(
        pd.DataFrame({"load_kw": load}),
        calendar,
        tz,
        pd.Timestamp("2017-03-01", tz=tz),
        pd.Timestamp("2017-12-30", tz=tz),
        weather=False,
    )
    return city_building, score_table(runs, tz=tz, reference=REFERENCE)


def _show(title: str, table: pd.DataFrame, out: Path | None) -> None:
    columns = [c for c in COLUMNS if c in table.columns] or list(table.columns)
    text = table[columns].to_string(float_format=lambda v: f"{v:.4g}")
    print(f"\n### {title}\n{text}", flush=True)
    if out is not None:
        table.to_csv(out / f"{title.replace(' ', '_').replace('/', '-')}.csv")


def main(argv: list[str] | None = None) -> int:
    """Run the selected parts and print their tables."""
    parser = argparse.ArgumentParser(prog="evaluate_forecasts")
    parser.add_argument("--parts", nargs="*", default=["cambridge", "b105", "citylearn", "doe"])
    parser.add_argument("--buildings", nargs="*", default=list(CAMBRIDGE))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        if "cambridge" in args.parts:
            summary = []
            for building, table, info in pool.map(cambridge_building, args.buildings):
                _show(
                    f"cambridge {building} 2019 (zeros {info['zeros']}, partial {info['partial']})",
                    table,
                    args.out,
                )
                ml, naive = table.loc[ML], table.loc[REFERENCE]
                summary.append(
                    {
                        "building": building,
                        "missing": info["zeros"] + info["partial"],
                        "naive_cv_rmse": naive["cv_rmse"],
                        "ml_cv_rmse": ml["cv_rmse"],
                        "ml_beats_naive": ml["cv_rmse"] < naive["cv_rmse"],
                        "naive_mape": naive["mape"],
                        "ml_mape": ml["mape"],
                        "naive_mape_issue_median": naive["mape_issue_median"],
                        "ml_mape_issue_median": ml["mape_issue_median"],
                        "ml_peak_within_1h": ml["peak_within_1h"],
                        "naive_peak_within_1h": naive["peak_within_1h"],
                        "ml_coverage": ml["coverage_p10_p90"],
                        "perfect_weather_cv_rmse": table.loc[f"{ML}_PERFECT_WEATHER", "cv_rmse"],
                    }
                )
            frame = pd.DataFrame(summary).set_index("building")
            _show("cambridge summary", frame, args.out)
            print(
                f"median MAPE: ml {np.median(frame['ml_mape']):.4f}, "
                f"naive {np.median(frame['naive_mape']):.4f}; "
                f"ML beats naive on {int(frame['ml_beats_naive'].sum())}/{len(frame)}; "
                f"mean coverage {frame['ml_coverage'].mean():.3f}"
            )
        if "b105" in args.parts:
            _show("b105 train 2017-2018 test 2019-2020", b105_years(), args.out)
        if "citylearn" in args.parts:
            for building, load, pv in pool.map(
                citylearn_home, ["Building_1", "Building_2", "Building_5"]
            ):
                _show(f"citylearn {building} load", load, args.out)
                _show(f"citylearn {building} pv", pv, args.out)
        if "doe" in args.parts:
            names = [
                f"{c}_{b}"
                for c, b in (
                    ("Chicago", "LargeOffice"),
                    ("Houston", "Hospital"),
                    ("LosAngeles", "RetailStore"),
                    ("Phoenix", "Supermarket"),
                    ("SanFrancisco", "MediumOffice"),
                    ("Miami", "Warehouse"),
                    ("Atlanta", "MidriseApartment"),
                    ("Boulder", "PrimarySchool"),
                    ("Seattle", "SmallOffice"),
                    ("Minneapolis", "LargeHotel"),
                )
            ]
            for name, table in pool.map(doe_building, names):
                _show(f"doe {name} 2017", table, args.out)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
