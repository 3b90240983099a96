"""SQLite persistence of the recorder state (RC §5.2: objects survive a power cycle).

The connection comes from ``persistence.database`` (WAL, ``synchronous=FULL``: a
committed transaction survives ``kill -9`` and power loss; the schema migrated); each
``commit`` is one explicit transaction, so a failure leaves the previous state intact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from onvif_recorder.domain.job import RecordingJob
from onvif_recorder.domain.keystore import KeyPair, StoredCertificate
from onvif_recorder.domain.receiver import Receiver
from onvif_recorder.domain.recording import Recording
from onvif_recorder.domain.schedule import Schedule, SpecialDayGroup
from onvif_recorder.domain.storage import StorageConfiguration
from onvif_recorder.domain.users import User
from onvif_recorder.persistence.codec import from_json, to_json
from onvif_recorder.persistence.database import SchemaTooNew, connect
from onvif_recorder.service.state import Changes, RecorderState

T = TypeVar("T")
__all__ = ["SchemaTooNew", "SqliteStore"]


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        self.connection = connect(path)  # WAL, synchronous=FULL, schema migrated

    def _transaction(self) -> _Transaction:
        return _Transaction(self.connection)

    def load(self) -> RecorderState:
        return RecorderState(
            recordings=self._load("recordings", Recording, lambda r: r.token),
            jobs=self._load("jobs", RecordingJob, lambda j: j.token),
            receivers=self._load("receivers", Receiver, lambda r: r.token),
            users=self._load("users", User, lambda u: u.username),
            storage=self._load("storage", StorageConfiguration, lambda s: s.token),
            schedules=self._load("schedules", Schedule, lambda s: s.token),
            special_day_groups=self._load("special_day_groups", SpecialDayGroup,
                                          lambda g: g.token),
            certificates=self._load("certificates", StoredCertificate,
                                    lambda c: c.certificate_id),
            keys=self._load("keys", KeyPair, lambda k: k.key_id),
            counters=dict(self.connection.execute("SELECT name, value FROM counters").fetchall()),
        )

    def _load(self, table: str, kind: type[T], key: Callable[[T], str]) -> dict[str, T]:
        rows = self.connection.execute(f"SELECT doc FROM {table} ORDER BY seq").fetchall()
        items = [from_json(kind, json.loads(doc)) for (doc,) in rows]
        return {key(item): item for item in items}

    def commit(self, changes: Changes) -> None:
        with self._transaction():
            self._write("recordings", changes.recordings, changes.deleted_recordings, "token")
            self._write("jobs", changes.jobs, changes.deleted_jobs, "token")
            self._write("receivers", changes.receivers, changes.deleted_receivers, "token")
            self._write("users", changes.users, changes.deleted_users, "username")
            self._write("storage", changes.storage, changes.deleted_storage, "token")
            self._write("schedules", changes.schedules, changes.deleted_schedules, "token")
            self._write("special_day_groups", changes.special_day_groups,
                        changes.deleted_special_day_groups, "token")
            self._write("certificates", changes.certificates, changes.deleted_certificates,
                        "certificate_id")
            self._write("keys", changes.keys, changes.deleted_keys, "key_id")
            self.connection.executemany(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                list(changes.counters.items()),
            )

    def _write(self, table: str, puts: list[Any], deletes: list[str], key: str) -> None:
        for token in deletes:
            self.connection.execute(f"DELETE FROM {table} WHERE token = ?", (token,))
        for item in puts:
            doc = json.dumps(to_json(item), separators=(",", ":"))
            # Upsert keeps ``seq`` (creation order) of an existing object.
            self.connection.execute(
                f"INSERT INTO {table} (token, doc) VALUES (?, ?) "
                "ON CONFLICT(token) DO UPDATE SET doc = excluded.doc",
                (getattr(item, key), doc),
            )

    def close(self) -> None:
        self.connection.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is not None:
            self.connection.execute("ROLLBACK")
            return
        try:
            self.connection.execute("COMMIT")
        except sqlite3.Error:
            # A failed COMMIT (e.g. SQLITE_BUSY, disk full) leaves the transaction
            # open; roll it back so the next BEGIN works and the caller sees the error.
            self.connection.execute("ROLLBACK")
            raise
