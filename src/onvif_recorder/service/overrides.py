"""OverrideSegmentDuration (RC §5.24): temporary segment durations, held in memory only.

An override lasts ``Expiration`` (at most one hour) from the request; a newer request
for the same recording replaces it, SetRecordingConfiguration removes it, and a restart
forgets it (§5.24: it "may not persist after a device restart"), so it is never stored
in the database. While active it is shown as ``Target/SegmentDurationOverride`` with
``Duration`` and the time remaining as ``Expiration`` (26.06 schema wording). Observers
(the recording engine) are told about every change, including expiry noticed by
``expire``; ``version`` lets cached Get* answers notice a change.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import SegmentDurationOverride

MAX_EXPIRATION = Decimal(3600)


@dataclass(frozen=True, slots=True)
class ActiveOverride:
    duration: XsDuration
    expires_at: float
    """On the overrides' (monotonic) clock."""
    serial: int
    """Unique per request: a new request closes the current segment even if equal."""

    @property
    def seconds(self) -> float:
        return float(self.duration.seconds)


class SegmentOverrides:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._active: dict[str, ActiveOverride] = {}
        self._serials = itertools.count(1)
        self.version = 0
        self.observers: list[Callable[[], None]] = []

    def set(self, recording: str, duration: XsDuration,
            expiration: XsDuration) -> ActiveOverride:
        """Validate and apply a request (the caller checked that the recording exists)."""
        if duration.seconds <= 0:
            raise errors.BadDuration("TargetSegmentDuration must be positive")
        if not 0 < expiration.seconds <= MAX_EXPIRATION:
            raise errors.BadDuration("Expiration must be positive and at most one hour")
        active = ActiveOverride(duration, self._clock() + float(expiration.seconds),
                                next(self._serials))
        self._active[recording] = active
        self._changed()
        return active

    def clear(self, recording: str) -> None:
        if self._active.pop(recording, None) is not None:
            self._changed()

    def active(self, recording: str) -> ActiveOverride | None:
        found = self._active.get(recording)
        return found if found is not None and found.expires_at > self._clock() else None

    def expire(self) -> bool:
        """Forget expired overrides; True (and observers told) if any was."""
        now = self._clock()
        gone = [token for token, o in self._active.items() if o.expires_at <= now]
        for token in gone:
            del self._active[token]
        if gone:
            self._changed()
        return bool(gone)

    def actives(self) -> dict[str, ActiveOverride]:
        """Every override set (expired or not): what a worker process is sent."""
        return dict(self._active)

    def replace(self, actives: dict[str, ActiveOverride]) -> None:
        """Take the overrides another process set (a worker's replica, ``engine.workers``);
        observers are not told: the caller re-derives everything anyway."""
        self._active = dict(actives)
        self.version += 1

    def shown(self, recording: str) -> SegmentDurationOverride | None:
        """What GetRecordingConfiguration shows: Duration and the time remaining."""
        found = self.active(recording)
        if found is None:
            return None
        remaining = max(1, math.ceil(found.expires_at - self._clock()))
        return SegmentDurationOverride(found.duration, XsDuration.from_seconds(remaining))

    def _changed(self) -> None:
        self.version += 1
        for observer in self.observers:
            observer()
