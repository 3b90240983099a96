"""Segmenter: timed samples of a recording in, RC Annex B spans and segments out (pure).

Format MP4 (B.6): one span type ``mp4`` holding every track; each segment ends with an
``mfra``. Format CMAF (B.7): one span per track type, ``m4v``/``m4a``/``m4m``, each a
CMAF track (ISO/IEC 23000-19: ``cmfc`` brand, one track per header, one ``traf`` per
``moof``, ``tfdt`` in each, default-base-is-moof); each segment is a CMAF header plus
CMAF fragments, with an ``mfra`` referencing every fragment unless disabled.

Closing a span of one type closes the others (B.2): for span duration and
configuration changes, the other types cut at their next opportunity; for
``discontinuity()`` and ``close()`` all close at once. Span and segment life cycles
are in ``span_builder``; this module routes samples and applies recording-wide
requests. Driving it::

    seg = Segmenter(tracks, SegmenterConfig(format=Brand.CMAF, segment_duration=60.0))
    for event in seg.push(sample): ...     # write/upload per ``events``
    seg.update_track(new_track_info)        # when codec parameters change
    seg.discontinuity()                     # camera reconnected, stream restarted
    seg.close()                             # job deactivated: closes every span
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from onvif_recorder.cenc.policy import EncryptionPolicy
from onvif_recorder.mp4.events import Event, SpanClosed, SpanEndReason
from onvif_recorder.mp4.init_segment import Brand, init_segment
from onvif_recorder.mp4.model import TrackInfo, TrackKind, TrackSample
from onvif_recorder.mp4.segment import SegmentHeader
from onvif_recorder.mp4.span_builder import Counters, Limits, SpanBuilder
from onvif_recorder.mp4.user_data import SegmentInfo

CMAF_EXTENSIONS = {TrackKind.VIDEO: "m4v", TrackKind.AUDIO: "m4a", TrackKind.METADATA: "m4m"}
MP4_EXTENSION = "mp4"
_CASCADING = frozenset({SpanEndReason.SPAN_DURATION, SpanEndReason.CONFIGURATION})


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmenterConfig:
    """Recording target parameters (RC §5.3.1) plus muxing limits, durations in seconds."""

    format: Brand
    segment_duration: float
    span_duration: float | None = None
    fragment_duration: float = 1.0
    """Longest fragment when no sync sample comes: bounds what a crash can lose."""
    max_gap: float = 5.0
    """A primary-track decode-time jump longer than this starts a new span."""
    max_drift: float = 1.0
    """RTP-derived time parting from the sample wall clock by more starts a new span."""
    max_lag: float = 2.0
    """How long a cut waits for a lagging track before going ahead without it."""
    producer_reference: bool = True
    """Write a ``prft`` (UTC of the fragment start) before every ``moof``."""
    cmaf_mfra: bool = True
    recording: str = ""
    """The recording token, written into the recovery box of every header."""
    track_tokens: Mapping[int, str] = field(default_factory=dict, hash=False)
    """ISO-BMFF track_ID → the recording's track token, for the recovery box."""
    event_topic: str = ""
    """Topic of the event that triggered the recording (B.9), for the recovery box."""
    encryption: EncryptionPolicy | None = field(default=None, compare=False)
    """The target's Encryption entries (RC B.8); asked for keys as each segment opens."""

    def __post_init__(self) -> None:
        if self.segment_duration <= 0 or self.fragment_duration <= 0:
            raise ValueError("segment and fragment durations must be positive")
        if self.span_duration is not None and self.span_duration <= 0:
            raise ValueError("span duration must be positive")


