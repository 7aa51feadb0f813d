"""The ISO products data file: required columns, a source on every row, the reader's checks."""

from __future__ import annotations

import csv

import pytest

from core.errors import InputError
from markets.iso_presets import (
    ISO_PRODUCTS_CSV,
    PRESETS,
    REQUIRED_COLUMNS,
    iso_preset,
    preset,
    read_iso_products,
)
from markets.products import Direction


def _rows() -> list[dict[str, str]]:
    with open(ISO_PRODUCTS_CSV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_file_has_the_required_columns_and_seven_isos():
    rows = _rows()
    assert set(REQUIRED_COLUMNS) <= set(rows[0])
    assert {r["iso"] for r in rows} == {"CAISO", "ERCOT", "PJM", "NYISO", "ISO-NE", "MISO", "SPP"}


def test_every_row_has_a_source_or_is_marked_unconfirmed():
    for row in _rows():
        where = (row["iso"], row["product"])
        assert row["source_document"].strip(), where
        assert row["confirmed"] in ("yes", "no"), where
        if row["confirmed"] == "yes":
            for column in ("source_section", "source_date", "source_url", "confirmed_rules"):
                assert row[column].strip(), (where, column)
            assert row["source_url"].startswith("https://"), where
        else:
            assert row["note"].strip(), where  # what is remembered or assumed


def test_rule_source_of_each_product_says_whether_it_is_confirmed():
    for make in PRESETS.values():
        for product in make().products:
            assert ("confirmed" in product.rule_source) or ("UNCONFIRMED" in product.rule_source)
    nonspin = preset("ERCOT").product("nonspin")
    assert nonspin.duration_h == 4.0  # NPRR1096: four consecutive hours
    assert "NPRR1096" in nonspin.rule_source and "UNCONFIRMED" not in nonspin.rule_source


def _write(tmp_path, edit):
    rows = _rows()
    edit(rows)
    path = tmp_path / "iso_products.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_reader_refuses_a_row_without_a_source(tmp_path):
    def drop_source(rows):
        rows[0]["source_document"] = ""

    with pytest.raises(InputError, match="source_document"):
        read_iso_products(_write(tmp_path, drop_source))


def test_reader_refuses_a_confirmed_row_without_its_url(tmp_path):
    def confirm_without_url(rows):
        rows[1]["confirmed"] = "yes"
        rows[1]["source_url"] = ""
        rows[1]["confirmed_rules"] = "something"

    with pytest.raises(InputError, match="source_url"):
        read_iso_products(_write(tmp_path, confirm_without_url))


def test_reader_refuses_unknown_choices_and_duplicates(tmp_path):
    def sideways(rows):
        rows[0]["direction"] = "sideways"

    with pytest.raises(InputError, match="direction"):
        read_iso_products(_write(tmp_path, sideways))

    def twice(rows):
        rows.append(dict(rows[0]))

    with pytest.raises(InputError, match="one row per product"):
        read_iso_products(_write(tmp_path, twice))


def test_a_row_edited_in_the_file_changes_the_preset(tmp_path):
    def longer_spin(rows):
        for row in rows:
            if (row["iso"], row["product"]) == ("CAISO", "spin"):
                row["duration_h"] = "2.0"
                row["direction"] = "symmetric"

    iso = iso_preset("CAISO", path=_write(tmp_path, longer_spin))
    assert iso.product("spin").duration_h == 2.0
    assert iso.product("spin").direction is Direction.SYMMETRIC


def test_arguments_an_iso_does_not_have_are_refused():
    with pytest.raises(InputError, match="assumption of the ERCOT preset"):
        preset("ercot", mileage_ratio=2.0)
    with pytest.raises(InputError, match="include_mileage"):
        preset("spp", include_mileage="yes")


RULES_DOC = ISO_PRODUCTS_CSV.parents[2] / "docs" / "market_rules.md"


def test_every_confirmed_row_has_its_evidence_written_down():
    """A confirmed row's URL and document appear in docs/market_rules.md with a quote."""
    text = RULES_DOC.read_text(encoding="utf-8")
    confirmed = [r for r in _rows() if r["confirmed"] == "yes"]
    assert len(confirmed) >= 5  # ERCOT reg_up, reg_down, rrs, ecrs, nonspin
    for row in confirmed:
        assert row["source_url"] in text, (row["iso"], row["product"])
    for row in _rows():
        if "docs/market_rules.md" in row["note"]:
            assert f"## {row['iso']}" in text, row["iso"]


def test_ercot_durations_are_the_ones_nprr1282_states():
    # NPRR1282 (ercot.com): Regulation Service and RRS "to thirty minutes", ECRS "to one hour".
    stated_h = {"reg_up": 30 / 60, "reg_down": 30 / 60, "rrs": 30 / 60, "ecrs": 60 / 60}
    rows = {r["product"]: r for r in _rows() if r["iso"] == "ERCOT"}
    for name, hours in stated_h.items():
        assert float(rows[name]["duration_h"]) == hours
        assert rows[name]["confirmed"] == "yes"
        assert "NPRR1282" in rows[name]["source_document"]
        product = preset("ERCOT").product(name)
        assert product.duration_h == hours
        assert "UNCONFIRMED" not in product.rule_source


def test_performance_score_rules_follow_the_sources():
    # ISO-NE 2015: RIPS adjusts both the capacity and the service payment.
    assert preset("ISO-NE").product("reg").pay_for_performance.score_applies_to_capacity
    # CAISO: "a performance payment with an accuracy adjustment in addition to the existing
    # capacity payment" -> the accuracy scales the mileage payment only.
    for name in ("reg_up", "reg_down"):
        assert not preset("CAISO").product(name).pay_for_performance.score_applies_to_capacity
    # NYISO BIC 2021-05-10: Regulation Movement Multiplier 13 -> 8; the argument still overrides
    assert preset("NYISO").product("reg").pay_for_performance.mileage_kw_per_kw_h == 8.0
    old = preset("NYISO", movement_multiplier=13.0).product("reg").pay_for_performance
    assert old.mileage_kw_per_kw_h == 13.0


def test_unconfirmed_rows_say_so_in_their_rule_source():
    for make in PRESETS.values():
        iso = make()
        rows = {r["product"]: r for r in _rows() if r["iso"] == iso.iso}
        for product in iso.products:
            marked = "UNCONFIRMED" in product.rule_source
            assert marked == (rows[product.name]["confirmed"] == "no"), product.name
