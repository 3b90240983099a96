"""``onvif-recorder status``: the whole recorder, read from its database and data directory.

Works while the recorder runs (SQLite WAL readers never block the writer; the database
is opened read-only) and when it is stopped: recordings with their tracks, target,
segments and bytes stored and the last segment's end; recording jobs and receivers as
configured; the storage roots with their free space; the upload spool per storage
(``upload_status``). Job and receiver *states* live only in the running process: with
``--url`` they are read from its ``/metrics`` (``onvif_recorder_job_state``,
``onvif_recorder_receiver_state``), otherwise the configured modes are shown and the
output says the states are unknown.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import sqlite3
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families

from onvif_recorder.domain.job import RecordingJob
from onvif_recorder.domain.receiver import Receiver
from onvif_recorder.domain.recording import Recording
from onvif_recorder.engine.receiver_task import public_uri
from onvif_recorder.persistence.codec import from_json
from onvif_recorder.service.jobs_common import receiver_tokens
from onvif_recorder.storage.upload_queue import TargetStatus
from onvif_recorder.upload_status import read_status, utc_text
from onvif_recorder.upload_status import render as render_spool

T = TypeVar("T")
UNKNOWN = "unknown (recorder not asked: give --url)"


@dataclass(frozen=True, slots=True)
class RecordingStatus:
    token: str
    name: str
    source_id: str
    tracks: list[str]
    target: str
    segments: int = 0
    bytes_stored: int = 0
    first_utc: float | None = None
    last_utc: float | None = None


@dataclass(frozen=True, slots=True)
class JobStatus:
    token: str
    recording: str
    mode: str
    priority: int
    receivers: list[str]
    state: str = UNKNOWN


@dataclass(frozen=True, slots=True)
class ReceiverStatus:
    token: str
    mode: str
    media_uri: str
    state: str = UNKNOWN


@dataclass(frozen=True, slots=True)
class RootStatus:
    name: str
    path: str
    free_bytes: int | None
    total_bytes: int | None
    used_bytes: int = 0
    """What the recorder keeps there: local segments (media) or pending objects (spool)."""


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    number: str
    cpu_seconds: float
    resident_bytes: int
    restarts: int


@dataclass(slots=True)
class RecorderStatus:
    data_dir: str
    live: bool = False
    recordings: list[RecordingStatus] = field(default_factory=list)
    jobs: list[JobStatus] = field(default_factory=list)
    receivers: list[ReceiverStatus] = field(default_factory=list)
    roots: list[RootStatus] = field(default_factory=list)
    spool: list[TargetStatus] = field(default_factory=list)
    workers: list[WorkerStatus] = field(default_factory=list)
    """The worker processes (``--url`` only: they exist while the recorder runs)."""


def read(data_dir: Path) -> RecorderStatus:
    status = RecorderStatus(str(data_dir))
    database = data_dir / "recorder.sqlite3"
    media: dict[str, int] = {"": 0}
    if database.is_file():
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            media = {"": _read_configuration(connection, status)} | _media_roots(connection)
        finally:
            connection.close()
        status.spool = read_status(database)
    spooled = sum(target.pending_bytes for target in status.spool)
    status.roots = [_root("media", Path(root) if root else data_dir / "media", used)
                    for root, used in sorted(media.items())]
    status.roots.append(_root("spool", data_dir / "spool", spooled))
    return status


def _read_configuration(connection: sqlite3.Connection, status: RecorderStatus) -> int:
    """Fill in recordings, jobs and receivers; return the bytes of local segments."""
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    stored = _stored_segments(connection) if "segments" in tables else {}
    for recording in _load(connection, tables, "recordings", Recording):
        status.recordings.append(_recording(recording, stored.get(recording.token)))
    for job in _load(connection, tables, "jobs", RecordingJob):
        job_config = job.configuration
        status.jobs.append(JobStatus(job.token, job_config.recording_token,
                                     job_config.mode.value, job_config.priority,
                                     sorted(receiver_tokens(job))))
    for receiver in _load(connection, tables, "receivers", Receiver):
        uri = receiver.configuration.media_uri
        status.receivers.append(ReceiverStatus(receiver.token,
                                               receiver.configuration.mode.value,
                                               public_uri(uri) if uri else ""))
    if "segments" not in tables:
        return 0
    local = connection.execute(
        "SELECT COALESCE(SUM(size), 0) FROM segments WHERE location = 'local'").fetchone()
    return int(local[0])


def _load(connection: sqlite3.Connection, tables: set[str], table: str,
          kind: type[T]) -> list[T]:
    if table not in tables:
        return []
    rows = connection.execute(f"SELECT doc FROM {table} ORDER BY seq").fetchall()
    return [from_json(kind, json.loads(doc)) for (doc,) in rows]


def _media_roots(connection: sqlite3.Connection) -> dict[str, int]:
    """Bytes of local segments per media root the index names ("": <data dir>/media)."""
    try:
        rows = connection.execute("SELECT root, COALESCE(SUM(size), 0) FROM segments"
                                  " WHERE location = 'local' GROUP BY root").fetchall()
    except sqlite3.OperationalError:  # no segments yet, or a schema before 7
        return {}
    return {str(root): int(size) for root, size in rows}


def _stored_segments(connection: sqlite3.Connection) -> dict[str, tuple[Any, ...]]:
    return {str(row[0]): row[1:] for row in connection.execute(
        "SELECT recording, COUNT(*), COALESCE(SUM(size), 0), MIN(start_utc), MAX(end_utc)"
        " FROM segments GROUP BY recording")}


def _recording(recording: Recording, stored: tuple[Any, ...] | None) -> RecordingStatus:
    c = recording.configuration
    target = f"storage {c.target.storage}" if c.target is not None else "local"
    count, size, first, last = stored or (0, 0, None, None)
    return RecordingStatus(
        recording.token, c.source.name, c.source.source_id,
        [f"{t.token} ({t.configuration.track_type.value})" for t in recording.tracks],
        target, int(count), int(size), first, last)


def _root(name: str, path: Path, used: int) -> RootStatus:
    try:
        usage = shutil.disk_usage(path if path.exists() else path.parent)
    except OSError:
        return RootStatus(name, str(path), None, None, used)
    return RootStatus(name, str(path), usage.free, usage.total, used)


_CPU = "onvif_recorder_worker_cpu_seconds_total"
_RSS = "onvif_recorder_worker_resident_memory_bytes"
_RESTARTS = "onvif_recorder_worker_restarts_total"


def ask_live(status: RecorderStatus, url: str, user: str | None = None,
             password: str | None = None, timeout: float = 5.0) -> None:
    """Fill in job and receiver states from the running recorder's ``/metrics``."""
    request = urllib.request.Request(url.rstrip("/") + "/metrics")
    if user is not None:
        secret = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {secret}")
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        text = answer.read().decode()
    states: dict[str, dict[str, str]] = {"job": {}, "receiver": {}}
    workers: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        kind = family.name.removeprefix("onvif_recorder_").removesuffix("_state")
        if family.name.endswith("_state") and kind in states:
            for sample in family.samples:
                if sample.value == 1:
                    states[kind][sample.labels[kind]] = sample.labels["state"]
        elif family.name.startswith("onvif_recorder_worker_"):
            for sample in family.samples:
                workers.setdefault(sample.labels["worker"], {})[sample.name] = sample.value
    status.workers = [WorkerStatus(number, found.get(_CPU, 0.0), int(found.get(_RSS, 0)),
                                   int(found.get(_RESTARTS, 0)))
                      for number, found in sorted(workers.items())]
    status.live = True
    status.jobs = [dataclasses.replace(j, state=states["job"].get(j.token, "unknown"))
                   for j in status.jobs]
    status.receivers = [dataclasses.replace(r, state=states["receiver"].get(r.token, "unknown"))
                        for r in status.receivers]


