"""The bad-input probes of scripts/probe_inputs.py, one row each, by the issue's class.

``expect`` holds the right exit codes; ``bad=False`` marks a probe whose input is fine (an exit 0
is then no flag).
"""

from __future__ import annotations

from probe_site import (
    EF,
    NOT_UTF8,
    TARIFF,
    TZ,
    Probe,
    bill_argv,
    bt,
    config,
    config_text,
    dup_row,
    first_run,
    fleet,
    fleet_duplicate,
    foreign,
    library,
    no_solver_lines,
    prices,
    scaled_tariff,
    site_csv,
    tariff_probe,
    toml,
    with_files,
    write,
)

PROBES: list[Probe] = [
    # 1. infeasible windows: PV beyond what a no-export site absorbs; import limits
    Probe(
        "1 feasibility",
        "no-export site, PV 6x the load (curtailment)",
        with_files(
            "",
            {"pv6.csv": site_csv(pv_scale=6.0)},
            config(
                "noexport",
                csv="pv6.csv",
                battery="power_kw = 30.0\nenergy_kwh = 60.0\nexport_limit_kw = 0.0\n",
            ),
        ),
        expect=(0,),
        bad=False,
    ),
    Probe(
        "1 feasibility",
        "import limit below the load (backtest)",
        config(
            "importlimit",
            battery="power_kw = 30.0\nenergy_kwh = 60.0\nimport_limit_kw = 20.0\n",
        ),
        expect=(0, 2, 3),
    ),
    Probe(
        "1 feasibility",
        "optimize_dispatch, import limit below the load (library)",
        library(
            "import pandas as pd\nfrom optimizer import Battery, optimize_dispatch\n"
            "from markets.tariff import tariff_from_urdb\n"
            f"t = tariff_from_urdb({TARIFF!r})\n"
            f"i = pd.date_range('2024-03-01', periods=24, freq='1h', tz='{TZ}')\n"
            "b = Battery(power_kw=10, energy_kwh=20, import_limit_kw=30)\n"
            "optimize_dispatch(battery=b, tariff=t, load_kw=pd.Series(50.0, index=i))\n"
            "print('solved')"
        ),
    ),
    # 2. solver output on stdout
    Probe(
        "2 quiet stdout",
        "backtest stdout has no solver lines, < 40 lines",
        lambda r: bt(r, "site.toml", "out-quiet"),
        expect=(0,),
        bad=False,
        check=no_solver_lines,
    ),
    Probe(
        "2 quiet stdout",
        "backtest -q: stdout is the summary, stderr empty",
        lambda r: [*bt(r, "site.toml", "out-quiet-q"), "-q"],
        expect=(0,),
        bad=False,
        check=lambda out, err: f"stderr: {err.strip()[:80]}" if err.strip() else None,
    ),
    # 3. unusable --out
    Probe("3 --out", "--out is a file", lambda r: bt(r, "site.toml", "a_file")),
    Probe("3 --out", "--out below a file", lambda r: bt(r, "site.toml", "a_file/sub")),
    Probe(
        "3 --out",
        "--out cannot be created (/proc)",
        lambda r: ["backtest", str(r / "site.toml"), "--out", "/proc/valuestack-out"],
    ),
    Probe("3 --out", "--out missing", lambda r: ["backtest", str(r / "site.toml")]),
    # 4. reused output folders
    Probe("4 reuse", "earlier results, no --force", first_run),
    Probe(
        "4 reuse",
        "earlier results, --force (replaced whole)",
        lambda r: [*first_run(r), "--force"],
        expect=(0,),
        bad=False,
        check=lambda out, err: None,
    ),
    Probe("4 reuse", "a folder of other files, --force", foreign),
    # 5. fleet
    Probe(
        "5 fleet",
        "one broken config among three (found up front)",
        fleet(["fa", "fb", "fc"], {"fb": "power_kw = -30.0"}, out="fleet-broken"),
    ),
    Probe("5 fleet", "two configs with the same file name", fleet_duplicate),
    Probe(
        "5 fleet",
        "a config file that does not exist",
        lambda r: ["fleet", str(r / "nope.toml"), "--out", str(r / "fleet-nope")],
    ),
    Probe(
        "5 fleet",
        "--workers 0",
        lambda r: [
            "fleet",
            str(r / "site.toml"),
            "--out",
            str(r / "fleet-w0"),
            "--workers",
            "0",
        ],
    ),
    Probe(
        "5 fleet",
        "output folder locked by another fleet run",
        lambda r: ["fleet", str(r / "site.toml"), "--out", str(r / "fleet-locked")],
        hold_lock="fleet-locked",
    ),
    Probe(
        "5 fleet",
        "--dask without the scheduler (unreachable address)",
        lambda r: [
            "fleet",
            str(r / "site.toml"),
            "--out",
            str(r / "fleet-dask"),
            "--dask",
            "tcp://127.0.0.1:9",
        ],
        expect=(1, 2),
    ),
    # 6. plausibility
    Probe(
        "6 plausibility",
        "load in W instead of kW (x1000)",
        with_files(
            "", {"watts.csv": site_csv(load_scale=1000.0)}, config("watts", csv="watts.csv")
        ),
    ),
    Probe(
        "6 plausibility",
        "bill: a 150 kW-median office's load in W (x3500 here)",
        with_files(
            "",
            {"watts_office.csv": site_csv(load_scale=3500.0)},
            lambda r: bill_argv(r / "tariff.json", r / "watts_office.csv"),
        ),
    ),
    Probe(
        "6 plausibility",
        "bill: load in W instead of kW",
        with_files(
            "",
            {"watts_bill.csv": site_csv(load_scale=1000.0)},
            lambda r: bill_argv(r / "tariff.json", r / "watts_bill.csv"),
        ),
    ),
    Probe(
        "6 plausibility",
        "battery of 1e12 kW",
        config("huge", battery="power_kw = 1e12\nenergy_kwh = 2e12\n"),
    ),
    Probe("6 plausibility", "tariff {} (empty record)", tariff_probe("empty_tariff", {})),
    Probe(
        "6 plausibility",
        "tariff: a URDB API error payload",
        tariff_probe(
            "api_error", {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key"}}
        ),
    ),
    Probe(
        "6 plausibility",
        "tariff rates x1000 ($/MWh as $/kWh)",
        tariff_probe("x1000", scaled_tariff(1000.0)),
    ),
    Probe(
        "6 plausibility",
        "tariff with a negative energy rate",
        tariff_probe("negative", scaled_tariff(-1.0)),
    ),
    Probe(
        "6 plausibility",
        "negative rates with --allow-negative-rates",
        lambda r: [
            *tariff_probe("negative2", scaled_tariff(-1.0))(r),
            "--allow-negative-rates",
        ],
        expect=(0,),
        bad=False,
    ),
    Probe(
        "6 plausibility",
        "market prices in $/MWh declared as usd_per_kwh",
        prices("usd_per_kwh", 1.0),
    ),
    Probe(
        "6 plausibility",
        "market prices in $/MWh declared as usd_per_mwh (right)",
        prices("usd_per_mwh", 1.0),
        expect=(0,),
        bad=False,
    ),
    Probe(
        "6 plausibility",
        "battery 100 kW / 0.001 kWh (0.00001 h)",
        config("tiny", battery="power_kw = 100.0\nenergy_kwh = 0.001\n"),
    ),
    Probe(
        "6 plausibility",
        "load in W declared large on purpose: a 30 kW battery is 0.03 % of its peak",
        with_files(
            "",
            {"watts_large.csv": site_csv(load_scale=1000.0)},
            config("wattslarge", csv="watts_large.csv", site_extra="allow_large_load = true\n"),
        ),
    ),
    Probe(
        "6 plausibility",
        "battery 30 kW / 60,000 kWh (2,000 h: kWh given in Wh)",
        config("wh", battery="power_kw = 30.0\nenergy_kwh = 60000.0\n"),
    ),
    Probe(
        "6 plausibility",
        "battery 30 kW / 7.5 kWh (a real 15-min battery)",
        config("quarter", battery="power_kw = 30.0\nenergy_kwh = 7.5\n"),
        expect=(0,),
        bad=False,
    ),
    Probe(
        "6 plausibility",
        "bill: a 41 MW-median load with --allow-large-load (said on purpose)",
        with_files(
            "",
            {"large_bill.csv": site_csv(load_scale=1000.0)},
            lambda r: bill_argv(r / "tariff.json", r / "large_bill.csv", "--allow-large-load"),
        ),
        expect=(0,),
        bad=False,
    ),
    # 7. used to end in a traceback
    Probe(
        "7 traceback",
        "non-UTF-8 TOML",
        lambda r: [
            "backtest",
            str(write(r, "latin1.toml", NOT_UTF8 + toml().encode())),
            "--out",
            str(r / "o-latin1"),
        ],
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 tariff JSON (bill)",
        lambda r: bill_argv(write(r, "latin1.json", b'{"name": "caf\xe9"}'), r / "site.csv"),
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 CSV (bill)",
        lambda r: bill_argv(
            r / "tariff.json", write(r, "latin1.csv", NOT_UTF8 + site_csv().encode())
        ),
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 CSV (forecast-eval)",
        lambda r: [
            *EF,
            str(write(r, "latin1b.csv", NOT_UTF8 + site_csv().encode())),
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "non-UTF-8 load CSV (backtest)",
        with_files(
            "",
            {"latin1c.csv": NOT_UTF8 + site_csv().encode()},
            config("latin1csv", csv="latin1c.csv"),
        ),
    ),
    Probe(
        "7 traceback",
        "empty CSV (bill)",
        lambda r: ["bill", str(r / "tariff.json"), str(r / "empty.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "header-only CSV (bill)",
        lambda r: ["bill", str(r / "tariff.json"), str(r / "header_only.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "empty CSV (forecast-eval)",
        lambda r: [*EF, str(r / "empty.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "header-only CSV (forecast-eval)",
        lambda r: [*EF, str(r / "header_only.csv"), "--tz", TZ],
    ),
    Probe("7 traceback", "empty load CSV (backtest)", config("emptycsv", csv="empty.csv")),
    Probe(
        "7 traceback",
        "site.start ambiguous in DST (2024-11-03 01:30)",
        config("ambiguous", site_extra='start = "2024-11-03 01:30"\n'),
    ),
    Probe(
        "7 traceback",
        "site.start nonexistent in DST (2024-03-10 02:30)",
        config("nonexistent", site_extra='start = "2024-03-10 02:30"\n'),
    ),
    Probe(
        "7 traceback",
        "site.start not a date",
        config("notadate", site_extra='start = "yesterday"\n'),
    ),
    Probe(
        "7 traceback",
        "site.end before site.start",
        config("endfirst", site_extra='start = "2024-03-03"\nend = "2024-03-02"\n'),
    ),
    Probe(
        "7 traceback",
        "forecast-eval --every-h 0",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--every-h", "0"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --every-h -3",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--every-h", "-3"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --horizon-h nan",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--horizon-h", "nan"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --start notadate",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--start", "notadate"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --tz Mars/Olympus",
        lambda r: [*EF, str(r / "site.csv"), "--tz", "Mars/Olympus"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --forecasters bogus",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--forecasters", "bogus"],
    ),
    Probe(
        "7 traceback",
        "forecast-eval --column missing",
        lambda r: [*EF, str(r / "site.csv"), "--tz", TZ, "--column", "nope_kw"],
    ),
    Probe(
        "7 traceback",
        "bill --tz Mars/Olympus",
        lambda r: bill_argv(r / "tariff.json", r / "site.csv", tz="Mars/Olympus"),
    ),
    Probe(
        "7 traceback",
        "bill: CSV with a duplicate timestamp",
        lambda r: bill_argv(r / "tariff.json", write(r, "dup.csv", dup_row(site_csv()))),
    ),
    Probe(
        "7 traceback",
        "bill: CSV with a NaN reading",
        lambda r: bill_argv(
            r / "tariff.json", write(r, "nan.csv", site_csv().replace(",40.0", ",nan", 1))
        ),
    ),
    Probe(
        "7 traceback",
        "bill: tariff file missing",
        lambda r: ["bill", str(r / "nope.json"), str(r / "site.csv"), "--tz", TZ],
    ),
    Probe(
        "7 traceback",
        "bill: tariff not JSON",
        lambda r: [
            "bill",
            str(write(r, "notjson.json", "{not json")),
            str(r / "site.csv"),
            "--tz",
            TZ,
        ],
    ),
    Probe(
        "7 traceback",
        "Ctrl-C during a backtest (SIGINT; a 120-day site)",
        with_files("", {"long.csv": site_csv(days=120)}, config("ctrlc", csv="long.csv")),
        expect=(130,),
        interrupt_after_s=1.0,
    ),
    # configuration errors (the issue found them exemplary; kept as a regression)
    Probe(
        "7 config",
        "unknown key battery.bogus",
        config_text("unknownkey", lambda t: t.replace("[battery]\n", "[battery]\nbogus = 1\n")),
    ),
    Probe(
        "7 config",
        "battery.energy_kwh = 0",
        config("zeroenergy", battery="power_kw = 30.0\nenergy_kwh = 0.0\n"),
    ),
    Probe(
        "7 config",
        "battery.power_kw as a string",
        config("strpower", battery='power_kw = "30"\nenergy_kwh = 60.0\n'),
    ),
    Probe(
        "7 config",
        "soc_min_fraction above soc_max_fraction",
        config(
            "socorder",
            battery="power_kw = 30.0\nenergy_kwh = 60.0\n"
            "soc_min_fraction = 0.9\nsoc_max_fraction = 0.5\n",
        ),
    ),
    Probe(
        "7 config",
        "site.timezone bogus",
        config_text("badtz", lambda t: t.replace(TZ, "Mars/Olympus")),
    ),
    Probe(
        "7 config",
        "forecast.load unknown forecaster",
        config_text(
            "badfc", lambda t: t.replace('load = "seasonal_naive"', 'load = "crystal_ball"')
        ),
    ),
    Probe("7 config", "dispatch.step 7min", config("step7", extra='step = "7min"\n')),
    Probe(
        "7 config",
        "TOML syntax error",
        lambda r: [
            "backtest",
            str(write(r, "syntax.toml", "[site\nname = 1\n")),
            "--out",
            str(r / "o-syntax"),
        ],
    ),
    Probe(
        "7 config",
        "config is a folder",
        lambda r: ["backtest", str(r), "--out", str(r / "o-folder")],
    ),
    Probe("7 config", "load CSV missing", config("missingcsv", csv="nope.csv")),
    Probe(
        "7 config",
        "finance.discount_rate_fraction = 7 (percent as fraction)",
        config("rate7", extra="\n[finance]\ndiscount_rate_fraction = 7.0\n"),
    ),
    # 8. CLI conveniences
    Probe("8 cli", "--version", ["--version"], expect=(0,), bad=False),
    Probe(
        "8 cli",
        "-v after the subcommand",
        lambda r: bill_argv(r / "tariff.json", r / "site.csv", "-v"),
        expect=(0,),
        bad=False,
    ),
    Probe("8 cli", "--log-level bogus", ["--log-level", "bogus", "bill", "a", "b"]),
    Probe("8 cli", "no subcommand", []),
    Probe("8 cli", "unknown subcommand", ["simulate"]),
    Probe("8 cli", "unknown option", lambda r: ["backtest", str(r / "site.toml"), "--outt", "x"]),
    Probe(
        "8 cli",
        "backtest --help has no rst markup",
        ["backtest", "--help"],
        expect=(0,),
        bad=False,
        check=lambda out, err: "``" if "``" in out or ":class:" in out else None,
    ),
]
