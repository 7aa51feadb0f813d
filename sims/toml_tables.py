"""One converter for the TOML tables of a configuration: pydantic models over frozen dataclasses.

Each table of a configuration file maps onto one frozen dataclass (``[battery]`` onto
:class:`optimizer.battery.Battery`, ...). :func:`table_spec` derives from the dataclass a
pydantic model of the TOML table (the keys, their TOML types, which are required, their
defaults and their descriptions from the dataclass's numpydoc ``Parameters``), and
:func:`parse_table` validates a parsed table with it. pydantic does the structure (unknown
and missing keys, types: no bool for a number, no number for a string); every error becomes
one :class:`core.errors.InputError` naming the TOML key (``battery.power_kw``), the value and
what was expected. Ranges and cross-field rules stay in the dataclasses' ``__post_init__``,
and their errors are renamed to the TOML key by :func:`build`.

Nested tables and arrays (``[markets.columns]``, ``markets.products``,
``[markets.volume_caps.<product>]``) are kinds with an element kind (:func:`list_of`,
:func:`table_of`); their errors name the element (``markets.products[1]``).

The same models give the JSON Schema of the file (:func:`table_schema`), from which the config
reference in ``docs/`` is generated (:mod:`sims.config_reference`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    WithJsonSchema,
    create_model,
)

from core.errors import InputError

__all__ = [
    "FieldKind",
    "TableSpec",
    "build",
    "enum_kind",
    "list_of",
    "parse_table",
    "table_of",
    "table_schema",
    "table_spec",
]


def _inf_text(value: Any) -> Any:
    """``"inf"`` / ``"infinity"`` (any case) as math.inf; anything else unchanged."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return math.inf
    return value


def _strict_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("not a number")
    return float(value)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


Number = Annotated[
    float,
    BeforeValidator(_strict_number),
    BeforeValidator(_inf_text),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"enum": ["inf"]}]}),
]
FiniteNumber = Annotated[
    float,
    BeforeValidator(_finite),
    BeforeValidator(_strict_number),
    WithJsonSchema({"type": "number"}),
]
LocalTime = Annotated[
    Any,
    WithJsonSchema({"type": "string", "description": "local date or date-time, e.g. 2025-01-01"}),
]


@dataclass(frozen=True)
class FieldKind:
    """How one TOML key is typed and what its error says.

    Parameters
    ----------
    annotation : Any
        The pydantic type of the TOML value.
    expected : str
        What the error message says was expected.
    item : FieldKind or TableSpec, optional
        The kind of each element of a list, or of each value of a table (:func:`list_of`,
        :func:`table_of`); an error inside it names the element (``markets.products[1]``,
        ``markets.columns.LMP``) and says what the element should be.
    """

    annotation: Any
    expected: str
    item: FieldKind | TableSpec | None = None


BOOL = FieldKind(StrictBool, "true or false")
INT = FieldKind(StrictInt, "an integer")
NUMBER = FieldKind(Number, 'a number (or "inf")')
FINITE = FieldKind(FiniteNumber, "a finite number")
TEXT = FieldKind(StrictStr, "a string")
PATH = FieldKind(
    Annotated[StrictStr, WithJsonSchema({"type": "string", "format": "path"})], "a file path"
)
LOCAL_TIME = FieldKind(LocalTime, "a local date or date-time, e.g. 2025-01-01")


def enum_kind(cls: type[enum.Enum]) -> FieldKind:
    """A key holding one of the values of ``cls``, read as the member of ``cls``."""
    values = tuple(m.value for m in cls)
    return FieldKind(Annotated[Literal[values], AfterValidator(cls)], f"one of {list(values)}")


def list_of(item: FieldKind, expected: str) -> FieldKind:
    """A TOML array whose elements are of kind ``item``, read as a tuple."""
    return FieldKind(tuple[item.annotation, ...], expected, item)


def table_of(item: FieldKind | TableSpec, expected: str) -> FieldKind:
    """A TOML table of any keys whose values are of kind ``item`` (or tables of ``item``)."""
    annotation = item.model if isinstance(item, TableSpec) else item.annotation
    return FieldKind(dict[StrictStr, annotation], expected, item)