class Segmenter:
    """Recording-level facade over one ``SpanBuilder`` per span type."""

    def __init__(self, tracks: Sequence[TrackInfo], config: SegmenterConfig) -> None:
        if not tracks:
            raise ValueError("a recording needs at least one track")
        self.config = config
        self._span_ids = itertools.count()
        self._builders: list[SpanBuilder] = []
        self._route: dict[int, SpanBuilder] = {}
        if config.format is Brand.MP4:
            self._add_builder(MP4_EXTENSION, tracks)
        else:
            for track in tracks:
                self._add_cmaf_track(track)

    def _add_cmaf_track(self, track: TrackInfo) -> None:
        extension = CMAF_EXTENSIONS[track.kind]
        if any(builder.extension == extension for builder in self._builders):
            raise ValueError(f"CMAF records one {track.kind.name.lower()} track (RC B.7)")
        self._add_builder(extension, [track])

    def _add_builder(self, extension: str, tracks: Sequence[TrackInfo]) -> None:
        builder = SpanBuilder(extension, tracks, self._limits(), self._header, self._span_ids)
        self._builders.append(builder)
        for track in tracks:
            self._route[track.track_id] = builder

    def _limits(self) -> Limits:
        c = self.config
        return Limits(c.segment_duration, c.span_duration,
                      c.fragment_duration, c.max_gap, c.max_drift, c.max_lag,
                      c.producer_reference, c.format is Brand.MP4 or c.cmaf_mfra)

    def _header(self, tracks: Sequence[TrackInfo], info: SegmentInfo) -> SegmentHeader:
        info = replace(info, recording=self.config.recording,
                       track_tokens=dict(self.config.track_tokens),
                       event_topic=self.config.event_topic)
        policy = self.config.encryption
        protection = None if policy is None else policy.segment(tracks, info.start_utc)
        sinfs = {} if protection is None else {
            t.track_id: protection.tracks[t.track_id].sinf(t.codec.fourcc)
            for t in tracks if t.track_id in protection.tracks}
        data = init_segment(tracks, info.timescale, self.config.format,
                            creation_utc=info.start_utc, user_data=info.encode(),
                            sinfs=sinfs, pssh=protection.pssh if protection else ())
        return SegmentHeader(data, protection)

    # --- inputs ---------------------------------------------------------------------

    def push(self, sample: TrackSample) -> list[Event]:
        """Feed one sample; returns the events it completes (often none)."""
        builder = self._route.get(sample.track_id)
        if builder is None:
            self._builders[0].counters.unknown_track += 1
            return []
        events = builder.push(sample)
        return self._cascade(builder, events) if events else events

    def update_track(self, track: TrackInfo) -> list[Event]:
        """Call before the sample that carries new codec parameters (new SPS, B.2)."""
        builder = self._route.get(track.track_id)
        if builder is None and self.config.format is Brand.CMAF:
            events = self._close_all(SpanEndReason.CONFIGURATION)
            self._add_cmaf_track(track)
            return events
        if builder is None:
            builder = self._builders[0]
            self._route[track.track_id] = builder
        return self._cascade(builder, builder.update_track(track))

    def discontinuity(self) -> list[Event]:
        """The source restarted (camera reconnect): close every span now."""
        return self._close_all(SpanEndReason.DISCONTINUITY)

    def close(self) -> list[Event]:
        """The recording was deactivated: close every span now (B.2). Reusable after."""
        return self._close_all(SpanEndReason.CLOSED)

    def request_new_segment(self) -> None:
        """Close the open segments at their next opportunity (OverrideSegmentDuration)."""
        for builder in self._builders:
            builder.request_segment_cut()

    def set_segment_duration(self, seconds: float) -> None:
        """Use ``seconds`` for segments from the next cut on (RC §5.24), also in the
        builders of CMAF tracks added later (they take their limits from ``config``)."""
        self.config = replace(self.config, segment_duration=seconds)
        for builder in self._builders:
            builder.limits = self._limits()

    def set_encryption(self, policy: EncryptionPolicy | None) -> None:
        """Encrypt segments opened from now on with ``policy``; open ones keep theirs (B.8)."""
        self.config = replace(self.config, encryption=policy)

    @property
    def counters(self) -> Counters:
        total = Counters()
        for builder in self._builders:
            for item in fields(Counters):
                name = item.name
                setattr(total, name, getattr(total, name) + getattr(builder.counters, name))
        return total

    def _close_all(self, reason: SpanEndReason) -> list[Event]:
        events: list[Event] = []
        for builder in self._builders:
            builder.hard_cut(reason, events)
        return events

    def _cascade(self, source: SpanBuilder, events: list[Event]) -> list[Event]:
        """A span of one type closed for duration or configuration: the others follow."""
        if any(isinstance(e, SpanClosed) and e.reason in _CASCADING for e in events):
            for builder in self._builders:
                if builder is not source:
                    builder.request_span_cut(SpanEndReason.REQUESTED)
        return events
