"""The generated configuration reference: committed = generated, and it lists what the loader reads."""

from __future__ import annotations

import dataclasses
import json
import tomllib

import pytest

from core.errors import InputError
from forecasting.pv import PVSystemSpec
from markets.volume_caps import VolumeCap
from optimizer.battery import Battery
from sims.config import DispatchConfig, ForecastConfig, SiteConfig, TariffConfig, load_config
from sims.config_reference import config_markdown, config_schema, schema_text
from sims.finance import FinanceInputs
from sims.markets import MarketsConfig
from sims.sizing_config import SizingConfig
from tests.conftest import REPO_ROOT
from tests.sims.helpers import write_site

DOCS = REPO_ROOT / "docs"


def test_committed_reference_is_the_generated_one():
    # regenerate with: python scripts/config_reference.py
    assert (DOCS / "config.md").read_text(encoding="utf-8") == config_markdown()
    assert (DOCS / "config.schema.json").read_text(encoding="utf-8") == schema_text()


def test_readme_points_to_the_reference():
    assert "docs/config.md" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init}


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        ("site", _fields(SiteConfig)),
        ("tariff", _fields(TariffConfig)),
        ("battery", _fields(Battery) | {"initial_soc_fraction"}),
        ("forecast", _fields(ForecastConfig)),
        ("dispatch", _fields(DispatchConfig)),
        ("finance", _fields(FinanceInputs)),
        ("pv_system", _fields(PVSystemSpec)),
        ("markets", _fields(MarketsConfig) | {"price_unit", "assumptions"}),
        ("sizing", _fields(SizingConfig)),
    ],
)
def test_schema_lists_every_key_of_the_dataclasses(table, keys):
    schema = json.loads(schema_text())
    assert set(schema["properties"][table]["properties"]) == keys
    assert schema["properties"][table]["additionalProperties"] is False


def test_nested_tables_are_defined_at_the_root_of_the_schema():
    # a "$ref" of "#/$defs/..." is read from the root of the document, not from its table
    schema = json.loads(schema_text())
    caps = schema["properties"]["markets"]["properties"]["volume_caps"]["anyOf"][0]
    name = caps["additionalProperties"]["$ref"].removeprefix("#/$defs/")
    keys = _fields(VolumeCap) - {"requirement_kw"} | {"requirement_mw"}  # MW in the TOML
    assert set(schema["$defs"][name]["properties"]) == keys
    assert all("$defs" not in table for table in schema["properties"].values())


def test_schema_requires_what_the_loader_requires(tmp_path):
    schema = config_schema()
    assert schema["required"] == ["site", "tariff", "battery"]
    assert set(schema["properties"]["battery"]["required"]) == {"power_kw", "energy_kwh"}
    assert set(schema["properties"]["site"]["required"]) == {"name", "timezone", "load_csv"}
    # the loader refuses a [battery] without energy_kwh, naming the key the schema requires
    path = write_site(tmp_path, battery="power_kw = 30.0\n")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.field == "battery.energy_kwh"


def test_example_config_uses_only_documented_keys():
    raw = tomllib.loads((REPO_ROOT / "examples" / "site.toml").read_text(encoding="utf-8"))
    schema = config_schema()
    for table, values in raw.items():
        assert set(values) <= set(schema["properties"][table].get("properties", values))


def test_defaults_in_the_reference_are_the_dataclass_defaults():
    battery = config_schema()["properties"]["battery"]["properties"]
    assert battery["charge_efficiency"]["default"] == Battery.charge_efficiency == 0.95
    assert battery["export_limit_kw"]["default"] == "inf"  # math.inf, as TOML text
    dispatch = config_schema()["properties"]["dispatch"]["properties"]
    assert dispatch["cadence"]["default"] == "daily"
    assert dispatch["lookahead_h"]["default"] == 48.0
