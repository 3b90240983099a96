"""Which job tracks really record: the engine's answer to ``MediaFlow`` (RC §5.19).

Job state rules (README "Recording engine"), per ``(job, source, destination track)``
that the job won by arbitration:

* **Active** while the source's session is playing and samples for the track were
  written within ``timeout`` seconds. A metadata track is Active while its stream is
  playing, since ONVIF metadata may only be sent when something happens. A track whose
  SourceTag names no stream of the session (e.g. META001 fed by a camera without a
  metadata stream) has nothing to record; it is reported Active while another track of
  the same source is, so the source reads Active as RC conformance tests expect.
* **Error** "Incompatible Stream" when the source's encoding differs from what the track
  already holds (RC §5.19); "Source lost: ..." while the receiver, after a failure, tries
  to reconnect; "Storage error: ..." while a failed writer waits to restart.
* **Idle** otherwise: never connected, orderly disconnected (NeverConnect), no samples.

A new session's tracks turn Active together, once each has written a sample (or after
``settle`` seconds, when the missing ones stay Idle: PartiallyActive).

Every change of the Active set or of the errors calls ``on_change`` once (the
application's ``EngineEvents.media_flow_changed``, which re-derives job states and
publishes JobState ``Changed`` events). Samples only call it when a track turns Active;
``refresh`` (once a second) notices tracks that stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from onvif_recorder.domain.receiver import ReceiverState

Key = tuple[str, str, str]
FeedKey = tuple[str, str]
DEFAULT_TIMEOUT = 3.0


@dataclass(slots=True)
class _Playing:
    started: float
    mapped: set[str] = field(default_factory=set)
    sparse: set[str] = field(default_factory=set)
    unmapped: set[str] = field(default_factory=set)


class FlowTracker:
    def __init__(self, on_change: Callable[[], None] = lambda: None,
                 timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.on_change = on_change
        self.timeout = timeout
        self.settle = 1.5
        self._clock = clock
        self._playing: dict[FeedKey, _Playing] = {}
        self._written: dict[Key, float] = {}
        self._errors: dict[Key, str] = {}
        self._active: set[Key] = set()

    # --- MediaFlow -----------------------------------------------------------------

    def flowing(self, job_token: str, source_token: str, destination: str) -> bool:
        return (job_token, source_token, destination) in self._active

    def errors(self) -> Mapping[Key, str]:
        return self._errors

    def active_keys(self) -> frozenset[Key]:
        """Every key ``flowing`` answers True for."""
        return frozenset(self._active)

    def receiver_state(self, receiver_token: str) -> ReceiverState:
        return ReceiverState.UNKNOWN  # the ingest supervisor answers this one

    # --- what the recording tasks report -------------------------------------------

    def session_started(self, feed: FeedKey, mapped: Iterable[str], sparse: Iterable[str],
                        unmapped: Iterable[str]) -> None:
        self._playing[feed] = _Playing(self._clock(), set(mapped), set(sparse), set(unmapped))
        self._clear_errors(feed, keep="Incompatible Stream")
        self.refresh()

    def session_ended(self, feed: FeedKey, error: str | None,
                      destinations: Iterable[str]) -> None:
        self._playing.pop(feed, None)
        if error is not None:
            for destination in destinations:
                self._errors.setdefault((*feed, destination), f"Source lost: {error}")
        self.refresh(force=error is not None)

    def written(self, key: Key) -> None:
        self._written[key] = self._clock()
        if key not in self._active:
            self.refresh()

    def set_error(self, key: Key, message: str) -> None:
        if self._errors.get(key) != message:
            self._errors[key] = message
            self.refresh(force=True)

    def clear_error(self, key: Key) -> None:
        """One track's error is over (an unstable stream settled)."""
        if self._errors.pop(key, None) is not None:
            self.refresh(force=True)

    def clear_errors(self, feed: FeedKey) -> None:
        """Errors of a restarted writer are gone; Incompatible Stream stays."""
        if self._clear_errors(feed, keep="Incompatible Stream"):
            self.refresh(force=True)

    def forget(self, feed: FeedKey) -> None:
        """The feed no longer exists (job idle, deleted, or lost arbitration)."""
        self._playing.pop(feed, None)
        self._clear_errors(feed)
        for key in [k for k in self._written if k[:2] == feed]:
            del self._written[key]
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Recompute the Active set; call ``on_change`` if it (or an error) changed."""
        active = self._compute(self._clock())
        if force or active != self._active:
            self._active = active
            self.on_change()

    # --- internals -----------------------------------------------------------------

    def _clear_errors(self, feed: FeedKey, keep: str | None = None) -> bool:
        doomed = [k for k, m in self._errors.items() if k[:2] == feed and m != keep]
        for key in doomed:
            del self._errors[key]
        return bool(doomed)

    def _settled(self, feed: FeedKey, playing: _Playing, dense: set[str], now: float) -> bool:
        """A new session turns Active at once for all its tracks, not video first and
        audio a few ms later: conformance tests compare the JobState event they waited
        for with GetRecordingJobState. Until every track wrote (or ``settle`` s), wait."""
        if now - playing.started >= self.settle:
            return True
        return all(self._written.get((*feed, d), float("-inf")) >= playing.started
                   for d in dense)

    def _compute(self, now: float) -> set[Key]:
        active: set[Key] = set()
        for feed, playing in self._playing.items():
            dense = playing.mapped - playing.sparse
            if not self._settled(feed, playing, dense, now):
                continue
            live = {d for d in dense
                    if now - self._written.get((*feed, d), float("-inf")) <= self.timeout}
            if live or not dense:
                live |= playing.sparse & playing.mapped
            if live:
                active |= {(*feed, d) for d in live | playing.unmapped}
        return active
