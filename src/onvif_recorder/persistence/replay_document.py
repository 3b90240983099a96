"""The Replay configuration document: ``<data dir>/replay.json``.

Replay has one setting (Replay §5.3 SessionTimeout) and no table of its own; a small
JSON document written durably (temporary file, fsync, rename, directory fsync) keeps
the database schema untouched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FILE_NAME = "replay.json"


def load(data_dir: Path) -> dict[str, str]:
    """The stored document, or an empty one when none was written (or it is unreadable)."""
    try:
        values = json.loads((data_dir / FILE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(values, dict):
        return {}
    return {str(k): str(v) for k, v in values.items()}


def save(data_dir: Path, values: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / FILE_NAME
    temporary = target.with_suffix(".json.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(values, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    directory = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
