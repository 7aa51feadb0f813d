"""The one series reader: timestamps with offsets or naive + zone, DST, encodings, units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InputError
from core.series import check_unit, parse_timestamps, read_csv_frame, read_series_csv
from forecasting.datasets import read_load_csv as forecasting_read
from markets.prices import PriceColumn, PriceUnit, read_prices_csv
from sims.commands.bill import read_load_csv as bill_read
from sims.sitedata import read_series_csv as site_read

NY = "America/New_York"
# 2023-11-05 in New York: 01:00-01:59 happens twice (EDT -04:00, then EST -05:00)
FALL_BACK_UTC = pd.date_range("2023-11-05 04:00", periods=4, freq="1h", tz="UTC")


def _write(tmp_path, stamps, values, column="load_kw", name="s.csv"):
    path = tmp_path / name
    pd.DataFrame({"timestamp": stamps, column: values}).to_csv(path, index=False)
    return path


def test_offsets_across_dst_give_the_instants_written(tmp_path):
    # written with their offsets, the two 01:00 hours of the fall-back day are distinct
    stamps = [t.tz_convert(NY).isoformat() for t in FALL_BACK_UTC]
    assert stamps[1].startswith("2023-11-05T01:00:00-04:00")
    assert stamps[2].startswith("2023-11-05T01:00:00-05:00")
    index = parse_timestamps(stamps, tz=NY, field="t")
    assert (index.tz_convert("UTC") == FALL_BACK_UTC).all()
    assert str(index.tz) == NY


def test_naive_labels_are_wall_clock_in_the_zone():
    index = parse_timestamps(["2023-07-01 00:00", "2023-07-01 01:00"], tz=NY, field="t")
    # New York is UTC-4 in July: local midnight is 04:00 UTC
    assert index[0] == pd.Timestamp("2023-07-01 04:00", tz="UTC")


@pytest.mark.parametrize(
    ("stamp", "kind"),
    [("2023-11-05 01:30", "ambiguous"), ("2023-03-12 02:30", "nonexistent")],
)
def test_dst_wall_clock_times_that_do_not_exist_once_are_errors(stamp, kind):
    labels = ["2023-01-01 00:00", stamp]
    with pytest.raises(InputError, match=r"row 2.*exist exactly once"):
        parse_timestamps(labels, tz=NY, field="t")


@pytest.mark.parametrize(
    ("labels", "tz", "match"),
    [
        (["2023-01-01T00:00-05:00", "2023-01-01 01:00"], NY, "all timestamps with a UTC offset"),
        (["2023-01-01 00:00", "2023-01-01 01:00"], None, "naive"),
        (["2023-03-12T01:00-05:00", "2023-03-12T03:00-04:00"], None, "2 different UTC offsets"),
        (["2023-01-01 00:00", "not a time"], NY, "not a time"),
        (["2023-01-01 00:00", ""], NY, "empty label"),
        (["2023-01-01 00:00"], "Mars/Olympus", "IANA"),
    ],
    ids=["mixed", "naive-no-zone", "offsets-no-zone", "garbage", "blank", "bad-zone"],
)
def test_label_errors_name_the_problem(labels, tz, match):
    with pytest.raises(InputError, match=match):
        parse_timestamps(labels, tz=tz, field="t", tz_field="--tz")


def test_one_offset_without_zone_is_a_fixed_offset():
    index = parse_timestamps(
        ["2023-01-01T00:00+05:30", "2023-01-01T01:00+05:30"], tz=None, field="t"
    )
    assert index[0].utcoffset() == pd.Timedelta(hours=5, minutes=30)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty file"),
        (b"timestamp,load_kw\n", "no rows"),
        (b"timestamp,load_kw\n2023-01-01 00:00,caf\xe9\n", "UTF-8"),
    ],
    ids=["empty", "header-only", "latin-1"],
)
def test_unreadable_files_are_input_errors(tmp_path, content, match):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=match):
        read_csv_frame(path, field="load")


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbftimestamp,load_kw\n2023-01-01 00:00,1\n")
    assert list(read_csv_frame(path, field="f").columns) == ["timestamp", "load_kw"]


@pytest.mark.parametrize("column", ["load_w", "load_mw", "energy_kwh"])
def test_unit_suffix_other_than_kw_is_refused(column):
    with pytest.raises(InputError, match="kw"):
        check_unit(column, unit="kw", field="c")


@pytest.mark.parametrize("column", ["load_kw", "load", "kw", "Power_KW"])
def test_kw_or_unsuffixed_columns_are_accepted(column):
    check_unit(column, unit="kw", field="c")


def test_non_numbers_and_gaps_are_named(tmp_path):
    stamps = [f"2023-01-01 0{h}:00" for h in range(3)]
    with pytest.raises(InputError, match=r"'x' \(row 2\)"):
        read_series_csv(
            _write(tmp_path, stamps, ["1", "x", "2"]),
            column="load_kw",
            timestamp_column="timestamp",
            tz=NY,
            field="f",
        )
    gapped = ["2023-01-01 00:00", "2023-01-01 01:00", "2023-01-01 03:00"]
    with pytest.raises(InputError, match="no gaps"):
        read_series_csv(
            _write(tmp_path, gapped, [1, 2, 3]),
            column="load_kw",
            timestamp_column="timestamp",
            tz=NY,
            field="f",
        )


def test_the_four_readers_agree_on_one_file(tmp_path):
    """Site data, bill, forecasting and prices read the same instants from the same labels."""
    index = pd.date_range("2023-11-04 22:00", periods=8, freq="1h", tz=NY)  # across fall-back
    values = np.arange(8, dtype=float) + 1.0
    stamps = [t.isoformat() for t in index]
    path = _write(tmp_path, stamps, values)
    site = site_read(path, column="load_kw", timestamp_column="timestamp", timezone=NY, name="s")
    bill = bill_read(path, column="load_kw", timestamp_column="timestamp", tz=NY)
    frame, missing = forecasting_read(path, column="load_kw", tz=NY)
    prices_path = _write(tmp_path, stamps, values / 100, column="lmp_usd_per_kwh", name="p.csv")
    column = PriceColumn(
        source="lmp_usd_per_kwh", name="energy_usd_per_kwh", unit=PriceUnit.USD_PER_KWH
    )
    prices = read_prices_csv(prices_path, time_column="timestamp", tz=NY, columns=[column])
    for got in (site.index, bill.index, frame.index, prices.index):
        assert (got.tz_convert("UTC") == index.tz_convert("UTC")).all()
    np.testing.assert_array_equal(site.to_numpy(), values)
    np.testing.assert_array_equal(bill.to_numpy(), values)
    np.testing.assert_array_equal(frame["load_kw"].to_numpy(), values)
    assert missing == 0


def test_forecast_eval_reads_the_example_file_with_a_zone():
    # the project's own example (offsets change at DST) read with --tz: the issue 11 probe
    from tests.conftest import REPO_ROOT

    frame, missing = forecasting_read(
        REPO_ROOT / "examples" / "office_load.csv", column="load_kw", tz=NY
    )
    assert len(frame) == 35_040 and missing == 0
    assert frame.index[0] == pd.Timestamp("2023-01-01 00:00", tz=NY)
    assert frame.index[-1] == pd.Timestamp("2023-12-31 23:45", tz=NY)
