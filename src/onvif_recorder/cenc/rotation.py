"""Recorder-generated keys for AsymmetricEncryption entries (RC B.8.2).

The recorder makes its own key and KID, and with ``KeyRotationDuration`` a new pair each
interval; a segment keeps the key it opened with, so the new key starts with the next
segment (``EncryptionPolicy.segment`` asks as each segment opens, with the segment's
start time as the clock). Each key's AsymmetricKeySystemHeaderBox is built once, so
every segment under one KID carries the same box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from onvif_recorder.cenc import asymmetric
from onvif_recorder.cenc.keys import ContentKey


class RotatingKey:
    """A ``policy.KeySource`` for one AsymmetricEncryption entry."""

    def __init__(self, recipients: Sequence[asymmetric.Recipient], rotation: float | None,
                 info: bytes | None = None,
                 generate: Callable[[], ContentKey] = ContentKey.generate) -> None:
        if not recipients:
            raise ValueError("AsymmetricEncryption needs at least one certificate")
        if rotation is not None and rotation <= 0:
            raise ValueError("KeyRotationDuration must be positive")
        self.recipients = tuple(recipients)
        self.rotation = rotation
        self.info = info
        self._generate = generate
        self._key: ContentKey | None = None
        self._since = 0.0
        self._boxes: dict[bytes, bytes] = {}

    def key_at(self, utc: float) -> ContentKey:
        if self._key is None:
            self._key, self._since = self._generate(), utc
        elif self.rotation is not None and utc - self._since >= self.rotation:
            elapsed = (utc - self._since) // self.rotation
            self._key, self._since = self._generate(), self._since + elapsed * self.rotation
        return self._key

    def pssh(self, key: ContentKey) -> bytes:
        box = self._boxes.get(key.kid)
        if box is None:
            entries = [asymmetric.wrap(key.key, r, self.info) for r in self.recipients]
            box = asymmetric.pssh(key.kid, entries)
            self._boxes = {key.kid: box}  # older keys are never asked for again
        return box
