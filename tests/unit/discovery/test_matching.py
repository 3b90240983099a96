"""WS-Discovery 2005/04 §5.1 matching rules; Core: RFC 3986 for scopes."""

from __future__ import annotations

import pytest

from onvif_recorder.discovery.matching import (
    RFC2396,
    STRCMP0,
    UnsupportedMatchingRule,
    rfc3986_match,
    scopes_match,
    types_match,
)

TDS = ("http://www.onvif.org/ver10/device/wsdl", "Device")
DN = ("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter")
DEVICE = "onvif://www.onvif.org/location/country/china"


@pytest.mark.parametrize(("probe", "expected"), [
    ("onvif://www.onvif.org", True),  # Core's example: the authority alone matches
    ("onvif://www.onvif.org/location/country/china", True),
    ("onvif://www.onvif.org/location/country", True),
    ("onvif://www.onvif.org/location/country/", True),
    ("ONVIF://WWW.ONVIF.ORG/location", True),  # scheme and authority ignore case
    ("onvif://www.onvif.org/Location", False),  # segments do not
    ("onvif://www.onvif.org/location/country/chin", False),  # whole segments only
    ("onvif://www.onvif.org/location/country/china/beijing", False),
    ("http://www.onvif.org/location", False),
    ("onvif://www.onvif.org/hardware", False),
])
def test_rfc3986_rule(probe: str, expected: bool) -> None:
    assert rfc3986_match(probe, DEVICE) is expected


def test_percent_escapes_compare_in_one_case() -> None:
    assert rfc3986_match("onvif://www.onvif.org/name/a%2fb", "onvif://www.onvif.org/name/a%2Fb")


def test_every_probe_scope_must_match_some_device_scope() -> None:
    offered = [DEVICE, "onvif://www.onvif.org/Profile/G"]
    assert scopes_match([], offered, None)
    assert scopes_match(["onvif://www.onvif.org/Profile/G", DEVICE], offered, None)
    assert not scopes_match(["onvif://www.onvif.org/Profile/G", "onvif://x/y"], offered, None)
    assert scopes_match(["onvif://www.onvif.org/location"], offered, RFC2396)


def test_strcmp0_and_unknown_rules() -> None:
    assert scopes_match([DEVICE], [DEVICE], STRCMP0)
    assert not scopes_match(["onvif://www.onvif.org/location"], [DEVICE], STRCMP0)
    with pytest.raises(UnsupportedMatchingRule):
        scopes_match([DEVICE], [DEVICE], "http://example.com/ldap")


def test_types_all_of_the_probe() -> None:
    assert types_match([], [DN, TDS])
    assert types_match([TDS], [DN, TDS]) and types_match([DN, TDS], [DN, TDS])
    assert not types_match([TDS, ("urn:other", "Device")], [DN, TDS])
