"""The durable upload spool: finished objects on local disk plus a journal in SQLite.

A recording whose target is an object store writes each segment into the spool
directory (``<data dir>/spool/<recording>/<key>.partial``) with the shared durable
writer of local storage (``storage.segment_file``: per fragment to the kernel, fsync
every ``fsync_interval`` and before the rename, directory fsynced after), computing the
MD5 on the way, under a journal row (``uploads``, schema 3) that is not ready yet; when
the segment closes the file is renamed to ``<key>`` and the row completed with size,
MD5, content type and B.9 attributes. Span-end objects are rows without a file. A row
is deleted, and then its file, only after the store confirmed the object
(``confirmed``), so ``kill -9`` at any point leaves a row with its file (uploaded again
after restart: PUT is idempotent), an orphan file, or a segment being built; the
start-up ``storage.spool_recovery.sweep`` removes the one and repairs the other
(complete fragments kept, span-end object added).

Bound: ``max_bytes`` of spooled segments. When an insert goes past it (the store stayed
down longer than the budget holds), the **oldest** pending segment objects are dropped
until the spool fits again, counted per storage as ``dropped_objects``/``dropped_bytes``
and logged: the newest footage is kept, like local storage's retention does. Span-end
objects (no body) are never dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from onvif_recorder.persistence.database import connect
from onvif_recorder.storage.segment_file import DEFAULT_FSYNC_INTERVAL, SegmentFile

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 2 * 1024**3
_ENTRY = ("id, storage, recording, span, key, path, size, md5, content_type, metadata,"
          " start_utc, attempts, prefix, postfix")


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    id: int
    storage: str
    recording: str
    span: str
    key: str
    path: str
    """Relative to the spool root; empty for a span-end object."""
    size: int
    md5: str
    content_type: str
    metadata: dict[str, str]
    start_utc: float
    attempts: int = 0
    prefix: str = ""
    postfix: str = ""


@dataclass(frozen=True, slots=True)
class SpoolFile:
    """A segment being written into the spool: the shared writer, fed to an MD5."""

    relative: str
    writer: SegmentFile
    md5: hashlib._Hash


@dataclass(frozen=True, slots=True)
class FinishedFile:
    relative: str
    size: int
    md5: str


@dataclass(frozen=True, slots=True)
class TargetStatus:
    storage: str
    pending_objects: int = 0
    pending_bytes: int = 0
    oldest_pending_utc: float | None = None
    last_error: str | None = None
    last_error_utc: float | None = None
    last_upload_utc: float | None = None
    uploaded_objects: int = 0
    uploaded_bytes: int = 0
    dropped_objects: int = 0
    dropped_bytes: int = 0


def _entry(values: tuple[object, ...]) -> SpoolEntry:
    (id_, storage, recording, span, key, path, size, md5, ctype, metadata, start,
     attempts, prefix, postfix) = values
    return SpoolEntry(int(str(id_)), str(storage), str(recording), str(span), str(key),
                      str(path), int(str(size)), str(md5), str(ctype),
                      dict(json.loads(str(metadata))), float(str(start)), int(str(attempts)),
                      str(prefix), str(postfix))


class UploadSpool:
    def __init__(self, root: Path, database: Path | str, max_bytes: int = DEFAULT_MAX_BYTES,
                 clock: Callable[[], float] = time.time,
                 fsync_interval: float = DEFAULT_FSYNC_INTERVAL) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.fsync_interval = fsync_interval
        self.connection = connect(database)  # synchronous=FULL: persistence.database
        self._clock = clock
        self.listeners: list[Callable[[str], None]] = []
        """Called with the storage token after every enqueue (wakes its drainer)."""
        self.drop_listeners: list[Callable[[list[SpoolEntry]], None]] = []
        """Called with the objects given up (never uploaded): their index rows go."""
        root.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self.connection.close()

    # --- writing a segment ----------------------------------------------------------

    def open_file(self, recording: str, key: str) -> SpoolFile:
        relative = f"{recording}/{key}"
        md5 = hashlib.md5()
        writer = SegmentFile(self.root / relative, fsync_interval=self.fsync_interval,
                             on_write=md5.update)
        return SpoolFile(relative, writer, md5)

    def append(self, file: SpoolFile, data: bytes | tuple[bytes, ...]) -> None:
        """Write ``data`` (whole, or a fragment's ``parts``) through to the kernel."""
        file.writer.append(*((data,) if isinstance(data, bytes) else data))

    def finish_file(self, file: SpoolFile) -> FinishedFile:
        """The file becomes ``<key>``, durable with its directory entry."""
        size = file.writer.finish()
        return FinishedFile(file.relative, size, file.md5.hexdigest())

    def discard_file(self, file: SpoolFile) -> None:
        file.writer.discard()

    # --- journal --------------------------------------------------------------------

    def begin(self, storage: str, recording: str, span: str, key: str, file: SpoolFile,
              content_type: str, metadata: dict[str, str], start_utc: float,
              layout: tuple[str, str]) -> int:
        """Journal a segment being built (not ready: never uploaded as it is)."""
        cursor = self.connection.execute(
            "INSERT INTO uploads (storage, recording, span, key, path, size, md5, content_type,"
            " metadata, start_utc, ready, prefix, postfix)"
            " VALUES (?, ?, ?, ?, ?, 0, '', ?, ?, ?, 0, ?, ?)",
            (storage, recording, span, key, file.relative, content_type, json.dumps(metadata),
             start_utc, *layout))
        return int(cursor.lastrowid or 0)

    def complete(self, row: int, body: FinishedFile, content_type: str,
                 metadata: dict[str, str]) -> None:
        """The segment's file is final: its row becomes ready for upload."""
        self.connection.execute(
            "UPDATE uploads SET size = ?, md5 = ?, content_type = ?, metadata = ?, ready = 1"
            " WHERE id = ?", (body.size, body.md5, content_type, json.dumps(metadata), row))
        self._added(self.storage_of(row))

    def abandon(self, row: int) -> None:
        self.connection.execute("DELETE FROM uploads WHERE id = ? AND ready = 0", (row,))

    def storage_of(self, row: int) -> str:
        found = self.connection.execute("SELECT storage FROM uploads WHERE id = ?", (row,))
        value = found.fetchone()
        return "" if value is None else str(value[0])

    def entry(self, storage: str, key: str) -> SpoolEntry | None:
        found = self.connection.execute(
            f"SELECT {_ENTRY} FROM uploads WHERE storage = ? AND key = ?", (storage, key))
        values = found.fetchone()
        return None if values is None else _entry(values)

    def building(self) -> list[SpoolEntry]:
        rows = self.connection.execute(f"SELECT {_ENTRY} FROM uploads WHERE ready = 0")
        return [_entry(values) for values in rows.fetchall()]

    def entries(self) -> list[SpoolEntry]:
        """Every row, ready or being built, oldest first."""
        rows = self.connection.execute(f"SELECT {_ENTRY} FROM uploads ORDER BY id")
        return [_entry(values) for values in rows.fetchall()]

    def _added(self, storage: str) -> None:
        self.enforce_limit()
        for listener in self.listeners:
            listener(storage)

    def enqueue(self, storage: str, recording: str, span: str, key: str,
                body: FinishedFile | None, content_type: str, metadata: dict[str, str],
                start_utc: float) -> int:
        """Journal one finished object; its file (if any) is already fsynced in place."""
        path, size, md5 = (body.relative, body.size, body.md5) if body else (
            "", 0, hashlib.md5(b"").hexdigest())
        cursor = self.connection.execute(
            "INSERT INTO uploads (storage, recording, span, key, path, size, md5, content_type,"
            " metadata, start_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (storage, recording, span, key, path, size, md5, content_type,
             json.dumps(metadata), start_utc))
        self._added(storage)
        return int(cursor.lastrowid or 0)

    def storages(self) -> list[str]:
        rows = self.connection.execute(
            "SELECT DISTINCT storage FROM uploads WHERE ready = 1").fetchall()
        return [str(row[0]) for row in rows]

    def heads(self, storage: str, limit: int) -> list[SpoolEntry]:
        """The oldest pending object of each span of ``storage``, oldest spans first."""
        rows = self.connection.execute(
            f"SELECT {_ENTRY} FROM uploads u WHERE storage = ? AND ready = 1 AND id = "
            "(SELECT MIN(id) FROM uploads WHERE span = u.span) ORDER BY id LIMIT ?",
            (storage, limit)).fetchall()
        return [_entry(values) for values in rows]

    def read_body(self, entry: SpoolEntry) -> bytes:
        return (self.root / entry.path).read_bytes() if entry.path else b""

    def confirmed(self, entry: SpoolEntry) -> None:
        """The store holds the object: forget the row, then delete the file."""
        with self.connection:
            deleted = self.connection.execute("DELETE FROM uploads WHERE id = ?", (entry.id,))
            if deleted.rowcount:
                self._count(entry.storage, "uploaded", 1, entry.size)
                self.connection.execute(
                    "UPDATE upload_targets SET last_upload_utc = ? WHERE storage = ?",
                    (self._clock(), entry.storage))
        self._unlink(entry.path)

    def failed(self, storage: str, entries: list[SpoolEntry], message: str) -> None:
        with self.connection:
            self.connection.executemany("UPDATE uploads SET attempts = attempts + 1 WHERE id = ?",
                                        [(e.id,) for e in entries])
            self._target(storage)
            self.connection.execute(
                "UPDATE upload_targets SET last_error = ?, last_error_utc = ? WHERE storage = ?",
                (message, self._clock(), storage))

    def drop(self, entries: list[SpoolEntry], reason: str) -> None:
        """Give objects up (spool full, retention, file lost); counted as dropped."""
        for entry in entries:
            with self.connection:
                gone = self.connection.execute("DELETE FROM uploads WHERE id = ?", (entry.id,))
                if gone.rowcount:
                    self._count(entry.storage, "dropped", 1, entry.size)
            self._unlink(entry.path)
        if entries:
            log.warning("upload spool: dropped %d objects (%s)", len(entries), reason)
            for listener in self.drop_listeners:
                listener(entries)

    def _target(self, storage: str) -> None:
        self.connection.execute(
            "INSERT OR IGNORE INTO upload_targets (storage) VALUES (?)", (storage,))

    def _count(self, storage: str, what: str, objects: int, size: int) -> None:
        self._target(storage)
        self.connection.execute(
            f"UPDATE upload_targets SET {what}_objects = {what}_objects + ?, "
            f"{what}_bytes = {what}_bytes + ? WHERE storage = ?", (objects, size, storage))

    def _unlink(self, relative: str) -> None:
        if relative:
            with contextlib.suppress(FileNotFoundError):
                (self.root / relative).unlink()

    # --- bounds and start-up --------------------------------------------------------

    def pending_bytes(self) -> int:
        value = self.connection.execute("SELECT COALESCE(SUM(size), 0) FROM uploads")
        return int(value.fetchone()[0])

    def enforce_limit(self) -> None:
        excess = self.pending_bytes() - self.max_bytes
        if excess <= 0:
            return
        rows = self.connection.execute(
            f"SELECT {_ENTRY} FROM uploads WHERE size > 0 ORDER BY id").fetchall()
        doomed: list[SpoolEntry] = []
        for entry in map(_entry, rows):
            if excess <= 0:
                break
            doomed.append(entry)
            excess -= entry.size
        self.drop(doomed, f"spool over its {self.max_bytes} byte budget")

    def expire(self, recording: str, before_utc: float) -> None:
        """MaximumRetentionTime on the spool: objects that started before ``before_utc``."""
        rows = self.connection.execute(
            f"SELECT {_ENTRY} FROM uploads WHERE recording = ? AND start_utc < ? AND size > 0",
            (recording, before_utc)).fetchall()
        self.drop([_entry(values) for values in rows], "older than MaximumRetentionTime")


def target_status(connection: sqlite3.Connection) -> list[TargetStatus]:
    """Per storage: what waits in the spool and how uploads went (``status`` command)."""
    pending = {str(r[0]): r[1:] for r in connection.execute(
        "SELECT storage, COUNT(*), SUM(size), MIN(start_utc) FROM uploads WHERE ready = 1"
        " GROUP BY storage")}
    targets = {str(r[0]): r[1:] for r in connection.execute(
        "SELECT storage, last_error, last_error_utc, last_upload_utc, uploaded_objects,"
        " uploaded_bytes, dropped_objects, dropped_bytes FROM upload_targets")}
    result = []
    for storage in sorted(set(pending) | set(targets)):
        count, size, oldest = pending.get(storage, (0, 0, None))
        error, error_at, upload_at, up_n, up_b, drop_n, drop_b = targets.get(
            storage, (None, None, None, 0, 0, 0, 0))
        result.append(TargetStatus(storage, int(count), int(size or 0), oldest, error,
                                   error_at, upload_at, int(up_n), int(up_b), int(drop_n),
                                   int(drop_b)))
    return result
