"""Relative plausibility: a load in W, a battery out of proportion to its site or to itself.

One test per class of bad input; each quotes the number that tripped the check. The expected
figures are worked out here from the data the test writes (numpy on the CSV), not read back
from the checks.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from core import plausibility as p
from core.errors import InputError
from sims.cli import main
from sims.config import load_config
from sims.sitedata import load_site_data
from tests.sims.helpers import TZ, write_site


def _scale_load(site, factor: float) -> pd.Series:
    """Multiply the site CSV's load column by ``factor`` (a unit error); return it."""
    csv = site.parent / "site.csv"
    frame = pd.read_csv(csv)
    frame["load_kw"] *= factor
    frame.to_csv(csv, index=False)
    return frame["load_kw"]


# -- 1. a small site's load in W (median 10-100 MW as kW) ------------------------------------
def test_small_site_load_in_watts_is_refused_unless_large_is_allowed(tmp_path, capsys):
    site = write_site(tmp_path, days=2)  # an office of about 40-100 kW
    load_w = _scale_load(site, 1000.0)
    median_kw = float(np.median(load_w))
    # between the opt-in threshold and the absolute limit: the case today's limit missed
    assert p.LARGE_MEDIAN_LOAD_KW < median_kw < p.MAX_MEDIAN_LOAD_KW
    with pytest.raises(InputError, match="site.load_csv.load_kw") as info:
        load_site_data(load_config(site))
    text = str(info.value)
    assert f"median load {median_kw:,.0f} kW" in text and "site.allow_large_load" in text
    assert f"{median_kw / 1000:.4g} kW" in text  # what it would be in kW (tens of kW)

    # the bill command has no battery to compare with: the same rule, the same opt-in flag
    argv = ["bill", str(tmp_path / "tariff.json"), str(site.parent / "site.csv")]
    argv += ["--column", "load_kw", "--tz", TZ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"median load {median_kw:,.0f} kW" in err and "--allow-large-load" in err
    assert "Traceback" not in err
    assert main([*argv, "--allow-large-load"]) == 0  # a 45 MW data center, said on purpose


# -- 2. a battery out of proportion to the site's peak ------------------------------------------
def test_battery_far_below_the_peak_is_refused_naming_both(tmp_path):
    # the same load in W, declared large on purpose: now its 30 kW battery gives it away
    site = write_site(tmp_path, days=2, battery="power_kw = 30.0\nenergy_kwh = 60.0\n")
    peak_kw = float(_scale_load(site, 1000.0).max())
    site.write_text(site.read_text().replace("[site]\n", "[site]\nallow_large_load = true\n"))
    with pytest.raises(InputError, match="battery.power_kw") as info:
        load_site_data(load_config(site))
    text = str(info.value)
    percent = 100 * 30.0 / peak_kw  # about 0.03 %: under the 0.1 % floor
    assert percent < 100 * p.MIN_BATTERY_POWER_TO_PEAK_LOAD
    assert f"{percent:.2g} %" in text and f"{peak_kw:,.0f} kW" in text and "30 kW" in text
    assert "load in W" in text


def test_battery_10_to_100_times_the_peak_is_a_warning(tmp_path, caplog):
    # a front-of-meter battery beside a small station load is real: warn with the numbers
    site = write_site(tmp_path, days=2, battery="power_kw = 2000.0\nenergy_kwh = 4000.0\n")
    peak_kw = float(pd.read_csv(tmp_path / "site.csv")["load_kw"].max())
    ratio = 2000.0 / peak_kw
    assert p.WARN_BATTERY_POWER_TO_PEAK_LOAD < ratio < p.MAX_BATTERY_POWER_TO_PEAK_LOAD
    with caplog.at_level(logging.WARNING, logger="core.plausibility"):
        data = load_site_data(load_config(site))
    assert data.load_kw.max() == pytest.approx(peak_kw)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"{100 * ratio:,.0f} %" in m and f"{peak_kw:.4g} kW" in m for m in warned)


# -- 3. a battery duration no storage has ---------------------------------------------------
@pytest.mark.parametrize(
    ("power_kw", "energy_kwh", "shown"),
    [
        (100.0, 0.001, "1e-05 h (0.036 s)"),  # 0.001 kWh / 100 kW = 1e-5 h = 0.036 s
        (100.0, 5.0, "0.05 h (3 min)"),  # a 20C rate: twice the 6-minute floor
        (30.0, 60_000.0, "2,000 h"),  # a 2 h battery whose kWh are Wh
    ],
    ids=["3.6-second", "3-minute", "kWh-in-Wh"],
)
def test_impossible_duration_is_refused_naming_both_fields(tmp_path, power_kw, energy_kwh, shown):
    site = write_site(
        tmp_path, days=2, battery=f"power_kw = {power_kw}\nenergy_kwh = {energy_kwh}\n"
    )
    with pytest.raises(InputError) as info:
        load_site_data(load_config(site))
    text = str(info.value)
    assert text.startswith("battery.energy_kwh, battery.power_kw:")
    assert f"= {shown}" in text


@pytest.mark.parametrize(
    ("energy_kwh", "warned"), [(7.5, False), (3000.0, True)], ids=["15-minute", "100-hour"]
)
def test_real_short_and_long_batteries_are_accepted(tmp_path, caplog, energy_kwh, warned):
    # 7.5 kWh / 30 kW = 0.25 h (a frequency-response battery); 3000 / 30 = 100 h (iron-air)
    site = write_site(tmp_path, days=2, battery=f"power_kw = 30.0\nenergy_kwh = {energy_kwh}\n")
    with caplog.at_level(logging.WARNING, logger="core.plausibility"):
        load_site_data(load_config(site))
    messages = [r.getMessage() for r in caplog.records if r.name == "core.plausibility"]
    assert bool(messages) is warned
    if warned:
        assert "= 100 h" in messages[0] and "longer than 24 h" in messages[0]


# -- 4. times in messages are ISO strings -------------------------------------------------------
def test_site_start_and_end_read_as_iso_in_messages(tmp_path):
    site = write_site(tmp_path, days=2)  # hourly from 2024-03-01 00:00 (UTC-08:00)
    text = site.read_text()
    off_grid = text.replace("[site]\n", '[site]\nstart = "2024-03-01 00:30"\n')
    site.write_text(off_grid)
    with pytest.raises(InputError) as info:
        load_site_data(load_config(site))
    message = str(info.value)
    assert "Timestamp(" not in message
    assert message.startswith("site.start: got 2024-03-01T00:30:00-08:00;")
    assert "first: 2024-03-01T01:00:00-08:00" in message
    site.write_text(
        text.replace("[site]\n", '[site]\nstart = "2024-03-02 00:00"\nend = "2024-03-01 00:00"\n')
    )
    with pytest.raises(InputError) as info:
        load_config(site)
    message = str(info.value)
    assert "Timestamp(" not in message
    assert message.startswith("site.end: got 2024-03-01T00:00:00-08:00;")
    assert "(2024-03-02T00:00:00-08:00)" in message
