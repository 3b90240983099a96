"""SQLite schema and its migrations. ``MIGRATIONS[n]`` takes version n to n+1."""

from __future__ import annotations

SCHEMA_VERSION = 1

# Each object is one JSON document keyed by its token; ``seq`` keeps creation
# order so Get* operations list objects the way they were created.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE recordings (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE jobs (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE receivers (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE users (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE storage (seq INTEGER PRIMARY KEY, token TEXT UNIQUE NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """,
)
