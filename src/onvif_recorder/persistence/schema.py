"""SQLite schema and its migrations. ``MIGRATIONS[n]`` takes version n to n+1.

Each object is one JSON document keyed by its token; ``seq`` keeps creation order,
so Get* operations list objects the way they were created.

Version 2 adds the segment index of local storage (``storage.segment_index``): one row
per segment file, written by the recording engine and reconciled with the files at
start-up. It lives in the same database so that a recording and its segments are one
backup, and SQLite's WAL lets the engine's connection write while the store reads.

Version 3 adds the upload spool's journal (``storage.upload_queue``): ``uploads`` holds
one row per finished object waiting for its object store (in ``id`` order per span),
``upload_targets`` the per-storage status that ``onvif-recorder status`` prints.

Version 4 makes the segment index cover object-storage targets too: ``location`` says
where a segment lives (``local``: a file under ``media/``; ``object``: an object in the
storage configuration ``storage``), and keys are unique per storage (``''`` for local
files), since two object stores may hold the same B.4 key. Existing rows are local.

How each table family is made durable, and why: ``persistence.database``.

Version 5 adds the Schedule service's objects: ``schedules`` and ``special_day_groups``.

Version 6 adds the Advanced Security keystore (``service.keystore``): ``certificates``
and ``keys``, keyed by CertificateID and KeyID.

Version 7 adds ``spans``: per recording, span and track set, the first start, last end,
segment count and open (unfinished) segments of the segment index, so Search answers
recorded ranges from a few rows per span instead of aggregating a month of segments
(bench/README.md). Derived in one place, the triggers below: every write of
``segments`` (the engine's index writer, start-up reconciliation, retention, deletions,
track rewrites) keeps it in step in the same transaction, and the migration fills it from
the existing rows. A bound only moves back by a re-read when the row deleted held it
(the first segment, found through ``segments_by_span``; the last one, a rare scan).
It also adds ``segments.search``: what Search needs of an object-storage segment
(``storage.search_summary``), empty for local files, which Search reads themselves;
and ``segments.root``: the media root of a local file (``storage.media_roots``; empty:
``<data dir>/media``, where every earlier row lives).
"""

from __future__ import annotations

SCHEMA_VERSION = 7

_OBJECT_TABLE = (
    "CREATE TABLE {} (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);"
)

_OBJECT_TABLES = ("recordings", "jobs", "receivers", "users", "storage")
_SPAN_OF = "recording = {0}.recording AND span = {0}.span AND tracks = {0}.tracks"
_ADD_SEGMENT = (
    "INSERT INTO spans (recording, span, tracks, codecs, start_utc, end_utc, segments, open)"
    " VALUES (NEW.recording, NEW.span, NEW.tracks, NEW.codecs, NEW.start_utc, NEW.end_utc, 1,"
    " 1 - NEW.complete) ON CONFLICT (recording, span, tracks) DO UPDATE SET"
    " start_utc = min(start_utc, excluded.start_utc), end_utc = max(end_utc, excluded.end_utc),"
    " segments = segments + 1, open = open + excluded.open, codecs = excluded.codecs;")
_REMOVE_SEGMENT = (
    "UPDATE spans SET segments = segments - 1, open = open - 1 + OLD.complete,"
    " start_utc = CASE WHEN OLD.start_utc <= start_utc THEN coalesce((SELECT min(start_utc)"
    f" FROM segments WHERE {_SPAN_OF.format('OLD')}), start_utc) ELSE start_utc END,"
    " end_utc = CASE WHEN OLD.end_utc >= end_utc THEN coalesce((SELECT max(end_utc)"
    f" FROM segments WHERE {_SPAN_OF.format('OLD')}), end_utc) ELSE end_utc END"
    f" WHERE {_SPAN_OF.format('OLD')};"
    f"DELETE FROM spans WHERE {_SPAN_OF.format('OLD')} AND segments <= 0;")
