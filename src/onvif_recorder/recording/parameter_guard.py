"""A stream that keeps changing its parameters must not become hundreds of spans (pure).

Every change of a track's codec parameters (a new SPS, another resolution) changes the
``moov``, so it starts a new span (RC Annex B.2). A camera that does so every second —
a broken encoder, a fuzzer, a stream spliced from two sources — used to leave a storm of
tiny spans. ``ParameterGuard`` lets ``limit`` changes through per ``window`` seconds;
the next one marks the stream unstable: the track keeps the parameters it has, pictures
encoded with other parameters are dropped (the recording task counts them and reports
the job track in Error), and once no change came for ``window`` seconds the stream is
settled and the parameters it then has are taken (one more span).
"""

from __future__ import annotations

from collections import deque

CHANGE_LIMIT = 3
CHANGE_WINDOW = 10.0


def unstable_reason(changes: int, window: float = CHANGE_WINDOW) -> str:
    """The job track's error text while its stream is unstable."""
    return f"Unstable stream: parameters changed {changes} times in {window:g} s"


class ParameterGuard:
    """Admission of parameter changes for one recorded track (see module docstring)."""

    __slots__ = ("_times", "limit", "unstable", "window")

    def __init__(self, limit: int = CHANGE_LIMIT, window: float = CHANGE_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self.unstable = False
        self._times: deque[float] = deque()

    @property
    def recent_changes(self) -> int:
        """Changes seen within the window that ended at the last one."""
        return len(self._times)

    def changed(self, now: float) -> bool:
        """The stream now offers other parameters than before; True if that made it
        unstable (so the caller says so once)."""
        self._times.append(now)
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if self.unstable or len(self._times) <= self.limit:
            return False
        self.unstable = True
        return True

    def settled(self, now: float) -> bool:
        """True if changes may be applied: stable, or no change for ``window`` seconds
        (which ends the unstable state)."""
        if self.unstable and self._times and now - self._times[-1] >= self.window:
            self.unstable = False
            self._times.clear()
        return not self.unstable
