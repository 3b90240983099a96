"""Recordings, tracks and their configurations (ONVIF RC §5.3.1, §5.3.2, Annex B)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from onvif_recorder.domain.duration import XsDuration


class TrackType(Enum):
    VIDEO = "Video"
    AUDIO = "Audio"
    METADATA = "Metadata"
    EXTENDED = "Extended"


# RC §5.4 Table 2: the tracks CreateRecording makes.
DEFAULT_TRACKS: tuple[tuple[str, TrackType], ...] = (
    ("VIDEO001", TrackType.VIDEO),
    ("AUDIO001", TrackType.AUDIO),
    ("META001", TrackType.METADATA),
)


@dataclass(frozen=True, slots=True)
class RecordingSource:
    """tt:RecordingSourceInformation: stored and returned, never interpreted (RC §5.3.1)."""

    source_id: str
    name: str
    location: str
    description: str
    address: str


@dataclass(frozen=True, slots=True)
class AsymmetricEncryption:
    certificate_ids: tuple[str, ...]
    key_rotation_duration: XsDuration | None = None
    additional_info: str | None = None
    """RC 26.06 only: the HPKE ``info``, written in the 26.06 box layout (B.8.2.1)."""


@dataclass(frozen=True, slots=True)
class RecordingEncryption:
    """tt:RecordingEncryption: one encryption entry of a target (Annex B.8)."""

    mode: str
    kid: str | None = None
    key: str | None = field(default=None, repr=False)  # hexBinary; never shown (B.8)
    tracks: tuple[str, ...] = ()
    asymmetric: AsymmetricEncryption | None = None


@dataclass(frozen=True, slots=True)
class SegmentDurationOverride:
    duration: XsDuration
    expiration: XsDuration


class StorageStrategy(Enum):
    """tt:StorageStrategy (RC 26.06 §5.3.1, Annex C.2): where a target's segments go."""

    EXTERNAL = "External"
    """Uploaded as soon as possible, not kept locally (the default when absent)."""
    LOCAL = "Local"
    """Kept on local storage only, under MaximumRetentionTime; exported on request."""
    BOTH = "Both"
    """Kept locally and uploaded as they become available."""


@dataclass(frozen=True, slots=True)
class RecordingTarget:
    """tt:RecordingTargetConfiguration (RC §5.3.1, Annex B)."""

    storage: str
    format: str
    segment_duration: XsDuration
    prefix: str | None = None
    postfix: str | None = None
    span_duration: XsDuration | None = None
    encryption: tuple[RecordingEncryption, ...] = ()
    segment_duration_override: SegmentDurationOverride | None = None
    storage_strategy: str | None = None
    """26.06 ``StorageStrategy`` as written (a ``StorageStrategy`` value); None: External."""

    @property
    def strategy(self) -> StorageStrategy:
        """The strategy in force (validated when the configuration was accepted)."""
        if self.storage_strategy is None:
            return StorageStrategy.EXTERNAL
        return StorageStrategy(self.storage_strategy)


@dataclass(frozen=True, slots=True)
class RecordingConfiguration:
    source: RecordingSource
    content: str
    maximum_retention_time: XsDuration
    target: RecordingTarget | None = None


@dataclass(frozen=True, slots=True)
class TrackConfiguration:
    track_type: TrackType
    description: str


@dataclass(frozen=True, slots=True)
class Track:
    token: str
    configuration: TrackConfiguration


@dataclass(frozen=True, slots=True)
class Recording:
    token: str
    configuration: RecordingConfiguration
    tracks: tuple[Track, ...] = field(default=())

    def track(self, token: str) -> Track | None:
        return next((t for t in self.tracks if t.token == token), None)
