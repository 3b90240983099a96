"""Command-line parsing: defaults and the HOST:PORT syntax."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from onvif_recorder.cli import build_parser, parse_listen, serve_config
from onvif_recorder.settings import RecorderSettings


def test_serve_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONVIF_RECORDER_ADMIN_USER", raising=False)
    monkeypatch.delenv("ONVIF_RECORDER_ADMIN_PASSWORD", raising=False)
    args = build_parser().parse_args(["serve"])
    assert args.admin_user is None and args.admin_password is None
    chosen = serve_config(args)
    assert chosen.settings == RecorderSettings() and chosen.log_level == "INFO"
    assert chosen.settings.data_dir == Path("data")
    assert (chosen.settings.listen_host, chosen.settings.listen_port) == ("0.0.0.0", 8080)
    assert chosen.settings.allow_password_text is False
    assert chosen.settings.discovery is True and chosen.settings.allow_hard_reset is False


def test_device_flags() -> None:
    args = build_parser().parse_args(["serve", "--no-discovery", "--allow-hard-reset"])
    settings = serve_config(args).settings
    assert settings.discovery is False and settings.allow_hard_reset is True


def test_command_line_options_win_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "recorder.toml"
    path.write_text('[server]\nlisten = "127.0.0.1:9000"\ndata_dir = "/srv/nvr"\n'
                    "[recording]\nsegment_duration = 30\n[limits]\nmax_recordings = 200\n")
    args = build_parser().parse_args(["serve", "--config", str(path), "--listen", "[::1]:8081",
                                      "--segment-duration", "4"])
    settings = serve_config(args).settings
    assert (settings.listen_host, settings.listen_port) == ("::1", 8081)
    assert settings.segment_duration == 4 and settings.data_dir == Path("/srv/nvr")
    assert settings.limits.max_recordings == 200


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


FINGERPRINT = "AB:" * 31 + "CD"


def test_camera_tls_options(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    args = build_parser().parse_args([
        "serve", "--camera-ca", str(ca), "--camera-fingerprint", f"Cam.example:322={FINGERPRINT}",
        "--camera-fingerprint", f"192.0.2.7={'0' * 64}"])
    assert args.camera_ca == str(ca)
    assert args.camera_fingerprint == [("cam.example:322", "ab" * 31 + "cd"),
                                       ("192.0.2.7", "0" * 64)]


@pytest.mark.parametrize("argv", [
    ["--camera-ca", "/nonexistent.pem"],
    ["--camera-fingerprint", "cam=abcd"],  # too short
    ["--camera-fingerprint", "=" + "0" * 64],  # no host
    ["--camera-fingerprint", "0" * 64],  # no host either
])
def test_bad_camera_tls_options_stop_the_start(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", *argv])
