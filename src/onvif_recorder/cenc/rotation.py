"""Recorder-generated keys for AsymmetricEncryption entries (RC B.8.2).

The recorder makes its own key and KID, and with ``KeyRotationDuration`` a new pair each
interval; a segment keeps the key it opened with, so the new key starts with the next
segment (``EncryptionPolicy.segment`` asks as each segment opens, with the segment's
start time as the clock). Each key's AsymmetricKeySystemHeaderBox is built once, so
every segment under one KID carries the same box. ``kept`` is a key generated before (a
restart, a writer restart) to go on with, and ``keep`` is told of every key generated,
so that the recorder can persist it (``engine/key_memory.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from onvif_recorder.cenc import asymmetric
from onvif_recorder.cenc.keys import ContentKey

KeptKey = tuple[ContentKey, float]
"""A generated key and the time (POSIX seconds) its rotation interval started."""


class RotatingKey:
    """A ``policy.KeySource`` for one AsymmetricEncryption entry."""

    def __init__(self, recipients: Sequence[asymmetric.Recipient], rotation: float | None,
                 info: bytes | None = None,
                 generate: Callable[[], ContentKey] = ContentKey.generate,
                 kept: KeptKey | None = None,
                 keep: Callable[[ContentKey, float], None] | None = None) -> None:
        if not recipients:
            raise ValueError("AsymmetricEncryption needs at least one certificate")
        if rotation is not None and rotation <= 0:
            raise ValueError("KeyRotationDuration must be positive")
        self.recipients = tuple(recipients)
        self.rotation = rotation
        self.info = info
        self._generate = generate
        self._key: ContentKey | None = kept[0] if kept else None
        self._since = kept[1] if kept else 0.0
        self._keep = keep
        self._boxes: dict[bytes, bytes] = {}

    def key_at(self, utc: float) -> ContentKey:
        if self._key is None:
            self._new_key(utc)
        elif self.rotation is not None and utc - self._since >= self.rotation:
            elapsed = (utc - self._since) // self.rotation
            self._new_key(self._since + elapsed * self.rotation)
        assert self._key is not None
        return self._key

    def _new_key(self, since: float) -> None:
        self._key, self._since = self._generate(), since
        if self._keep is not None:
            self._keep(self._key, since)

    def pssh(self, key: ContentKey) -> bytes:
        box = self._boxes.get(key.kid)
        if box is None:
            entries = [asymmetric.wrap(key.key, r, self.info) for r in self.recipients]
            box = asymmetric.pssh(key.kid, entries)
            self._boxes = {key.kid: box}  # older keys are never asked for again
        return box
