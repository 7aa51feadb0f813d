"""Battery sizing (issue 13) on the example and the three DOE reference buildings.

    python scripts/size_sites.py [--data ../shared/data] [--out out/sizing] [--workers 2]
                                 [--only NAME ...] [--short] [--render-only]

(``--data`` defaults to ``$VALUESTACK_SHARED_DATA``, else ``shared/data`` beside the project.)

Sites, as in ``scripts/capture_sites.py``:

1. ``example_office``: ``examples/site.toml`` as it is (15 min; its ``[finance]``);
2. the three DOE reference buildings (:data:`sims.reference.DOE_SITES`), 2017 hourly, with the
   capture script's forecasts (``gradient_boosting`` where the data covers its 56-day warm-up
   and a month, else ``seasonal_naive_week``; ``load_quantile = 0.9``; daily 48 h plans) and
   the example's ``[finance]`` table (the DOE configurations carry none).

Every site gets the default ``[sizing]`` (10, 20, 30, 40 % of the annual peak x 1, 2, 3, 4 h,
top 3, the hourly LP); ``--short`` runs one month after the warm-up on a 2 x 2 grid (10 and
20 % x 1 and 2 h, top 2). Each site's result folder (``OUT/<site>/``: report.html,
candidates.csv, sizing.json, manifest.json) is written by :func:`sims.sizing_outputs.
write_sizing_outputs`; the table over sites (``OUT/sizing.md`` / ``.csv``) is printed.
``--render-only`` rewrites folders and table from each site's saved ``result.pkl``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import pickle
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sims.capture import markdown_table, period_end, toml_text  # noqa: E402
from sims.forecasts import WARMUP_DAYS  # noqa: E402
from sims.reference import DOE_SITES, write_series_csv  # noqa: E402

logger = logging.getLogger("size_sites")

EXAMPLE = REPO / "examples" / "site.toml"
ML_FORECASTER = "gradient_boosting"
FALLBACK_FORECASTER = "seasonal_naive_week"
SHORT_SIZING = {
    "power_fraction_of_peak": [0.1, 0.2],
    "duration_h": [1.0, 2.0],
    "top_k": 2,
}


def _toml(tables: dict[str, dict[str, object]]) -> str:
    """TOML of flat tables; the ``[sizing]`` table may hold lists of numbers."""
    sizing = tables.pop("sizing", {})
    lines = ["[sizing]"]
    for key, value in sizing.items():
        text = "[" + ", ".join(repr(v) for v in value) + "]" if isinstance(value, list) else None
        lines.append(f"{key} = {text}" if text else toml_text({"x": {key: value}}).split("\n")[1])
    return toml_text(tables) + "\n".join(lines) + "\n"


def _forecaster(load: pd.Series, end: pd.Timestamp | None) -> str:
    last = load.index[-1] if end is None else end
    if last - load.index[0] >= pd.Timedelta(days=WARMUP_DAYS[ML_FORECASTER] + 31):
        return ML_FORECASTER
    return FALLBACK_FORECASTER


def _end(first: pd.Timestamp, warm_days: int, short: bool) -> pd.Timestamp | None:
    return period_end(first + pd.Timedelta(days=warm_days), 1) if short else None


def example_config(out: Path, short: bool, workers: int) -> Path:
    """``examples/site.toml`` with absolute paths and a ``[sizing]`` table."""
    raw = tomllib.loads(EXAMPLE.read_text())
    for key in ("load_csv", "pv_csv"):
        raw["site"][key] = str((EXAMPLE.parent / raw["site"][key]).resolve())
    raw["tariff"]["urdb_json"] = str((EXAMPLE.parent / raw["tariff"]["urdb_json"]).resolve())
    if short:
        stamps = pd.read_csv(raw["site"]["load_csv"], usecols=[raw["site"]["timestamp_column"]])
        first = pd.Timestamp(stamps.iloc[0, 0]).tz_convert(raw["site"]["timezone"])
        end = _end(first, WARMUP_DAYS[raw["forecast"]["load"]], short)
        raw["site"]["end"] = end.tz_localize(None).isoformat()
    raw["sizing"] = {**(SHORT_SIZING if short else {}), "workers": workers}
    folder = out / "sites" / "example_office"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "example_office.toml"
    path.write_text(_toml(raw))
    return path


def doe_configs(data: Path, out: Path, short: bool, workers: int) -> list[Path]:
    """The three DOE buildings, 2017 hourly, with the example's finance."""
    finance = tomllib.loads(EXAMPLE.read_text())["finance"]
    paths = []
    for doe in DOE_SITES:
        load = doe.read_load(data)
        end = _end(load.index[0], WARMUP_DAYS[ML_FORECASTER], short)
        forecaster = _forecaster(load, end)
        site: dict[str, object] = {
            "name": doe.name,
            "timezone": doe.timezone,
            "load_csv": "load.csv",
        }
        if end is not None:
            site["end"] = end.tz_localize(None).isoformat()
        tables = {
            "site": site,
            "tariff": {
                "urdb_json": str((data / "reopt" / "urdb" / doe.tariff_file).resolve()),
                "holiday_country": "US",
            },
            "battery": {
                "power_kw": 100.0,
                "energy_kwh": 200.0,
                "soc_min_fraction": 0.1,
                "initial_soc_fraction": 0.5,
            },
            "forecast": {"load": forecaster, "load_quantile": 0.9},
            "dispatch": {"cadence": "daily", "lookahead_h": 48, "fallback": "peak_guard"},
            "finance": finance,
            "sizing": {**(SHORT_SIZING if short else {}), "workers": workers},
        }
        folder = out / "sites" / doe.name
        folder.mkdir(parents=True, exist_ok=True)
        write_series_csv(load.to_frame(), folder / "load.csv")
        path = folder / f"{doe.name}.toml"
        path.write_text(_toml(tables))
        paths.append(path)
    return paths