def render(status: RecorderStatus, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(dataclasses.asdict(status), indent=2) + "\n"
    lines = [f"data directory {status.data_dir}"
             + ("" if status.live else " (job and receiver states: give --url)"), "",
             f"recordings: {len(status.recordings)}"]
    for r in status.recordings:
        lines.append(f"  {r.token} {r.name!r} source {r.source_id!r} -> {r.target};"
                     f" {r.segments} segments, {_size(r.bytes_stored)},"
                     f" {utc_text(r.first_utc)} .. {utc_text(r.last_utc)}")
        lines.append(f"    tracks: {', '.join(r.tracks) or '-'}")
    lines += ["", f"jobs: {len(status.jobs)}"]
    lines += [f"  {j.token} recording {j.recording} mode {j.mode} priority {j.priority}"
              f" receivers {', '.join(j.receivers) or '-'}: state {j.state}"
              for j in status.jobs]
    lines += ["", f"receivers: {len(status.receivers)}"]
    lines += [f"  {r.token} {r.mode} {r.media_uri or '(no MediaUri)'}: state {r.state}"
              for r in status.receivers]
    lines += ["", "storage roots:"]
    lines += [f"  {root.name} {root.path}: {_size(root.used_bytes)} recorder data,"
              f" {_size(root.free_bytes)} free of {_size(root.total_bytes)}"
              for root in status.roots]
    if status.live:
        lines += ["", f"worker processes: {len(status.workers)}"]
        lines += [f"  worker {w.number}: {w.cpu_seconds:.1f} s CPU, {_size(w.resident_bytes)}"
                  f" resident, restarted {w.restarts} times" for w in status.workers]
    lines += ["", "upload spool:"]
    lines += ["  " + line for line in render_spool(status.spool).splitlines()]
    return "\n".join(lines) + "\n"


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
