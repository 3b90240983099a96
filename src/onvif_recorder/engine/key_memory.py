"""Generated content keys kept across restarts (RC B.8.2 AsymmetricEncryption entries).

A recorder-generated key encrypts every segment until KeyRotationDuration says
otherwise; a restart must not change it (the README's "When keys change"). The keys are
kept in one small JSON file in the data directory, readable by the recorder's user only
(like the database, which holds the clients' own Keys), written whole to a temporary
file, flushed and renamed over the old one, so a crash leaves either version (on the
event loop: it happens once per generated key, at a segment start). Names
come from ``recording.plan.generated_key_name``; a recording's names are dropped with
``forget``. Worker processes share the file (``engine.workers``): every change is made
under an exclusive ``flock`` on ``<file>.lock`` to the file as it is on disk then, and a
name not known here is looked up on disk, so no process overwrites another's keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.rotation import KeptKey

log = logging.getLogger(__name__)


class KeyFile:
    """A ``recording.plan.KeyMemory`` in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, dict[str, str | float]] = self._read()

    def recall(self, name: str) -> KeptKey | None:
        entry = self._keys.get(name)
        if entry is None:
            entry = self._read().get(name)  # kept by another worker process
        if entry is None:
            return None
        try:
            key = ContentKey(bytes.fromhex(str(entry["kid"])), bytes.fromhex(str(entry["key"])))
            return key, float(entry["since"])
        except (KeyError, ValueError):
            return None

    def keep(self, name: str, key: ContentKey, since: float) -> None:
        with self._locked():
            self._keys = self._read()
            self._keys[name] = {"kid": key.kid.hex(), "key": key.key.hex(), "since": since}
            self._write()

    def forget(self, recording: str) -> None:
        prefix = recording + "/"
        with self._locked():
            self._keys = self._read()
            kept = {k: v for k, v in self._keys.items() if not k.startswith(prefix)}
            if len(kept) != len(self._keys):
                self._keys = kept
                self._write()

    def _read(self) -> dict[str, dict[str, str | float]]:
        try:
            found: dict[str, dict[str, str | float]] = json.loads(self.path.read_text())
            return found
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("generated keys in %s unreadable, new keys will be made: %s",
                        self.path, error)
            return {}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the lock

    def _write(self) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(self._keys, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
