"""The recorder database (``DATA_DIR/recorder.sqlite3``): the one way to open it.

Every writer (the configuration store, the segment index, the upload spool) opens its
own connection here, so all get the schema of ``persistence.schema`` (migrated by the
first opener, under ``BEGIN IMMEDIATE``) and the same journal and durability settings.
They use connections of their own because each runs transactions on its own schedule;
WAL lets the others read meanwhile.

Durability, per table family (``synchronous`` is a per-connection setting in SQLite):

* **configuration** (``recordings``, ``jobs``, ``receivers``, ``users``, ``storage``,
  ``counters``): ``FULL``. A client was told the change is done (RC §5.2: objects
  survive a power cycle); nothing else could rebuild it.
* **segments**: ``FULL``. ``NORMAL`` would survive ``kill -9`` (a commit is in the WAL,
  in the kernel) and local rows are rebuilt from the files at start-up anyway, but rows
  of object-storage segments cannot be rebuilt (the spooled file is deleted once the
  store has it) and "Incompatible Stream" (RC §5.19) reads them, so a power cut must
  not lose them either. The cost is one WAL fsync per commit: two per segment.
* **uploads**: ``FULL``. A spooled file whose row was lost is an orphan that start-up
  removes: the row must be on disk before the drainer may forget anything.

So every connection is ``journal_mode=WAL``, ``synchronous=FULL``: one setting, chosen
per family above, not two connections that disagree.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from onvif_recorder.persistence.schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 5000
SYNCHRONOUS = "FULL"


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the recorder."""


def connect(path: Path | str) -> sqlite3.Connection:
    """An autocommit connection (explicit transactions) to a current-schema database."""
    # One event loop uses each connection, but it may be built on another thread (tests).
    connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        _check_version(connection)
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        _migrate(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _check_version(connection: sqlite3.Connection) -> int:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(f"database schema {version} is newer than {SCHEMA_VERSION}")
    return version


def _statements(script: str) -> list[str]:
    """The statements of ``script``; a trigger body's ``;`` do not end its CREATE
    TRIGGER (``executescript`` would commit the migration's transaction)."""
    found, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                found.append(pending)
            pending = ""
    return found


def _migrate(connection: sqlite3.Connection) -> None:
    if _check_version(connection) == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another connection may have migrated meanwhile.
        for step in range(_check_version(connection), SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[step]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={step + 1}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
