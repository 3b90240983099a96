"""The configuration file: one option table drives parsing, checking and the defaults."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from onvif_recorder.config import (
    OPTIONS,
    SERVE_ONLY,
    ConfigError,
    ServeConfig,
    apply,
    default_value,
    parse,
    render_defaults,
)
from onvif_recorder.settings import Limits, MediaRoot, RecorderSettings

# One changed value per option: (table, key, TOML text, where it lands, expected value).
CHANGES = [
    ("server", "listen", '"127.0.0.1:9000"', "listen_port", 9000),
    ("server", "rtsp_listen", '"127.0.0.1:9554"', "rtsp_listen_port", 9554),
    ("server", "data_dir", '"/srv/nvr"', "data_dir", Path("/srv/nvr")),
    ("security", "allow_password_text", "true", "allow_password_text", True),
    ("limits", "max_recordings", "200", "limits.max_recordings", 200),
    ("limits", "max_tracks_per_type", "2", "limits.max_tracks_per_type", 2),
    ("limits", "max_recording_jobs", "400", "limits.max_recording_jobs", 400),
    ("limits", "max_receivers", "250", "limits.max_receivers", 250),
    ("limits", "max_users", "8", "limits.max_users", 8),
    ("limits", "max_storage_configurations", "4", "limits.max_storage_configurations", 4),
    ("limits", "max_pull_points", "64", "limits.max_pull_points", 64),
    ("limits", "max_scopes", "16", "limits.max_scopes", 16),
    ("limits", "pre_event_max_bytes", "1048576", "limits.pre_event_max_bytes", 1048576),
    ("recording", "segment_duration", "30", "segment_duration", 30.0),
    ("recording", "fsync_interval", "1.5", "fsync_interval", 1.5),
    ("recording", "workers", "3", "workers", 3),
    ("recording", "disk_reserve", "0.1", "disk_reserve", 0.1),
    ("uploads", "spool_max_bytes", "1073741824", "spool_max_bytes", 1 << 30),
    ("uploads", "backoff_max", "60", "upload_backoff_max", 60.0),
    ("uploads", "connect_timeout", "3", "upload_connect_timeout", 3.0),
    ("uploads", "progress_timeout", "12.5", "upload_progress_timeout", 12.5),
    ("uploads", "min_rate", "65536", "upload_min_rate", 65536.0),
    ("metrics", "require_auth", "true", "metrics_require_auth", True),
    ("device", "discovery", "false", "discovery", False),
    ("device", "allow_hard_reset", "true", "allow_hard_reset", True),
    ("logging", "level", '"debug"', "log_level", "DEBUG"),
    ("logging", "format", '"json"', "log_format", "json"),
]


def landed(chosen: ServeConfig, field: str) -> object:
    settings = chosen.settings
    if field in ("log_level", "log_format"):
        return getattr(chosen, field)
    if field.startswith("limits."):
        return getattr(settings.limits, field.removeprefix("limits."))
    return getattr(settings, field)


def test_every_option_has_a_change_case() -> None:
    assert {(o.table, o.key) for o in OPTIONS} == {(t, k) for t, k, *_ in CHANGES}


def test_every_option_lands_in_a_real_setting() -> None:
    fields = {f.name for f in dataclasses.fields(RecorderSettings)}
    limits = {f.name for f in dataclasses.fields(Limits)}
    for option in OPTIONS:
        name = option.field
        assert name in SERVE_ONLY or name in fields or name.removeprefix("limits.") in limits


@pytest.mark.parametrize(("table", "key", "text", "field", "expected"), CHANGES)
def test_each_option_is_applied(table: str, key: str, text: str, field: str,
                                expected: object) -> None:
    chosen = apply(parse(f"[{table}]\n{key} = {text}\n"))
    assert landed(chosen, field) == expected
    untouched = apply({})
    assert landed(untouched, field) != expected


def test_the_defaults_file_round_trips_to_the_defaults() -> None:
    text = render_defaults()
    values = parse(text)
    assert len(values) == len(OPTIONS)
    chosen = apply(values)
    assert chosen.settings == RecorderSettings() and chosen.log_level == "INFO"
    assert all(line.startswith(("#", "[", "")) for line in text.splitlines())
    assert all(f"\n{o.key} = " in text for o in OPTIONS)
    assert tomllib.loads(text)["limits"]["max_recordings"] == default_value(
        next(o for o in OPTIONS if o.key == "max_recordings"))


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("[limits]\nmax_recordings = 200\nmax_cameras = 3\n", 3, "unknown option limits.max_cameras"),
    ("[limits]\n\nmax_recordings = \"many\"\n", 3, "must be an integer, got str"),
    ("[limits]\nmax_recordings = 0\n", 2, "must be at least 1"),
    ("[recording]\ndisk_reserve = 1.5\n", 2, "must be at least 0 and below 1"),
    ("[security]\nallow_password_text = 1\n", 2, "must be true or false"),
    ("[limits]\nmax_users = true\n", 2, "must be an integer, got bool"),
    ("[server]\nlisten = \"8080\"\n", 2, "expected HOST:PORT"),
    ("# comment\n[server\nlisten = 1\n", 2, "Expected ']'"),
    ("[media]\nroots = []\n", 2, "unknown option media.roots"),
    ("[logging]\nlevel = \"LOUD\"\n", 2, "must be one of"),
    ("[logging]\nformat = \"xml\"\n", 2, "logging.format must be one of text, json"),
    ("listen = \"x\"\n", 1, "must be a [table]"),
])
def test_a_wrong_file_names_the_line_and_the_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert caught.value.line == line
    assert reason in caught.value.reason


def test_serve_refuses_a_wrong_file_before_starting(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[limits]\nmax_recordings = -1\n")
    done = subprocess.run([sys.executable, "-m", "onvif_recorder", "serve", "--config", str(path),
                           "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "line 2: limits.max_recordings must be at least 1" in done.stderr
    assert not (tmp_path / "data").exists()


def test_config_command_prints_and_checks(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "onvif_recorder", "config"]
    printed = subprocess.run([*run, "--defaults"], capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0 and printed.stdout == render_defaults()
    good = tmp_path / "good.toml"
    good.write_text(printed.stdout)
    assert subprocess.run([*run, "--check", str(good)], timeout=60).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits]\nmax_recordings = 2.5\n")
    checked = subprocess.run([*run, "--check", str(bad)], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 1 and "line 2" in checked.stderr


ROOTS = '[recording]\nsegment_duration = 5\n\n[[media_roots]]\npath = "/mnt/a"\nreserve = 0.1\n' \
        '\n[[media_roots]]\npath = "/mnt/b"\n'


def test_media_roots_are_applied_each_with_its_reserve() -> None:
    chosen = apply(parse(ROOTS))
    assert chosen.settings.media_roots == (MediaRoot(Path("/mnt/a"), 0.1),
                                           MediaRoot(Path("/mnt/b"), 0.05))
    assert chosen.settings.all_media_roots == chosen.settings.media_roots
    default = apply({}).settings
    assert default.all_media_roots == (MediaRoot(default.data_dir / "media", 0.05),)


def test_the_defaults_document_media_roots_with_an_example_that_parses() -> None:
    text = render_defaults()
    assert "# [[media_roots]]" in text and "reserve" in text
    example = "\n".join(line.removeprefix("# ") for line in text.splitlines()
                        if line.startswith(("# [[", "# path =", "# reserve =")))
    assert len(apply(parse(example)).settings.media_roots) == 2


@pytest.mark.parametrize(("text", "line", "reason"), [
    (ROOTS.replace("reserve = 0.1", "reserve = 1.5"), 6, "must be at least 0 and below 1"),
    (ROOTS + 'reserve = "lots"\n', 10, "media_roots.reserve must be a number, got str"),
    (ROOTS + "disk = 2\n", 10, "unknown option media_roots.disk"),
    (ROOTS.replace('path = "/mnt/b"', 'path = ""'), 9, "must be a non-empty string"),
    (ROOTS.replace('path = "/mnt/b"', 'path = "/mnt/a"'), 9, "'/mnt/a' is given twice"),
    ('media_roots = "/mnt/a"\n', 1, "must be [[media_roots]] tables"),
])
def test_a_wrong_media_root_names_its_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert caught.value.line == line
    assert reason in caught.value.reason
