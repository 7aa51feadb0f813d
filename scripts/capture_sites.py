"""Capture of the prescient bound per site: the measurement of issue 9 ("Done means").

    python scripts/capture_sites.py [--data ../shared/data] [--out out/capture] [--workers 2]
                                    [--only NAME ...] [--months N]

(``--data`` defaults to ``$VALUESTACK_SHARED_DATA``, else ``shared/data`` beside the project.)

Sites (all hourly except the example, which keeps its own 15-min data):

1. ``example_office``: ``examples/site.toml`` (its relative paths resolved against
   ``examples/``; ``site.end`` added with ``--months``) with the load forecaster every site
   gets (below: its year of data allows the ML forecaster; the example's own configuration
   keeps the faster ``seasonal_naive_week`` for the README's first command);
2. the three DOE reference buildings of ``scripts/run_reference_sites.py``
   (:data:`sims.reference.DOE_SITES`: SF medium office / PG&E E-19, LA retail / SCE GS-2 TOU-B,
   Houston hospital / Entergy LPS-TOU), 2017, hourly; battery power 20 % of the annual peak
   rounded to 5 kW, 2 h;
3. REAL metered Cambridge university buildings (``meters/cambridge/electricity_2019``, hourly
   2019) on US C&I tariffs (:data:`sims.capture.CAMBRIDGE_TARIFFS`), paired by size class with
   :func:`sims.capture.pair_buildings`: buildings with at most 1 % of hours missing, in order
   of (missing hours, annual peak); each tariff in turn (PG&E E-19 500-999 kW, SCE TOU-8 D
   >= 500 kW, SDG&E AL-TOU > 500 kW, SMUD CI-TOD4 >= 1000 kW, SMUD CI-TOD3 500-999 kW) takes
   the first unassigned building whose 2019 metered peak fits. Battery as for the DOE sites.

UK timestamps on the US clock: the same local WALL-CLOCK hours re-labelled in the tariff's zone
(America/Los_Angeles for all five): the Europe/London hour starting at ``2019-06-03 08:00`` BST
becomes the Los Angeles hour starting at ``2019-06-03 08:00`` PDT. DST hours: London's missing
2019-03-31 01:00 is a gap (filled, counted); London's doubled 2019-10-27 01:00 keeps its first
(BST) reading; Los Angeles's missing 2019-03-10 02:00 leaves that UK reading unused; Los
Angeles's doubled 2019-11-03 01:00 repeats the one UK reading.

Gaps: the meter's zeros are missing readings; the reader
(:func:`forecasting.datasets.read_cambridge_building`) marks them and the partial hours beside
them (and each file's first hour) as missing. Every missing hour is FILLED with the same
wall-clock hour one week earlier (two weeks if that is missing too; in the first week, one week
later) and counted: column ``filled_h`` of the table. Nothing else is filled. The loads keep
their UK working calendar (UK bank holidays, term times) while the tariff bills US holidays on
its weekend schedule: a known mismatch of a few days a year.

Forecasts (written by :func:`site_tables`, the one place the config keys live):
``forecast.load = "gradient_boosting"`` where the data allows its 56-day warm-up, else
``"seasonal_naive_week"``; ``load_quantile = 0.9``; ``dispatch.cadence = "daily"``, 48 h
look-ahead. ``--months N`` ends every site N whole calendar months after the month its first
decision falls in (:func:`sims.capture.period_end`); default: the whole year.

Sites run as a fleet (:func:`sims.fleet.run_fleet`, process pool; a re-run skips finished
sites). The table (printed, and written as ``capture.csv`` and ``capture.md`` under ``--out``)
reads each site's ``summary.json``; the prescient-bound fields are NaN until the backtest
reports them. A folder remembers its ``--months`` (``capture_run.json``) and refuses another.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from forecasting.datasets import read_cambridge_building  # noqa: E402
from sims.capture import (  # noqa: E402
    CAMBRIDGE_TARIFFS,
    BuildingStats,
    capture_stats,
    markdown_table,
    pair_buildings,
    period_end,
    toml_text,
    uk_meter_on_us_clock,
)
from sims.fleet import run_fleet  # noqa: E402
from sims.forecasts import WARMUP_DAYS  # noqa: E402
from sims.reference import (  # noqa: E402
    DOE_SITES,
    battery_power_kw,
    write_series_csv,
)

logger = logging.getLogger("capture_sites")

EXAMPLE = REPO / "examples" / "site.toml"
CAMBRIDGE_YEAR = 2019
ML_FORECASTER = "gradient_boosting"
FALLBACK_FORECASTER = "seasonal_naive_week"


@dataclass(frozen=True)
class Site:
    """One site of the measurement: its written config and what the table says of it."""

    name: str
    config: Path
    tariff: str
    power_kw: float
    energy_kwh: float
    data: str
    filled_h: int = 0


def forecaster_for(index: pd.DatetimeIndex) -> str:
    """The ML forecaster when the data (labelled ``index``) covers its warm-up and a month
    more, else the fallback."""
    span = index[-1] - index[0]
    if span >= pd.Timedelta(days=WARMUP_DAYS[ML_FORECASTER] + 31):
        return ML_FORECASTER
    return FALLBACK_FORECASTER


def site_tables(
    *,
    name: str,
    timezone: str,
    tariff_json: Path,
    power_kw: float,
    forecaster: str,
    end: pd.Timestamp | None,
) -> dict[str, dict[str, object]]:
    """The configuration of a written site (load in ``load.csv`` beside it); edit keys here."""
    site: dict[str, object] = {"name": name, "timezone": timezone, "load_csv": "load.csv"}
    if end is not None:
        site["end"] = end.tz_localize(None).isoformat()
    return {
        "site": site,
        "tariff": {"urdb_json": str(tariff_json.resolve()), "holiday_country": "US"},
        "battery": {
            "power_kw": power_kw,
            "energy_kwh": 2 * power_kw,
            "soc_min_fraction": 0.1,
            "initial_soc_fraction": 0.5,
        },
        "forecast": {
            "load": forecaster,
            "load_quantile": 0.9,
            "compare_perfect_foresight": True,
        },
        "dispatch": {"cadence": "daily", "lookahead_h": 48, "fallback": "peak_guard"},
    }


def _end(load: pd.Series, forecaster: str, months: int | None) -> pd.Timestamp | None:
    if months is None:
        return None
    first = load.index[0] + pd.Timedelta(days=WARMUP_DAYS[forecaster])
    return period_end(first, months)


def _write(folder: Path, load: pd.Series, tables: dict[str, dict[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_series_csv(load.to_frame(), folder / "load.csv")
    path = folder / f"{folder.name}.toml"
    path.write_text(toml_text(tables))
    return path


def example_site(out: Path, months: int | None) -> Site:
    """``examples/site.toml`` with the load forecaster of every site (:func:`forecaster_for`:
    the ML forecaster, as its year of data allows), paths made absolute (``site.end`` set with
    months)."""
    raw = tomllib.loads(EXAMPLE.read_text())
    for key in ("load_csv", "pv_csv"):
        if key in raw["site"]:
            raw["site"][key] = str((EXAMPLE.parent / raw["site"][key]).resolve())
    raw["tariff"]["urdb_json"] = str((EXAMPLE.parent / raw["tariff"]["urdb_json"]).resolve())
    stamps = pd.read_csv(raw["site"]["load_csv"], usecols=[raw["site"]["timestamp_column"]])
    index = pd.DatetimeIndex(pd.to_datetime(stamps.iloc[:, 0], utc=True))
    raw["forecast"]["load"] = forecaster_for(index)
    if months is not None:
        first = index[0].tz_convert(raw["site"]["timezone"])
        warm = raw["forecast"].get("warmup_days", WARMUP_DAYS[raw["forecast"]["load"]])
        end = period_end(first + pd.Timedelta(days=warm), months)
        raw["site"]["end"] = end.tz_localize(None).isoformat()
    folder = out / "sites" / "example_office"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "example_office.toml"
    path.write_text(toml_text(raw))
    battery = raw["battery"]
    return Site(
        "example_office",
        path,
        Path(raw["tariff"]["urdb_json"]).stem,
        float(battery["power_kw"]),
        float(battery["energy_kwh"]),
        "examples/office_load.csv (synthetic, 15 min)",
    )


def doe_sites(data: Path, out: Path, months: int | None) -> list[Site]:
    """The three DOE reference buildings, 2017 hourly."""
    sites = []
    for doe in DOE_SITES:
        load = doe.read_load(data)
        power = battery_power_kw(float(load.max()))
        forecaster = forecaster_for(load.index)
        tables = site_tables(
            name=doe.name,
            timezone=doe.timezone,
            tariff_json=data / "reopt" / "urdb" / doe.tariff_file,
            power_kw=power,
            forecaster=forecaster,
            end=_end(load, forecaster, months),
        )
        path = _write(out / "sites" / doe.name, load, tables)
        tariff = doe.tariff_file.rsplit("_", 1)[0]
        sites.append(Site(doe.name, path, tariff, power, 2 * power, "DOE reference model 2017"))
    return sites


def cambridge_sites(data: Path, out: Path, months: int | None) -> list[Site]:
    """Metered Cambridge buildings paired with US tariffs by size class, 2019 hourly."""
    folder = data / "meters" / "cambridge" / "electricity_2019"
    readings = {}
    stats = []
    for path in sorted(folder.glob("UCam_Building_*_2019.csv")):
        name = path.stem.split("_")[2]
        meter = read_cambridge_building(path)
        readings[name] = meter
        peak = float(meter.load_kw.max())
        stats.append(BuildingStats(name, peak, meter.missing_count, len(meter.load_kw)))
    sites = []
    for building, tariff in pair_buildings(stats, CAMBRIDGE_TARIFFS):
        load, filled = uk_meter_on_us_clock(
            readings[building.name].load_kw, tariff.timezone, CAMBRIDGE_YEAR
        )
        name = f"cambridge_{building.name}_{tariff.key}"
        power = battery_power_kw(building.peak_kw)
        forecaster = forecaster_for(load.index)
        tables = site_tables(
            name=name,
            timezone=tariff.timezone,
            tariff_json=data / tariff.path,
            power_kw=power,
            forecaster=forecaster,
            end=_end(load, forecaster, months),
        )
        path = _write(out / "sites" / name, load, tables)
        note = f"Cambridge meter {building.name} 2019 (peak {building.peak_kw:.0f} kW)"
        sites.append(Site(name, path, tariff.key, power, 2 * power, note, filled))
        logger.info("%s: %d hours filled from the week before", name, filled)
    return sites


def _get(summary: dict, key: str) -> float:
    value = summary.get(key)
    return math.nan if value is None else float(value)


def table_row(site: Site, summary: dict) -> dict[str, object]:
    """One line of the table from a site's ``summary.json`` payload ``summary`` part."""
    return {
        "site": site.name,
        "tariff": site.tariff,
        "battery_kw": site.power_kw,
        "battery_kwh": site.energy_kwh,
        "data": site.data,
        "period": f"{summary.get('start', '')[:10]}..{summary.get('end', '')[:10]}",
        "filled_h": site.filled_h,
        "savings_usd": _get(summary, "total_savings_usd"),
        "demand_savings_usd": _get(summary, "demand_savings_usd"),
        "prescient_savings_usd": _get(summary, "prescient_savings_usd"),
        "prescient_demand_savings_usd": _get(summary, "prescient_demand_savings_usd"),
        "capture_of_prescient": _get(summary, "capture_of_prescient"),
        "demand_capture_of_prescient": _get(summary, "demand_capture_of_prescient"),
        "rolling_pf_capture": _get(summary, "capture_ratio"),
        "run_s": _get(summary.get("timings", {}), "total_s"),
    }