def _kind_of(hint: Any) -> FieldKind:
    """The TOML kind of a dataclass field of type ``hint`` (``X | None`` as ``X``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and type(None) in typing.get_args(hint):
        hint = args[0]
    if hint is bool:
        return BOOL
    if hint is int:
        return INT
    if hint is float:
        return NUMBER
    if hint is str:
        return TEXT
    if hint is Path:
        return PATH
    if hint is pd.Timestamp:
        return LOCAL_TIME
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return enum_kind(hint)
    raise TypeError(f"no TOML kind for {hint!r}")


_PARAM = re.compile(r"^    (\w[\w, ]*) : (.*)$")
_ROLE = re.compile(r":\w+:`~?([^`]+)`")


def _plain(text: str) -> str:
    """Numpydoc markup as Markdown: ``:role:`x``` and double backquotes as single ones."""
    return _ROLE.sub(r"`\1`", text).replace("``", "`")


def parameter_docs(cls: type) -> dict[str, str]:
    """``{name: first sentence}`` of the numpydoc ``Parameters`` section of ``cls``."""
    doc = cls.__doc__ or ""
    if "Parameters\n    ----------" not in doc:
        return {}
    section = doc.split("Parameters\n    ----------", 1)[1]
    section = re.split(r"\n    \w[\w ]*\n    -{3,}", section, maxsplit=1)[0]
    docs: dict[str, str] = {}
    names: list[str] = []
    for line in section.splitlines():
        match = _PARAM.match(line)
        if match:
            names = [n.strip() for n in match.group(1).split(",")]
            continue
        text = line.strip()
        if names and text:
            for name in names:
                docs[name] = f"{docs.get(name, '')} {text}".strip()
    return {name: _plain(text) for name, text in docs.items()}


@dataclass(frozen=True)
class TableSpec:
    """A TOML table: its pydantic model and how its errors read.

    Parameters
    ----------
    name : str
        The table's name: the prefix of its keys in errors (a table nested in another one,
        e.g. ``markets.volume_caps.<product>``, is named by the path of its keys instead; its
        name is its title in the reference).
    model : type[pydantic.BaseModel]
        The table's model (unknown keys forbidden).
    kinds : dict
        ``{key: FieldKind}``.
    missing : dict
        ``{key: expected}`` for required keys whose error should say more than "a value".
    """

    name: str
    model: type[BaseModel]
    kinds: dict[str, FieldKind]
    missing: dict[str, str] = field(default_factory=dict)


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def table_spec(
    name: str,
    cls: type,
    *,
    exclude: tuple[str, ...] = (),
    kinds: Mapping[str, FieldKind] | None = None,
    extra: Mapping[str, tuple[FieldKind, Any, str]] | None = None,
    schema_extra: Mapping[str, dict[str, Any]] | None = None,
    missing: Mapping[str, str] | None = None,
    required: tuple[str, ...] = (),
) -> TableSpec:
    """Derive the model of table ``name`` from the frozen dataclass ``cls``.

    Parameters
    ----------
    name : str
        The table's name.
    cls : type
        The dataclass whose init fields are the table's keys.
    exclude : tuple of str
        Fields that are not keys of the table.
    kinds : mapping, optional
        ``{key: FieldKind}`` overriding the kind derived from a field's type.
    extra : mapping, optional
        ``{key: (kind, default, description)}``: keys of the table that are not fields of
        ``cls`` (e.g. ``battery.initial_soc_fraction``).
    schema_extra : mapping, optional
        ``{key: JSON Schema fragment}`` added to a key's schema (e.g. an ``enum``).
    missing : mapping, optional
        ``{key: expected}`` for the error of a missing required key.
    required : tuple of str
        Keys required although the field has a default.
    """
    hints = typing.get_type_hints(cls)
    docs = parameter_docs(cls)
    overrides = dict(kinds or {})
    extras = dict(schema_extra or {})
    definitions: dict[str, Any] = {}
    table_kinds: dict[str, FieldKind] = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.name in exclude:
            continue
        kind = overrides.get(f.name) or _kind_of(hints[f.name])
        has_default = f.default is not dataclasses.MISSING
        required_key = f.name in required or (
            not has_default and f.default_factory is dataclasses.MISSING
        )
        info: dict[str, Any] = {"description": docs.get(f.name, "")}
        if extras.get(f.name):
            info["json_schema_extra"] = extras[f.name]
        if required_key:
            definitions[f.name] = (kind.annotation, Field(..., **info))
        else:
            default = _json_default(f.default if has_default else f.default_factory())
            info["json_schema_extra"] = {**extras.get(f.name, {}), "default": default}
            definitions[f.name] = (kind.annotation | None, Field(None, **info))
        table_kinds[f.name] = kind
    for key, (kind, default, description) in (extra or {}).items():
        definitions[key] = (
            kind.annotation | None,
            Field(
                None,
                description=description,
                json_schema_extra={"default": _json_default(default)},
            ),
        )
        table_kinds[key] = kind
    model = create_model(
        f"{cls.__name__}Table",
        __config__=ConfigDict(extra="forbid", title=f"[{name}]"),
        **definitions,
    )
    return TableSpec(name=name, model=model, kinds=table_kinds, missing=dict(missing or {}))


_ORDER = {"extra_forbidden": 0, "missing": 1}


def _expected(node: FieldKind | TableSpec) -> str:
    if isinstance(node, FieldKind):
        return node.expected
    return f"a table of the keys {sorted(node.kinds)}"


def _locate(spec: TableSpec, loc: tuple[Any, ...]) -> tuple[str, FieldKind | TableSpec, int]:
    """The TOML key of the error location ``loc``, the kind there and how many parts it used.

    ``loc`` is pydantic's path (``("products", 1)``); parts past a kind without elements
    (e.g. the member tags of a union) are not keys and are left out.
    """
    name, node, used = spec.name, spec, 0
    for part in loc:
        if isinstance(node, TableSpec) and part in node.kinds:
            name, node = f"{name}.{part}", node.kinds[part]
        elif isinstance(node, FieldKind) and node.item is not None:
            name = f"{name}[{part}]" if isinstance(part, int) else f"{name}.{part}"
            node = node.item
        else:
            break
        used += 1
    return name, node, used


def _value_at(raw: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        raw = raw[part]
    return raw


def _input_error(spec: TableSpec, raw: dict[str, Any], error: Mapping[str, Any]) -> InputError:
    """The :class:`InputError` of one pydantic error, naming the TOML key."""
    loc = tuple(error["loc"])
    if error["type"] in _ORDER:  # an unknown or missing key: the table holding it says more
        name, table, _ = _locate(spec, loc[:-1])
        assert isinstance(table, TableSpec)
        key = f"{name}.{loc[-1]}"
        if error["type"] == "extra_forbidden":
            return InputError(key, _value_at(raw, loc), f"one of the keys {sorted(table.kinds)}")
        return InputError(key, None, table.missing.get(str(loc[-1]), "a value"))
    name, node, used = _locate(spec, loc)
    return InputError(name, _value_at(raw, loc[:used]), _expected(node))


def parse_table(spec: TableSpec, raw: Any) -> dict[str, Any]:
    """Validate the parsed table ``raw``; return the keys it gives, as Python values.

    Nested tables come back as dicts of the keys they give, arrays as tuples.

    Raises
    ------
    InputError
        Naming the TOML key (``<table>.<key>``, ``<table>.<key>[1]``,
        ``<table>.<key>.<name>.<key>``): an unknown key (first), a missing required key, or a
        value of the wrong type.
    """
    if not isinstance(raw, dict):
        raise InputError(spec.name, raw, f"a [{spec.name}] table")
    try:
        parsed = spec.model.model_validate(raw)
    except ValidationError as exc:
        error = min(exc.errors(), key=lambda e: _ORDER.get(e["type"], 2))
        raise _input_error(spec, raw, error) from None
    return parsed.model_dump(exclude_unset=True)


def build(table: str, factory: Callable[..., Any], **kwargs: Any) -> Any:
    """``factory(**kwargs)`` with its ``InputError`` renamed to the key of ``table``."""
    try:
        return factory(**kwargs)
    except InputError as exc:
        raise InputError(
            f"{table}.{exc.field.rsplit('.', 1)[-1]}", exc.value, exc.expected
        ) from exc


def table_schema(spec: TableSpec) -> dict[str, Any]:
    """The JSON Schema of one table."""
    return spec.model.model_json_schema()
