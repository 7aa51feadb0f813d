"""Readers of the real CAISO / PJM / ISO-NE files, and the gap record (real files + small ones).

Expected values come from the files' own lines (hand-converted per MW -> per kW) and from the
figures their READMEs state (row counts, the CAISO 2025 gap, PJM means, RegA mileage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from markets.iso_files import (
    CAISO_AS_FILE,
    CAISO_LMP_FILE,
    read_caiso_as_da_csv,
    read_caiso_da_market,
    read_caiso_lmp_da_csv,
    read_isone_agc_signal_csv,
    read_pjm_rega_signal_csv,
    read_pjm_regulation_prices_2017_csv,
    read_pjm_regulation_results_csv,
    read_pjm_srmcp_csv,
)
from markets.price_gaps import (
    GappedPrices,
    combine,
    read_prices_csv_with_gaps,
    split_at_gaps,
)
from markets.prices import ENERGY_DA, PriceColumn, PriceUnit, read_prices_csv

LA = "America/Los_Angeles"
MWH = PriceUnit.USD_PER_MWH


@pytest.fixture(scope="module")
def markets_dir(shared_data):
    return shared_data / "markets"


# --------------------------------------------------------------------------- CAISO (real)


def test_caiso_as_file_read_whole_with_its_2025_gap(markets_dir):
    prices = read_caiso_as_da_csv(markets_dir / CAISO_AS_FILE)
    # README: one gap, 2025-04-06T06:00Z -> 2025-04-09T07:00Z, i.e. local 04-06 00:00 PDT
    # to 04-08 23:00 PDT missing: 3 days = 72 hourly intervals; 26,208 rows present.
    assert len(prices.segments) == 2
    assert len(prices.gaps) == 1
    gap = prices.gaps.iloc[0]
    assert gap["first_missing"] == pd.Timestamp("2025-04-06 00:00", tz=LA)
    assert gap["last_missing"] == pd.Timestamp("2025-04-08 23:00", tz=LA)
    assert gap["missing_intervals"] == 72
    assert sum(len(s.index) for s in prices.segments) == 26_208
    # first line: 2023-01-01T08:00Z, reg_up 7.32, reg_down 9.0, spin 5.08918 $/MW-h
    first = prices.segments[0].frame.iloc[0]
    assert prices.segments[0].index[0] == pd.Timestamp("2023-01-01 00:00", tz=LA)
    assert first["reg_up_usd_per_kw_h"] == pytest.approx(0.00732)
    assert first["reg_down_usd_per_kw_h"] == pytest.approx(0.009)
    assert first["spin_usd_per_kw_h"] == pytest.approx(0.00508918)


def test_the_strict_reader_still_refuses_the_gap_and_says_where_to_go(markets_dir):
    column = PriceColumn(source="reg_up", name="reg_up_usd_per_kw_h", unit=MWH)
    path = markets_dir / CAISO_AS_FILE
    with pytest.raises(InputError, match="read_prices_csv_with_gaps"):
        read_prices_csv(path, time_column="interval_start_utc", tz=LA, columns=[column])
    gapped = read_prices_csv_with_gaps(
        path, time_column="interval_start_utc", tz=LA, columns=[column]
    )
    assert gapped.n_missing == 72


def test_caiso_lmp_hub_column(markets_dir):
    prices = read_caiso_lmp_da_csv(markets_dir / CAISO_LMP_FILE, hub="TH_SP15")
    assert len(prices.gaps) == 0  # README: no gaps
    seg = prices.only()
    # first line: 2023-01-12T08:00Z, TH_SP15 138.44933 $/MWh
    assert seg.index[0] == pd.Timestamp("2023-01-12 00:00", tz=LA)
    assert seg.series(ENERGY_DA).iloc[0] == pytest.approx(0.13844933)
    with pytest.raises(InputError, match="hub"):
        read_caiso_lmp_da_csv(markets_dir / CAISO_LMP_FILE, hub="TH_XX")


def test_caiso_market_year_records_what_the_join_misses(markets_dir):
    y2023 = read_caiso_da_market(markets_dir, start="2023-01-01", end="2024-01-01")
    # LMP starts 2023-01-12 00:00 PST: 11 days x 24 h unpriced at the start of the year
    assert y2023.gaps["missing_intervals"].tolist() == [264]
    assert y2023.segments[0].index[0] == pd.Timestamp("2023-01-12 00:00", tz=LA)
    y2024 = read_caiso_da_market(markets_dir, start="2024-01-01", end="2025-01-01")
    assert len(y2024.gaps) == 0
    assert len(y2024.only().index) == 366 * 24  # leap year, absolute hours (DST-neutral)
    y2025 = read_caiso_da_market(markets_dir, start="2025-01-01", end="2026-01-01")
    # the AS gap (72 h) and Dec 31 (the AS file ends 2025-12-30 23:00 PST: 24 h)
    assert y2025.gaps["missing_intervals"].tolist() == [72, 24]
    assert sum(len(s.index) for s in y2025.segments) == 365 * 24 - 96
    assert set(y2025.columns) >= {ENERGY_DA, "reg_up_usd_per_kw_h", "nonspin_usd_per_kw_h"}


# --------------------------------------------------------------------------- PJM (real)


def test_pjm_srmcp_mad_misses_the_repeated_fallback_hour(markets_dir):
    path = markets_dir / "pjm_reserves_regulation" / "pjm_srmcp_hourly_2017.csv"
    rto = read_pjm_srmcp_csv(path, subzone="RTO_non_MAD")
    mad = read_pjm_srmcp_csv(path, subzone="MAD")
    # README: 8,760 hours for RTO_non_MAD, 8,759 for MAD
    assert len(rto.gaps) == 0 and len(rto.only().index) == 8760
    assert mad.n_missing == 1
    assert mad.gaps.iloc[0]["first_missing"] == pd.Timestamp("2017-11-05 06:00", tz="UTC")
    # README: max 465 $/MWh (in the MAD subzone)
    top = max(s.series("sync_reserve_usd_per_kw_h").max() for s in mad.segments)
    assert top == pytest.approx(0.4653)


def test_pjm_regulation_prices_split_into_capability_and_performance(markets_dir):
    path = markets_dir / "pjm_reserves_regulation" / "pjm_regulation_prices_2017-01_hourly.csv"
    prices = read_pjm_regulation_prices_2017_csv(path).only()
    raw = pd.read_csv(path)
    assert len(prices.index) == 743
    total = prices.series("reg_usd_per_kw_h") + prices.series("reg_mileage_usd_per_kw")
    # RMCP = RMCCP + RMPCP in every row (README): the file's own third column
    np.testing.assert_allclose(total.to_numpy(), raw["rmcp_usd_per_mwh"].to_numpy() / 1e3)


def test_pjm_regulation_results_prices_and_requirement(markets_dir):
    path = markets_dir / "pjm_reserves_regulation" / "pjm_regulation_market_results_2022-07.csv"
    results = read_pjm_regulation_results_csv(path)
    prices = results.prices.only()
    assert len(prices.index) == 744
    mcp = (prices.series("reg_usd_per_kw_h") + prices.series("reg_mileage_usd_per_kw")) * 1e3
    assert mcp.mean() == pytest.approx(53.4, abs=0.05)  # README: mean mcp 53.4 $/MW-h
    # first row: as_req_mw 525 -> 525,000 kW
    assert results.requirement_kw.iloc[0] == 525_000.0
    assert prices.index[0] == pd.Timestamp("2022-07-01 00:00", tz="America/New_York")


# --------------------------------------------------------------------------- signals (real)


def test_pjm_rega_signal_mileage_and_its_gap(markets_dir):
    path = markets_dir / "pjm_rega_signal_2017_08" / "pjm_rega_2s_2017-08-01_02_1600-2400.csv"
    signal = read_pjm_rega_signal_csv(path)
    values = signal.values["rega_fraction"]
    assert signal.step_s == 2.0
    day1 = values.loc["2017-08-01"].to_numpy()
    assert len(day1) == 4 * 3600 // 2 * 2  # 16:00-24:00 every 2 s
    # README: mileage (sum |diff|) over the 8 h of Aug 1 is 40.2
    assert np.abs(np.diff(day1)).sum() == pytest.approx(40.2, abs=0.05)
    # the 16 h between the windows are not in the file: one recorded gap, never filled
    assert len(signal.gaps) == 1
    assert signal.gaps.iloc[0]["missing_intervals"] == 16 * 3600 // 2
    assert values.isna().sum() == 16 * 3600 // 2


def test_isone_agc_signal_is_per_unit_with_its_empty_cells_recorded(markets_dir):
    path = markets_dir / "isone_agc_test_signal" / "isone_agc_setpoints_4s_10MW.csv"
    signal = read_isone_agc_signal_csv(path)
    assert signal.step_s == 4.0
    assert len(signal.values) == 86_400 // 4
    assert signal.values.abs().max().max() <= 1.0
    # the file's first row: 7.68004739407183 MW of a 10 MW fleet
    assert signal.values.iloc[0, 0] == pytest.approx(0.768004739407183)
    # the last 14 samples of two methods are empty in the file
    assert signal.gaps["missing_intervals"].tolist() == [14]
    assert "energy_neutral_trinary_fraction" not in signal.gaps.iloc[0]["missing_columns"]


# --------------------------------------------------------------------------- gap policy


def _frame(labels, values):
    index = pd.DatetimeIndex(labels).tz_localize("UTC").tz_convert(LA)
    return pd.DataFrame({"reg_up_usd_per_kw_h": values}, index=index)


def test_split_at_gaps_cuts_segments_and_records_the_hole():
    labels = ["2024-03-01 08:00", "2024-03-01 09:00", "2024-03-01 12:00", "2024-03-01 13:00"]
    gapped = split_at_gaps(_frame(labels, [1.0, 2.0, 3.0, 4.0]), field="t", source="f.csv")
    assert [len(s.index) for s in gapped.segments] == [2, 2]
    gap = gapped.gaps.iloc[0]
    # 10:00 and 11:00 UTC are missing: 2 intervals, labelled at their starts
    assert gap["first_missing"] == pd.Timestamp("2024-03-01 10:00", tz="UTC")
    assert gap["last_missing"] == pd.Timestamp("2024-03-01 11:00", tz="UTC")
    assert gap["missing_intervals"] == 2 and gap["source"] == "f.csv"
    assert gapped.segments[1].series("reg_up_usd_per_kw_h").tolist() == [3.0, 4.0]
    with pytest.raises(InputError, match="gaps"):
        gapped.only()
    # a window across the gap: two pieces, the gap clipped to the window
    start, end = (pd.Timestamp(x, tz="UTC") for x in ("2024-03-01 09:00", "2024-03-01 13:00"))
    assert [len(p.index) for p in gapped.between(start, end)] == [1, 1]
    assert gapped.gaps_between(start, end)["missing_intervals"].tolist() == [2]


def test_empty_cells_are_missing_and_named():
    labels = ["2024-03-01 08:00", "2024-03-01 09:00", "2024-03-01 10:00"]
    frame = _frame(labels, [1.0, np.nan, 3.0])
    frame["spin_usd_per_kw_h"] = [1.0, 1.0, 1.0]
    gapped = split_at_gaps(frame, field="t")
    assert gapped.gaps.iloc[0]["missing_columns"] == "reg_up_usd_per_kw_h"
    assert gapped.n_missing == 1


def test_data_errors_still_refuse(tmp_path):
    with pytest.raises(InputError, match="unique"):
        split_at_gaps(_frame(["2024-03-01 08:00", "2024-03-01 08:00"], [1.0, 2.0]), field="t")
    with pytest.raises(InputError, match="whole number"):
        split_at_gaps(
            _frame(["2024-03-01 08:00", "2024-03-01 08:40", "2024-03-01 09:40"], [1, 2, 3]),
            field="t",
        )
    path = tmp_path / "p.csv"
    path.write_text("t,reg\n2024-03-01T08:00Z,1\n2024-03-01T09:00Z,x\n")
    column = PriceColumn(source="reg", name="reg_up_usd_per_kw_h", unit=MWH)
    with pytest.raises(InputError, match="reg"):
        read_prices_csv_with_gaps(path, time_column="t", tz=LA, columns=[column])


def test_combine_records_intervals_either_part_misses():
    a = split_at_gaps(_frame(["2024-03-01 08:00", "2024-03-01 09:00", "2024-03-01 10:00"],
                             [1.0, 2.0, 3.0]), field="a")  # fmt: skip
    b_frame = _frame(["2024-03-01 09:00", "2024-03-01 10:00", "2024-03-01 11:00"], [5, 6, 7])
    b = split_at_gaps(b_frame.rename(columns=lambda c: "spin_usd_per_kw_h"), field="b")
    joined = combine([a, b], source="a;b")
    assert isinstance(joined, GappedPrices)
    assert len(joined.only().index) if len(joined.segments) == 1 else False
    assert joined.gaps["missing_intervals"].tolist() == [1, 1]  # 08:00 (no b), 11:00 (no a)
    assert joined.gaps["missing_columns"].tolist() == ["spin_usd_per_kw_h", "reg_up_usd_per_kw_h"]


def test_caiso_2024_matches_the_figures_stated_elsewhere(markets_dir):
    prices = read_caiso_da_market(markets_dir, start="2024-01-01", end="2025-01-01").only()
    # issue 14's independent check: 1,169 negative-price hours at TH_SP15 in 2024
    assert int((prices.series(ENERGY_DA) < 0).sum()) == 1169
    # README annual means 2024 (reg_up / reg_down / spin / nonspin, $/MW-h): 4.65/6.59/2.59/2.29
    means = prices.frame.mean() * 1e3
    for column, expected in zip(
        ("reg_up", "reg_down", "spin", "nonspin"), (4.65, 6.59, 2.59, 2.29), strict=True
    ):
        assert means[f"{column}_usd_per_kw_h"] == pytest.approx(expected, abs=0.005)
