"""``[[media_roots]]`` of the configuration file (``config``): several media roots, usually
one per disk, each with its reserve (``storage.media_roots``). An array of tables, so it
is not a row of ``config.OPTIONS``; checked the same way, every mistake naming its line::

    [[media_roots]]
    path = "/mnt/disk1/onvif-media"
    reserve = 0.05

Without any, recordings go to ``<data_dir>/media`` with ``[recording] disk_reserve``.
"""

from __future__ import annotations

import re
from pathlib import Path

from onvif_recorder.settings import MediaRoot

TABLE = "media_roots"
DEFAULT_RESERVE = 0.05
KEYS = ("path", "reserve")

DOCUMENTATION = """
# Media roots: where local recordings go, one [[media_roots]] table per directory
# (usually one per disk). Each new segment goes to a root that is writable and has its
# reserve free (the one with the most free space; alike roots take turns); a full or
# failed disk does not stop the others, and every segment is found on its root through
# the index. Each root keeps `reserve` (a fraction of its file system) free by deleting
# its oldest segments. Without any, recordings go to <data_dir>/media with
# [recording] disk_reserve. Paths are relative to the working directory.
# [[media_roots]]
# path = "/mnt/disk1/onvif-media"
# reserve = 0.05
# [[media_roots]]
# path = "/mnt/disk2/onvif-media"
# reserve = 0.05
"""


class RootError(ValueError):
    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


def parse_roots(text: str, content: object) -> tuple[MediaRoot, ...]:
    """The roots of the file's ``media_roots`` value (``text``: the file, for lines)."""
    headers = _headers(text)
    if not isinstance(content, list) or not all(isinstance(t, dict) for t in content):
        raise RootError(_first_line(text), f"{TABLE} must be [[{TABLE}]] tables")
    roots: list[MediaRoot] = []
    for number, table in enumerate(content):
        start = headers[number] if number < len(headers) else None
        roots.append(_root(text, start, table))
        if roots[-1].path in [r.path for r in roots[:-1]]:
            raise RootError(_key_line(text, start, "path"),
                            f"{TABLE}.path {str(roots[-1].path)!r} is given twice")
    return tuple(roots)


def _root(text: str, start: int | None, table: dict[str, object]) -> MediaRoot:
    for key in table:
        if key not in KEYS:
            raise RootError(_key_line(text, start, key), f"unknown option {TABLE}.{key}")
    path = table.get("path")
    if not isinstance(path, str) or not path.strip():
        raise RootError(_key_line(text, start, "path") or start,
                        f"{TABLE}.path must be a non-empty string")
    reserve = table.get("reserve", DEFAULT_RESERVE)
    if isinstance(reserve, bool) or not isinstance(reserve, int | float):
        raise RootError(_key_line(text, start, "reserve"),
                        f"{TABLE}.reserve must be a number, got {type(reserve).__name__}")
    if not 0 <= reserve < 1:
        raise RootError(_key_line(text, start, "reserve"),
                        f"{TABLE}.reserve must be at least 0 and below 1")
    return MediaRoot(Path(path), float(reserve))


def _headers(text: str) -> list[int]:
    return [number for number, raw in enumerate(text.splitlines(), 1)
            if re.fullmatch(rf"\[\[\s*\"?{TABLE}\"?\s*\]\]", raw.strip())]


def _first_line(text: str) -> int | None:
    for number, raw in enumerate(text.splitlines(), 1):
        if re.match(rf"\[*\s*\"?{TABLE}\b|\"?{TABLE}\"?\s*=", raw.strip()):
            return number
    return None


def _key_line(text: str, start: int | None, key: str) -> int | None:
    """The line of ``key`` in the table whose header is on line ``start``."""
    if start is None:
        return None
    for number, raw in enumerate(text.splitlines()[start:], start + 1):
        line = raw.strip()
        if line.startswith("["):
            return None
        if re.match(rf'"?{re.escape(key)}"?\s*=', line):
            return number
    return None
