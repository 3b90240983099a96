"""Which certificate policy applies to which camera (engine.tls)."""

from __future__ import annotations

import ssl

import pytest

from onvif_recorder.engine.tls import TlsPolicy, normalize_fingerprint, parse_pin

PIN_A, PIN_B = "a" * 64, "b" * 64


@pytest.mark.parametrize(("text", "expected"), [
    ("AB:" * 31 + "CD", "ab" * 31 + "cd"),
    (" " + "F" * 64 + " ", "f" * 64),
])
def test_fingerprints_are_normalized(text: str, expected: str) -> None:
    assert normalize_fingerprint(text) == expected


@pytest.mark.parametrize("text", ["", "a" * 63, "g" * 64, "a" * 65])
def test_bad_fingerprints(text: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        normalize_fingerprint(text)


def test_pins_by_host_and_port() -> None:
    assert parse_pin(f"[::1]:322={PIN_A}") == ("[::1]:322", PIN_A)
    policy = TlsPolicy(pins=(("cam", PIN_A), ("cam:8322", PIN_B)))
    assert policy.pin_for("CAM", 322) == PIN_A
    assert policy.pin_for("cam", 8322) == PIN_B  # host and port win over host alone
    assert policy.pin_for("other", 322) is None
    ipv6 = TlsPolicy(pins=(parse_pin(f"[::1]:322={PIN_A}"), parse_pin(f"[fe80::2]={PIN_B}")))
    assert ipv6.pin_for("::1", 322) == PIN_A and ipv6.pin_for("::1", 323) is None
    assert ipv6.pin_for("fe80::2", 1) == PIN_B


def test_contexts() -> None:
    policy = TlsPolicy(pins=(("cam", PIN_A),))
    checked = policy.context("other", 322)
    assert checked.verify_mode is ssl.CERT_REQUIRED and checked.check_hostname
    pinned = policy.context("cam", 322)
    assert pinned.verify_mode is ssl.CERT_NONE and not pinned.check_hostname
