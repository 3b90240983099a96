"""``onvif-recorder status``: the upload spool per storage target, read from the database.

Works while the recorder runs (SQLite WAL readers never block the writer) and when it
is stopped: pending objects and bytes, the oldest pending object, uploads done, objects
dropped by the spool policy, and the last error with its time.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import sqlite3
from pathlib import Path

from onvif_recorder.storage.upload_queue import TargetStatus, target_status


def read_status(database: Path) -> list[TargetStatus]:
    if not database.is_file():
        return []
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        return target_status(connection) if "uploads" in tables else []
    finally:
        connection.close()


def utc_text(value: float | None) -> str:
    if value is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def render(statuses: list[TargetStatus], as_json: bool = False) -> str:
    if as_json:
        return json.dumps([dataclasses.asdict(s) for s in statuses], indent=2) + "\n"
    if not statuses:
        return "no object-storage uploads yet\n"
    lines = []
    for s in statuses:
        lines.append(
            f"storage {s.storage}: pending {s.pending_objects} objects, {s.pending_bytes} bytes"
            f" (oldest {utc_text(s.oldest_pending_utc)}); uploaded {s.uploaded_objects} objects,"
            f" {s.uploaded_bytes} bytes (last {utc_text(s.last_upload_utc)}); dropped"
            f" {s.dropped_objects} objects, {s.dropped_bytes} bytes")
        if s.last_error:
            lines.append(f"  last error at {utc_text(s.last_error_utc)}: {s.last_error}")
    return "\n".join(lines) + "\n"
