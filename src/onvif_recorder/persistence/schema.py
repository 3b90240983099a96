"""SQLite schema and its migrations. ``MIGRATIONS[n]`` takes version n to n+1.

Each object is one JSON document keyed by its token; ``seq`` keeps creation order,
so Get* operations list objects the way they were created.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

_OBJECT_TABLE = (
    "CREATE TABLE {} (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);"
)

_OBJECT_TABLES = ("recordings", "jobs", "receivers", "users", "storage")

MIGRATIONS: tuple[str, ...] = (
    "".join(_OBJECT_TABLE.format(table) for table in _OBJECT_TABLES)
    + "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
)
