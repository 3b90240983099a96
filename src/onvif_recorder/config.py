"""The configuration file (``serve --config FILE``): TOML, read with the standard library.

One table, ``OPTIONS``, drives everything: which tables and keys a file may hold, the type
and range of each value, where it lands in ``RecorderSettings``, the help text, and
``onvif-recorder config --defaults``, which prints a complete commented file of the
defaults. So an option is added in one row, and the defaults always round-trip.

A file is checked whole before the recorder starts: a TOML syntax error, an unknown table
or key, a value of the wrong type or out of range is a ``ConfigError`` naming the line and
the reason. Options given on the command line win over the file.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from onvif_recorder.config_roots import DOCUMENTATION, TABLE, RootError, parse_roots
from onvif_recorder.settings import MediaRoot, RecorderSettings

Value = int | float | str | bool
Setting = Value | tuple[MediaRoot, ...]
"""What a file sets: an option's value, or the roots of ``[[media_roots]]``."""
LOG_FORMATS = ("text", "json")


class ConfigError(ValueError):
    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080``, ``:8080`` = all IPv4 addresses)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def _at_least(minimum: float) -> Callable[[Value], str | None]:
    return lambda value: None if float(value) >= minimum else f"must be at least {minimum:g}"


def _fraction(value: Value) -> str | None:
    return None if 0 <= float(value) < 1 else "must be at least 0 and below 1"


def _listen(value: Value) -> str | None:
    try:
        parse_listen(str(value))
    except ValueError as exc:
        return str(exc)
    return None


def _log_format(value: Value) -> str | None:
    return None if value in LOG_FORMATS else f"must be one of {', '.join(LOG_FORMATS)}"


def _level(value: Value) -> str | None:
    levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    return None if str(value).upper() in levels else f"must be one of {', '.join(levels)}"


@dataclass(frozen=True, slots=True)
class Option:
    table: str
    key: str
    kind: type[Value]
    field: str
    """Where the value goes: a ``RecorderSettings`` field, ``limits.<Limits field>``, or a
    serve option that is not a setting (``listen``, ``log_level``)."""
    help: str
    check: Callable[[Value], str | None] | None = None


_POSITIVE = _at_least(1)
_LIMITS = (
    ("max_recordings", "MaxRecordings: recordings that can exist"),
    ("max_tracks_per_type", "tracks of each type (video, audio, metadata) per recording"),
    ("max_recording_jobs", "MaxRecordingJobs: recording jobs that can exist"),
    ("max_receivers", "receivers that can exist (Receiver SupportedReceivers)"),
    ("max_users", "users that can exist"),
    ("max_storage_configurations", "storage configurations that can exist"),
    ("max_pull_points", "MaxPullPoints: PullPoint subscriptions at one time"),
    ("max_scopes", "discovery scopes, fixed and configurable together"),
    ("pre_event_max_bytes", "sample bytes a waiting event job holds per source for Before"),
)

OPTIONS: tuple[Option, ...] = (
    Option("server", "listen", str, "listen", "SOAP/HTTP address, HOST:PORT", _listen),
    Option("server", "rtsp_listen", str, "rtsp_listen", "replay RTSP server address, "
           "HOST:PORT (port 0: any free port)", _listen),
    Option("server", "data_dir", str, "data_dir", "database and recordings (relative to the "
           "working directory)"),
    Option("security", "allow_password_text", bool, "allow_password_text",
           "accept WS-UsernameToken PasswordText (clear-text passwords)"),
    *(Option("limits", key, int, f"limits.{key}", text, _POSITIVE) for key, text in _LIMITS),
    Option("recording", "segment_duration", float, "segment_duration",
           "seconds per segment of recordings without a Target (a Target's wins)", _at_least(1)),
    Option("recording", "fsync_interval", float, "fsync_interval",
           "seconds between fsyncs of a segment being written (a power cut loses at most "
           "this much)", _at_least(0)),
    Option("recording", "workers", int, "workers",
           "most worker processes that receive and record (each started when it gets a "
           "recording); 0: one per CPU core", _at_least(0)),
    Option("recording", "disk_reserve", float, "disk_reserve",
           "fraction of the file system kept free by deleting the oldest segments", _fraction),
    Option("uploads", "spool_max_bytes", int, "spool_max_bytes",
           "upload spool budget in bytes; past it the oldest pending segments are dropped",
           _at_least(1 << 20)),
    Option("uploads", "backoff_max", float, "upload_backoff_max",
           "seconds: longest wait between upload retries", _at_least(1)),
    Option("uploads", "connect_timeout", float, "upload_connect_timeout",
           "seconds to connect to an object store", _at_least(1)),
    Option("uploads", "progress_timeout", float, "upload_progress_timeout",
           "seconds an upload may make no progress before it is abandoned and retried on a "
           "new connection", _at_least(1)),
    Option("uploads", "min_rate", float, "upload_min_rate",
           "bytes per second below which an upload is abandoned even while it progresses",
           _at_least(1024)),
    Option("metrics", "require_auth", bool, "metrics_require_auth",
           "GET /metrics only for recorder users (HTTP Basic or Digest); anonymous if false"),
    Option("device", "discovery", bool, "discovery",
           "WS-Discovery on UDP 3702: Hello, Bye and answers to Probe and Resolve"),
    Option("device", "allow_hard_reset", bool, "allow_hard_reset",
           "let SetSystemFactoryDefault Hard delete every recording, user and setting"),
    Option("logging", "level", str, "log_level", "DEBUG, INFO, WARNING, ERROR", _level),
    Option("logging", "format", str, "log_format",
           "text (one line per event) or json (one JSON object per line)", _log_format),
)

