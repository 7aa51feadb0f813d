"""Run the benchmark suite: ``python -m benchmarks [--short] [--out DIR] [--only NAME ...]``.

Each module in :data:`SUITES` exposes ``run(short: bool) -> list[dict]``; every row is a flat
dict with at least ``suite`` and ``case`` keys and numeric timing fields in seconds
(``*_s``) or ratios (``*_ratio``). All rows are written to ``DIR/benchmarks.json`` and printed
as one table per suite. Timings are wall-clock on a shared machine: compare ratios taken in the
same run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

SUITES: tuple[str, ...] = (
    "benchmarks.bench_bill",
    "benchmarks.bench_meter",
    "benchmarks.bench_dispatch",
    "benchmarks.bench_backtest",
    "benchmarks.bench_forecast",
    "benchmarks.bench_fleet",
    "benchmarks.bench_sizing",
)


def _format_table(rows: list[dict]) -> str:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key != "suite" and key not in columns:
                columns.append(key)

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    cells = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _groups(rows: list[dict]) -> list[list[dict]]:
    """Consecutive rows with the same fields, one table each."""
    groups: list[list[dict]] = []
    for row in rows:
        if groups and list(groups[-1][0]) == list(row):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def main(argv: list[str] | None = None) -> int:
    """Run the selected suites, write JSON, print tables; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--short", action="store_true", help="small sizes, for CI")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--only", nargs="*", default=None, help="suite names to run")
    args = parser.parse_args(argv)

    suites = [s for s in SUITES if args.only is None or s.rsplit(".", 1)[-1] in args.only]
    all_rows: list[dict] = []
    for name in suites:
        started = time.perf_counter()
        rows = importlib.import_module(name).run(short=args.short)
        print(f"\n## {name} ({time.perf_counter() - started:.1f} s)")
        print("\n\n".join(_format_table(group) for group in _groups(rows)))
        all_rows += rows
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "short": args.short,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "rows": all_rows,
    }
    (args.out / "benchmarks.json").write_text(json.dumps(payload, indent=2))
    print(f"\nwrote {args.out / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
