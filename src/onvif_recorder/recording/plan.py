"""What each recording should be recording now, from the stored state (pure).

Annex A arbitration (``service.arbitration.arbitrate``) decides per destination track
which Active job feeds it; a recording is written while at least one of its tracks is
won. Its ``RecordingPlan`` lists one ``Feed`` per (job, source) with the tracks that job
won; the engine compares plans to start, reconfigure or stop recording tasks.

A recording whose ``Target`` names an object storage (S3, Azure) gets a ``TargetPlan``:
its segments go through the upload spool with Annex B keys (``storage.object_sink``),
to local storage, or both, as its 26.06 StorageStrategy says
(``service.storage_strategy.placement``);
an active OverrideSegmentDuration replaces the segment duration (RC §5.24). The target's
Encryption entries (B.8, on local and object storage alike) become ``EncryptionEntry``
rows with track tokens turned into track_IDs.

Track IDs: the recording's n-th track (RC §5.4 creation order) is ISO-BMFF ``track_ID``
n + 1, so a track keeps its ID across spans and restarts.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from onvif_recorder.cenc.asymmetric import Recipient
from onvif_recorder.cenc.keys import ContentKey, parse_key, parse_kid
from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, KeySource, StaticKey
from onvif_recorder.cenc.rotation import KeptKey, RotatingKey
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import JobTrack, RecordingJob
from onvif_recorder.domain.keystore import StoredCertificate
from onvif_recorder.domain.recording import Recording, RecordingEncryption
from onvif_recorder.service.arbitration import Arbitration, Eligible, arbitrate
from onvif_recorder.service.overrides import SegmentOverrides
from onvif_recorder.service.state import RecorderState
from onvif_recorder.service.storage_strategy import placement
from onvif_recorder.storage.object_key import KeyLayout

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Feed:
    job: str
    source: str
    """The receiver token (the job source's SourceToken)."""
    tracks: tuple[JobTrack, ...]
    """The job's tracks of this source that it won."""

    def __hash__(self) -> int:
        # A dict key looked up per sample (``RecordingTask``): (job, source) tells feeds
        # apart well enough, without hashing every JobTrack each time.
        return hash((self.job, self.source))


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """Where and how an object-storage target is written (RC §5.3.1, Annex B)."""

    storage: str
    format: str
    """``MP4`` or ``CMAF``."""
    layout: KeyLayout
    span_duration: float | None
    source: str
    """B.9 ``Source``: the recording's SourceId."""
    local: bool = False
    """StorageStrategy Local or Both: segments are written to local storage."""
    upload: bool = True
    """StorageStrategy External or Both: segments are uploaded."""


@dataclass(frozen=True, slots=True)
class EncryptionEntry:
    """One ``tt:RecordingEncryption`` as the writer applies it (validated by the service):
    a client's key, or (B.8.2) the certificates a generated key is encrypted for."""

    mode: str
    track_ids: frozenset[int] | None
    """None: every track of the recording (B.8)."""
    key: ContentKey | None = None
    certificates: tuple[bytes, ...] = ()
    """DER certificates from the keystore (AsymmetricEncryption)."""
    rotation: float | None = None
    info: bytes | None = None
    """AdditionalInfo as UTF-8: the 26.06 box layout and HPKE info (decision §7.1)."""


@dataclass(frozen=True, slots=True)
class RecordingPlan:
    recording: str
    track_ids: tuple[tuple[str, int], ...]
    """(track token, ISO-BMFF track_ID) for every track of the recording."""
    segment_duration: float
    retention: float
    """MaximumRetentionTime in seconds; 0 = unlimited (RC §5.3.1)."""
    feeds: tuple[Feed, ...]
    target: TargetPlan | None = None
    override: int = 0
    """Serial of the active segment duration override (0: none)."""
    encryption: tuple[EncryptionEntry, ...] = ()
    event_topic: str | None = None
    """Topic of the event whose window a feed's job records in (RC B.9 ``EventTopic``)."""

    def track_id(self, token: str) -> int | None:
        return dict(self.track_ids).get(token)


def seconds(duration: XsDuration | None) -> float:
    return 0.0 if duration is None else float(duration.seconds)


def _feeds(job: RecordingJob, arbitration: Arbitration) -> list[Feed]:
    recording = job.configuration.recording_token
    feeds = []
    for source in job.configuration.sources:
        token = source.source_token.token if source.source_token else ""
        won = tuple(t for t in source.tracks
                    if arbitration.track_owner(recording, t.destination) == job.token)
        if token and won:
            feeds.append(Feed(job.token, token, won))
    return feeds


def key_part(text: str | None) -> str:
    """Prefix/Postfix as a key part: no empty path segments (``a//b/`` is ``a/b``)."""
    return "/".join(part for part in (text or "").split("/") if part)


def target_plan(recording: Recording, state: RecorderState | None) -> TargetPlan | None:
    target = recording.configuration.target
    storage = None if target is None or state is None else state.storage.get(target.storage)
    if target is None or storage is None or not storage.data.is_object_storage:
        return None
    span = seconds(target.span_duration)
    where = placement(target, storage.data)
    return TargetPlan(target.storage, target.format,
                      KeyLayout(key_part(target.prefix), key_part(target.postfix)),
                      span if span > 0 else None, recording.configuration.source.source_id,
                      where.local, where.upload)


class KeyMemory(Protocol):
    """Where generated keys outlive the process (``engine/key_memory.py``)."""

    def recall(self, name: str) -> KeptKey | None: ...

    def keep(self, name: str, key: ContentKey, since: float) -> None: ...

    def forget(self, recording: str) -> None:
        """Drop a deleted recording's keys."""
        ...


def encryption_policy(entries: tuple[EncryptionEntry, ...], memory: KeyMemory | None = None,
                      recording: str = "") -> EncryptionPolicy | None:
    """The segmenter's view of the entries: each key applied as segments open (B.8).
    With ``memory``, a generated key goes on being used (and rotated) across restarts
    for as long as the recording keeps an entry with the same settings."""
    if not entries:
        return None
    return EncryptionPolicy([EntryPolicy(e.mode, _key_source(e, memory, recording),
                                         e.track_ids) for e in entries])


def _key_source(entry: EncryptionEntry, memory: KeyMemory | None,
                recording: str) -> KeySource:
    if entry.key is not None:
        return StaticKey(entry.key)
    recipients = [Recipient.from_certificate(der) for der in entry.certificates]
    if memory is None:
        return RotatingKey(recipients, entry.rotation, entry.info)
    name = generated_key_name(recording, entry)
    return RotatingKey(recipients, entry.rotation, entry.info, kept=memory.recall(name),
                       keep=functools.partial(memory.keep, name))


def generated_key_name(recording: str, entry: EncryptionEntry) -> str:
    """The recording and a digest of everything the entry's key is bound to: another
    certificate, rotation, AdditionalInfo, mode or track set means another key."""
    digest = hashlib.sha256()
    tracks = "*" if entry.track_ids is None else ",".join(map(str, sorted(entry.track_ids)))
    for part in (entry.mode.encode(), tracks.encode(), repr(entry.rotation).encode(),
                 entry.info if entry.info is not None else b"\xff", *entry.certificates):
        digest.update(len(part).to_bytes(4, "big") + part)
    return f"{recording}/{digest.hexdigest()}"


def encryption_entries(recording: Recording,
                       state: RecorderState | None) -> tuple[EncryptionEntry, ...]:
    target = recording.configuration.target
    if target is None:
        return ()
    ids = {track.token: index + 1 for index, track in enumerate(recording.tracks)}
    certificates = {} if state is None else state.certificates
    return tuple(_entry(entry, ids, certificates) for entry in target.encryption)


def _entry(entry: RecordingEncryption, ids: dict[str, int],
           certificates: Mapping[str, StoredCertificate]) -> EncryptionEntry:
    """Raises ValueError for an entry the writer cannot apply (e.g. a certificate gone)."""
    tracks = frozenset(ids[t] for t in entry.tracks if t in ids) if entry.tracks else None
    asymmetric = entry.asymmetric
    if asymmetric is None:
        key = ContentKey(parse_kid(entry.kid or ""), parse_key(entry.key or ""))
        return EncryptionEntry(entry.mode, tracks, key)
    missing = [c for c in asymmetric.certificate_ids if c not in certificates]
    if missing:
        raise ValueError(f"certificate {missing[0]!r} is not in the keystore")
    ders = tuple(base64.b64decode(certificates[c].content) for c in asymmetric.certificate_ids)
    rotation = asymmetric.key_rotation_duration
    info = asymmetric.additional_info
    return EncryptionEntry(entry.mode, tracks, None, ders,
                           None if rotation is None else float(rotation.seconds),
                           None if info is None else info.encode("utf-8"))


def recording_plan(recording: Recording, feeds: list[Feed], default_segment: float,
                   state: RecorderState | None = None,
                   overrides: SegmentOverrides | None = None) -> RecordingPlan:
    target = recording.configuration.target
    segment = seconds(target.segment_duration) if target is not None else 0.0
    override = None if overrides is None else overrides.active(recording.token)
    if override is not None:
        segment = override.seconds
    return RecordingPlan(
        recording.token,
        tuple((track.token, index + 1) for index, track in enumerate(recording.tracks)),
        segment if segment > 0 else default_segment,
        seconds(recording.configuration.maximum_retention_time),
        tuple(feeds), target_plan(recording, state),
        0 if override is None else override.serial, encryption_entries(recording, state))


def plans(state: RecorderState, default_segment: float,
          overrides: SegmentOverrides | None = None,
          eligible: Eligible | None = None,
          event_topics: Mapping[str, str] | None = None) -> dict[str, RecordingPlan]:
    """The plan of every recording that has at least one track won by an Active job
    (``eligible``: the job conditions besides Mode, e.g. its schedule; ``event_topics``:
    job → topic of the event that triggered it)."""
    arbitration = arbitrate(state.jobs.values(), eligible)
    by_recording: dict[str, list[Feed]] = {}
    for job in state.jobs.values():
        feeds = _feeds(job, arbitration)
        if feeds:
            by_recording.setdefault(job.configuration.recording_token, []).extend(feeds)
    found = {}
    for token, feeds in by_recording.items():
        if token not in state.recordings:
            continue
        try:
            found[token] = recording_plan(state.recordings[token], feeds, default_segment,
                                          state, overrides)
            topics = [t for f in feeds if (t := (event_topics or {}).get(f.job))]
            if topics:
                found[token] = replace(found[token], event_topic=topics[0])
        except ValueError as exc:  # B.8: never write in clear what must be encrypted
            log.warning("recording %s is not written: its encryption %s", token, exc)
    return found
