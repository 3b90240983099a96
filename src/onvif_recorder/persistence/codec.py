"""Domain dataclasses ⇄ JSON-compatible values, driven by their type hints.

Every configuration object is stored as one JSON document, so a new optional
field needs no schema migration; renamed or removed fields do (see schema.py).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")
JsonValue = Any


def to_json(value: object) -> JsonValue:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    return value


def from_json(kind: type[T], data: JsonValue) -> T:
    result: T = _decode(kind, data)
    return result


def _decode(hint: Any, data: JsonValue) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _decode(inner[0], data)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        return tuple(_decode(item_hint, item) for item in data)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    if hint is Decimal:
        return Decimal(data)
    if dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, data)
    return data


def _decode_dataclass(kind: Any, data: dict[str, JsonValue]) -> Any:
    hints = typing.get_type_hints(kind)
    fields = {f.name for f in dataclasses.fields(kind)}
    return kind(
        **{name: _decode(hints[name], value) for name, value in data.items() if name in fields}
    )