def run_site(path: Path, out: Path) -> None:
    """Size one site; save its result (``result.pkl``) and write its folder."""
    from sims.sizing import size_battery
    from sims.sizing_config import load_sizing_config

    config, sizing = load_sizing_config(path)
    started = time.perf_counter()
    result = size_battery(config, sizing)
    logger.info("%s: sized in %.0f s", path.stem, time.perf_counter() - started)
    saved = out / "pickles" / f"{path.stem}.pkl"
    saved.parent.mkdir(parents=True, exist_ok=True)
    with saved.open("wb") as handle:
        pickle.dump((str(path), result), handle)
    render(saved, out)


def render(saved: Path, out: Path) -> None:
    """Write a site's folder from its saved result."""
    from sims.sizing_config import load_sizing_config
    from sims.sizing_outputs import write_sizing_outputs

    with saved.open("rb") as handle:
        path, result = pickle.load(handle)
    config, sizing = load_sizing_config(path)
    if result.lp is not None and getattr(result, "lp_at_pf_best", None) is None:
        result = _complete_lp_check(config, sizing, result)
        with saved.open("wb") as handle:
            pickle.dump((path, result), handle)
    write_sizing_outputs(result, out / result.site, config=config)


def _complete_lp_check(config, sizing, result):
    """Add the LP at the screen's best and the LP-priced best to a result saved before them."""
    from sims.sitedata import load_site_data
    from sims.sizing import lp_check, lp_priced_best

    table = result.candidates
    row = table[
        (table["power_kw"] == result.pf_best[0]) & (table["energy_kwh"] == result.pf_best[1])
    ].iloc[0]
    fixed = lp_check(
        config,
        load_site_data(config),
        start=str(row["pf_start"]),
        end=str(row["pf_end"]),
        hourly=sizing.lp_step == "1h",
        fixed_size=result.pf_best,
    )
    return dataclasses.replace(
        result,
        lp_at_pf_best=fixed,
        lp_finance_best=lp_priced_best(table, config.finance, result.lp),
    )


def site_row(result) -> dict[str, object]:
    """One line of the table over sites."""
    from sims.sizing_outputs import summary_payload

    s = summary_payload(result)
    return {
        "site": result.site,
        "peak_kw": result.peak_kw,
        "recommended_kw": s["recommended"]["power_kw"],
        "recommended_kwh": s["recommended"]["energy_kwh"],
        "fc_npv_usd": s["recommended"]["fc_npv_usd"],
        "fc_irr": s["recommended"]["fc_irr_fraction"],
        "pf_npv_usd": s["recommended"]["pf_npv_usd"],
        "pf_irr": s["recommended"]["pf_irr_fraction"],
        "pf_best_kw": s["pf_best"]["power_kw"],
        "pf_best_kwh": s["pf_best"]["energy_kwh"],
        "pf_winner_rank_fc": s["ranking"].get("pf_winner_rank_under_forecasts"),
        "lp_kw": s["lp"]["power_kw"] if s["lp"] else None,
        "lp_kwh": s["lp"]["energy_kwh"] if s["lp"] else None,
        "lp_within_one_step": s["lp_within_one_step"],
        "runtime_s": result.timings["total_s"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = os.environ.get("VALUESTACK_SHARED_DATA", REPO.parent / "shared" / "data")
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--out", type=Path, default=None, help="default out/sizing[_short]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="site names to run")
    parser.add_argument("--short", action="store_true", help="one month, 2 x 2 grid")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    out = args.out or REPO / "out" / ("sizing_short" if args.short else "sizing")
    out.mkdir(parents=True, exist_ok=True)
    if not args.render_only:
        paths = [example_config(out, args.short, args.workers)]
        paths += doe_configs(args.data, out, args.short, args.workers)
        if args.only:
            paths = [p for p in paths if p.stem in args.only]
        for path in paths:
            try:
                run_site(path, out)
            except Exception:  # one site's failure is logged; the others go on
                logger.exception("%s failed", path.stem)
    rows = []
    for saved in sorted((out / "pickles").glob("*.pkl")):
        if args.render_only:
            render(saved, out)
        with saved.open("rb") as handle:
            rows.append(site_row(pickle.load(handle)[1]))
    table = pd.DataFrame(rows)
    table.to_csv(out / "sizing.csv", index=False)
    text = markdown_table(table)
    (out / "sizing.md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