def _check_same_period(out: Path, months: int | None, parser: argparse.ArgumentParser) -> None:
    """Refuse to resume a folder run with another ``--months`` (finished sites are skipped)."""
    marker = out / "capture_run.json"
    if marker.is_file():
        earlier = json.loads(marker.read_text()).get("months")
        if earlier != months:
            parser.error(f"--out {out} holds a run with --months {earlier}; use another --out")
    out.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"months": months}))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = os.environ.get("VALUESTACK_SHARED_DATA", REPO.parent / "shared" / "data")
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--out", type=Path, default=None, help="default out/capture[_<N>m]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="site names to run")
    parser.add_argument("--months", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.months is not None:
        period_end(pd.Timestamp("2000-01-01"), args.months)  # validates --months first
    if args.out is None:
        suffix = "" if args.months is None else f"_{args.months}m"
        args.out = REPO / "out" / f"capture{suffix}"
    _check_same_period(args.out, args.months, parser)
    sites = [example_site(args.out, args.months)]
    sites += doe_sites(args.data, args.out, args.months)
    sites += cambridge_sites(args.data, args.out, args.months)
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in sites})
        if unknown:
            parser.error(f"--only: unknown sites {unknown}; known: {[s.name for s in sites]}")
        sites = [s for s in sites if s.name in args.only]
    results = args.out / "results"
    fleet = run_fleet([s.config for s in sites], results, max_workers=args.workers)
    rows = []
    for site in sites:
        path = results / site.name / "summary.json"
        if path.is_file():
            rows.append(table_row(site, json.loads(path.read_text())["summary"]))
    table = pd.DataFrame(rows)
    if table.empty:
        logger.error("no site finished (see %s)", results / "fleet_summary.csv")
        return 1
    stats = capture_stats(table)
    table.to_csv(args.out / "capture.csv", index=False)
    stats.to_csv(args.out / "capture_stats.csv", index_label="statistic")
    text = markdown_table(table) + "\n" + markdown_table(stats.reset_index(names="over sites"))
    (args.out / "capture.md").write_text(text)
    sys.stdout.write(text)
    return 1 if fleet.n_failed else 0


if __name__ == "__main__":
    sys.exit(main())