_SAME_SPAN = "OLD.recording = NEW.recording AND OLD.span = NEW.span AND OLD.tracks = NEW.tracks"
_SPANS = (
    "CREATE TABLE spans (recording TEXT NOT NULL, span TEXT NOT NULL, tracks TEXT NOT NULL,"
    " codecs TEXT NOT NULL, start_utc REAL NOT NULL, end_utc REAL NOT NULL,"
    " segments INTEGER NOT NULL, open INTEGER NOT NULL, PRIMARY KEY (recording, span, tracks));"
    "ALTER TABLE segments ADD COLUMN search TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE segments ADD COLUMN root TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX segments_by_span ON segments (recording, span, tracks, start_utc);"
    "INSERT INTO spans SELECT recording, span, tracks, max(codecs), min(start_utc),"
    " max(end_utc), count(*), sum(1 - complete) FROM segments GROUP BY recording, span, tracks;"
    f"CREATE TRIGGER spans_add AFTER INSERT ON segments BEGIN {_ADD_SEGMENT} END;"
    f"CREATE TRIGGER spans_remove AFTER DELETE ON segments BEGIN {_REMOVE_SEGMENT} END;"
    f"CREATE TRIGGER spans_grow AFTER UPDATE ON segments WHEN {_SAME_SPAN} BEGIN"
    " UPDATE spans SET start_utc = min(start_utc, NEW.start_utc),"
    " end_utc = max(end_utc, NEW.end_utc), open = open + OLD.complete - NEW.complete,"
    f" codecs = NEW.codecs WHERE {_SPAN_OF.format('NEW')}; END;"
    f"CREATE TRIGGER spans_move AFTER UPDATE ON segments WHEN NOT ({_SAME_SPAN}) BEGIN"
    f" {_REMOVE_SEGMENT} {_ADD_SEGMENT} END;"
)
_SEGMENT_COLUMNS = ("id, recording, key, span, extension, start_utc, end_utc, size, tracks,"
                    " codecs, complete")

MIGRATIONS: tuple[str, ...] = (
    "".join(_OBJECT_TABLE.format(table) for table in _OBJECT_TABLES)
    + "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    # complete = 0 while the segment is still being written (its file ends in .partial).
    "CREATE TABLE segments (id INTEGER PRIMARY KEY, recording TEXT NOT NULL,"
    " key TEXT UNIQUE NOT NULL, span TEXT NOT NULL, extension TEXT NOT NULL,"
    " start_utc REAL NOT NULL, end_utc REAL NOT NULL, size INTEGER NOT NULL,"
    " tracks TEXT NOT NULL, codecs TEXT NOT NULL, complete INTEGER NOT NULL);"
    "CREATE INDEX segments_by_time ON segments (recording, start_utc);"
    "CREATE INDEX segments_by_age ON segments (start_utc);",
    # path is relative to the spool directory, empty for span-end objects (no body).
    "CREATE TABLE uploads (id INTEGER PRIMARY KEY, storage TEXT NOT NULL,"
    " recording TEXT NOT NULL, span TEXT NOT NULL, key TEXT NOT NULL, path TEXT NOT NULL,"
    " size INTEGER NOT NULL, md5 TEXT NOT NULL, content_type TEXT NOT NULL,"
    " metadata TEXT NOT NULL, start_utc REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    # ready = 0 while the segment is still being built (file .partial); prefix/postfix let
    # start-up recovery name the span-end object of a span a crash cut.
    " ready INTEGER NOT NULL DEFAULT 1, prefix TEXT NOT NULL DEFAULT '',"
    " postfix TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX uploads_by_storage ON uploads (storage, id);"
    "CREATE INDEX uploads_by_span ON uploads (span, id);"
    "CREATE TABLE upload_targets (storage TEXT PRIMARY KEY, last_error TEXT,"
    " last_error_utc REAL, last_upload_utc REAL, uploaded_objects INTEGER NOT NULL DEFAULT 0,"
    " uploaded_bytes INTEGER NOT NULL DEFAULT 0, dropped_objects INTEGER NOT NULL DEFAULT 0,"
    " dropped_bytes INTEGER NOT NULL DEFAULT 0);",
    # SQLite cannot change a UNIQUE constraint in place: copy into a new table.
    "CREATE TABLE segments_v4 (id INTEGER PRIMARY KEY, recording TEXT NOT NULL,"
    " key TEXT NOT NULL, span TEXT NOT NULL, extension TEXT NOT NULL,"
    " start_utc REAL NOT NULL, end_utc REAL NOT NULL, size INTEGER NOT NULL,"
    " tracks TEXT NOT NULL, codecs TEXT NOT NULL, complete INTEGER NOT NULL,"
    " location TEXT NOT NULL DEFAULT 'local', storage TEXT NOT NULL DEFAULT '',"
    " UNIQUE (storage, key));"
    f"INSERT INTO segments_v4 ({_SEGMENT_COLUMNS}) SELECT {_SEGMENT_COLUMNS} FROM segments;"
    "DROP TABLE segments;"
    "ALTER TABLE segments_v4 RENAME TO segments;"
    "CREATE INDEX segments_by_time ON segments (recording, start_utc);"
    "CREATE INDEX segments_by_age ON segments (location, start_utc);",
    "".join(_OBJECT_TABLE.format(table) for table in ("schedules", "special_day_groups")),
    "".join(_OBJECT_TABLE.format(table) for table in ("certificates", "keys")),
    _SPANS,
)
