"""Scope list rules of GetScopes/SetScopes/AddScopes/RemoveScopes (Core 25.12,
"Scopes" and "Discovery definitions / Scopes"). Pure: the service stores the result."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from onvif_recorder.domain import errors
from onvif_recorder.domain.device import ONVIF_SCOPE

MAX_SCOPE_LENGTH = 256  # keeps every ProbeMatch well inside one UDP datagram


@dataclass(frozen=True, slots=True)
class Scopes:
    fixed: tuple[str, ...]
    configurable: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.fixed + self.configurable


def fixed_scopes(model: str, serial_number: str) -> tuple[str, ...]:
    """Core: at least one fixed entry of the profile, hardware and name categories; the
    ``type`` entry is what discovery tools (and the Base Device Test) search by."""
    return (
        ONVIF_SCOPE + "Profile/G",
        ONVIF_SCOPE + "type/Network_Video_Storage",
        ONVIF_SCOPE + "hardware/" + _segment(model),
        ONVIF_SCOPE + "name/" + _segment(f"{model}-{serial_number}"),
    )


def _segment(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._~" else "_" for c in text)


def check_scope(scope: str) -> str:
    """An absolute RFC 3986 URI, without whitespace (it travels in a d:Scopes list)."""
    value = scope.strip()
    parts = urlsplit(value)
    if not value or any(c.isspace() for c in value) or not parts.scheme:
        raise errors.InvalidArgVal(f"{scope!r} is not an absolute URI")
    if len(value) > MAX_SCOPE_LENGTH:
        raise errors.InvalidArgVal(f"a scope is at most {MAX_SCOPE_LENGTH} characters")
    return value


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def set_scopes(scopes: Scopes, requested: list[str], limit: int) -> tuple[str, ...]:
    """SetScopes: the new configurable list replaces the old one; fixed ones stay."""
    new = _unique([check_scope(s) for s in requested])
    overwrites = [s for s in new if s in scopes.fixed]
    if overwrites:
        raise errors.ScopeOverwrite(f"{overwrites[0]} is a fixed scope")
    return _limited(new, scopes, limit)


def add_scopes(scopes: Scopes, requested: list[str], limit: int) -> tuple[str, ...]:
    """AddScopes: new ones appended; a scope the device already has is kept once."""
    if not requested:
        raise errors.InvalidArgVal("AddScopes needs at least one ScopeItem")
    added = [check_scope(s) for s in requested]
    fresh = [s for s in added if s not in scopes.all]
    return _limited(_unique([*scopes.configurable, *fresh]), scopes, limit)


def remove_scopes(scopes: Scopes, requested: list[str]) -> tuple[str, ...]:
    """RemoveScopes: all or nothing; fixed ones and unknown ones are refused."""
    items = [s.strip() for s in requested]
    for item in items:
        if item in scopes.fixed:
            raise errors.FixedScope(f"{item} is a fixed scope")
        if item not in scopes.configurable:
            raise errors.NoScope(f"the device has no scope {item}")
    return tuple(s for s in scopes.configurable if s not in items)


def _limited(configurable: tuple[str, ...], scopes: Scopes, limit: int) -> tuple[str, ...]:
    if len(scopes.fixed) + len(configurable) > limit:
        raise errors.TooManyScopes(f"the device keeps at most {limit} scopes")
    return configurable
