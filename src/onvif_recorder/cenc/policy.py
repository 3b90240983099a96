"""A recording's encryption entries turned into each segment's keys (RC B.8).

Each entry covers a set of track_IDs (None: every track) with one mode and one key
source: a key the client gave (``StaticKey``), or a key the recorder generates and
rotates (``asymmetric.RotatingKey``, B.8.2). ``EncryptionPolicy.segment`` is asked when
a segment opens and answers with that segment's keys and ``pssh`` boxes: the W3C
``pssh`` with every KID in use first (B.8.1; oxfplayer reads the key from the last box
it parses), then whatever boxes the key sources add.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from onvif_recorder.cenc.boxes import w3c_pssh
from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.protector import (
    SCHEMES,
    RandomSource,
    SegmentProtection,
    TrackProtection,
    kids_in_use,
)
from onvif_recorder.mp4.model import TrackInfo


class KeySource(Protocol):
    def key_at(self, utc: float) -> ContentKey:
        """The key for a segment opening at ``utc`` (POSIX seconds)."""
        ...

    def pssh(self, key: ContentKey) -> bytes:
        """Extra ``pssh`` for ``key`` (B.8.2's AsymmetricKeySystemHeaderBox), or empty."""
        ...


@dataclass(frozen=True, slots=True)
class StaticKey:
    """Key and KID given by the client (``tt:RecordingEncryption`` Key, KID)."""

    key: ContentKey

    def key_at(self, utc: float) -> ContentKey:
        return self.key

    def pssh(self, key: ContentKey) -> bytes:
        return b""


@dataclass(frozen=True, slots=True)
class EntryPolicy:
    mode: str
    """``tt:EncryptionMode``: a key of ``protector.SCHEMES``."""
    source: KeySource
    track_ids: frozenset[int] | None = None
    """The tracks this entry encrypts; None: all of them (B.8)."""

    def covers(self, track_id: int) -> bool:
        return self.track_ids is None or track_id in self.track_ids


class EncryptionPolicy:
    """Every entry of one recording target; see the module docstring."""

    def __init__(self, entries: Sequence[EntryPolicy],
                 random: RandomSource = os.urandom) -> None:
        for entry in entries:
            if entry.mode not in SCHEMES:
                raise ValueError(f"encryption mode {entry.mode!r} is not supported")
        self.entries = tuple(entries)
        self.random = random

    def segment(self, tracks: Sequence[TrackInfo], utc: float) -> SegmentProtection | None:
        """Keys and ``pssh`` boxes of a segment of ``tracks`` opening at ``utc``."""
        keys = {id(entry): entry.source.key_at(utc) for entry in self.entries}
        protected: dict[int, TrackProtection] = {}
        extra: dict[bytes, bytes] = {}
        for track in tracks:
            entry = next((e for e in self.entries if e.covers(track.track_id)), None)
            if entry is None:
                continue
            key = keys[id(entry)]
            protected[track.track_id] = TrackProtection(
                SCHEMES[entry.mode], key, track.codec.nal_layout)
            extra.setdefault(key.kid, entry.source.pssh(key))
        if not protected:
            return None
        boxes = (w3c_pssh(kids_in_use(protected)), *(b for b in extra.values() if b))
        return SegmentProtection(protected, boxes, self.random)