SERVE_ONLY = {"listen": "0.0.0.0:8080", "rtsp_listen": "0.0.0.0:8554", "log_level": "INFO",
              "log_format": "text"}
"""Options of ``serve`` that are not ``RecorderSettings`` fields, with their defaults."""


@dataclass(frozen=True, slots=True)
class ServeConfig:
    settings: RecorderSettings
    log_level: str
    log_format: str = "text"


def default_value(option: Option, settings: RecorderSettings | None = None) -> Value:
    settings = settings or RecorderSettings()
    if option.field in SERVE_ONLY:
        return SERVE_ONLY[option.field]
    if option.field.startswith("limits."):
        value: object = getattr(settings.limits, option.field.removeprefix("limits."))
    else:
        value = getattr(settings, option.field)
    return str(value) if isinstance(value, Path) else value  # type: ignore[return-value]


def render_defaults() -> str:
    """A complete configuration file of the defaults, every option commented."""
    lines = ["# onvif-recorder configuration (serve --config FILE). Every option is shown",
             "# with its default; delete what you do not change."]
    table = None
    for option in OPTIONS:
        if option.table != table:
            table = option.table
            lines += ["", f"[{table}]"]
        lines += [f"# {option.help}", f"{option.key} = {_toml(default_value(option))}"]
    return "\n".join(lines) + "\n" + DOCUMENTATION


def load(path: Path) -> dict[str, Setting]:
    """Read and check ``path``; returns the values it sets by ``Option.field``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(None, f"cannot read {path}: {exc}") from exc
    return parse(text)


def parse(text: str) -> dict[str, Setting]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(int(found.group(1)) if found else None, str(exc)) from exc
    known = {(o.table, o.key): o for o in OPTIONS}
    values: dict[str, Setting] = {}
    for table, content in document.items():
        if table == TABLE:
            try:
                values["media_roots"] = parse_roots(text, content)
            except RootError as error:
                raise ConfigError(error.line, error.reason) from None
            continue
        if not isinstance(content, dict):
            raise ConfigError(_line_of(text, None, table), f"{table!r} must be a [table]")
        for key, value in content.items():
            option = known.get((table, key))
            line = _line_of(text, table, key)
            if option is None:
                raise ConfigError(line, f"unknown option {table}.{key}")
            values[option.field] = _checked(option, value, line)
    return values


def apply(values: Mapping[str, Setting], base: RecorderSettings | None = None) -> ServeConfig:
    """Settings with ``values`` (from ``parse`` and the command line) over ``base``."""
    settings = base or RecorderSettings()
    limits = {k.removeprefix("limits."): v for k, v in values.items() if k.startswith("limits.")}
    plain = {k: v for k, v in values.items() if "." not in k and k not in SERVE_ONLY}
    if "media_roots" in values:
        plain["media_roots"] = values["media_roots"]
    if "data_dir" in plain:
        plain["data_dir"] = Path(str(plain["data_dir"]))  # type: ignore[assignment]
    if "listen" in values:
        plain["listen_host"], plain["listen_port"] = parse_listen(str(values["listen"]))
    if "rtsp_listen" in values:
        plain["rtsp_listen_host"], plain["rtsp_listen_port"] = parse_listen(
            str(values["rtsp_listen"]))
    settings = dataclasses.replace(settings, limits=dataclasses.replace(
        settings.limits, **limits), **plain)  # type: ignore[arg-type]
    return ServeConfig(settings, str(values.get("log_level", SERVE_ONLY["log_level"])).upper(),
                       str(values.get("log_format", SERVE_ONLY["log_format"])))


def _checked(option: Option, value: object, line: int | None) -> Value:
    name = f"{option.table}.{option.key}"
    fits = isinstance(value, option.kind) and not (
        option.kind is not bool and isinstance(value, bool))
    if option.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, fits = float(value), True
    if not fits:
        raise ConfigError(line, f"{name} must be {_kind_name(option.kind)}, "
                                f"got {type(value).__name__}")
    assert isinstance(value, int | float | str | bool)
    problem = option.check(value) if option.check else None
    if problem:
        raise ConfigError(line, f"{name} {problem}")
    return value


def _kind_name(kind: type) -> str:
    return {bool: "true or false", int: "an integer", float: "a number",
            str: "a string"}[kind]


def _toml(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _line_of(text: str, table: str | None, key: str) -> int | None:
    """The line of ``key`` in ``[table]`` (or of the header ``[key]`` when ``table`` is
    None): tomllib keeps no positions, so look the key up in the text."""
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip('"')
            if table is None and current == key:
                return number
            continue
        if table is not None and current == table and re.match(
                rf'"?{re.escape(key)}"?\s*=', line):
            return number
        if table is None and current is None and re.match(rf'"?{re.escape(key)}"?\s*=', line):
            return number
    return None

