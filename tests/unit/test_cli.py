"""Command-line parsing: defaults and the HOST:PORT syntax."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from onvif_recorder.cli import build_parser, parse_listen


def test_serve_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONVIF_RECORDER_ADMIN_USER", raising=False)
    monkeypatch.delenv("ONVIF_RECORDER_ADMIN_PASSWORD", raising=False)
    args = build_parser().parse_args(["serve"])
    assert args.data_dir == Path("data") and args.listen == ("0.0.0.0", 8080)
    assert args.admin_user is None and args.admin_password is None
    assert args.allow_password_text is False
    assert args.no_discovery is False and args.allow_hard_reset is False  # discovery on


def test_device_flags() -> None:
    args = build_parser().parse_args(["serve", "--no-discovery", "--allow-hard-reset"])
    assert args.no_discovery is True and args.allow_hard_reset is True


def test_admin_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONVIF_RECORDER_ADMIN_USER", "root")
    monkeypatch.setenv("ONVIF_RECORDER_ADMIN_PASSWORD", "s3cret")
    args = build_parser().parse_args(["serve"])
    assert (args.admin_user, args.admin_password) == ("root", "s3cret")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        (":8080", ("0.0.0.0", 8080)),
        ("[::1]:554", ("::1", 554)),
        ("host.example:65535", ("host.example", 65535)),
    ],
)
def test_listen_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["8080", "host:", "host:http", "host:70000"])
def test_bad_listen_addresses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_listen(text)
