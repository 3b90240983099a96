"""The bytes a browser plays from recorded segments, sans-IO: segment file bytes in, an
initialization segment, media parts (HLS fMP4, RFC 8216 §3.3) or a downloadable clip out.

Only what Media Source Extensions play is kept: the first H.264/H.265 video track and
the first AAC audio track of a segment. Metadata tracks, G.711 audio and encrypted tracks
(RC B.8: ciphertext without a key system) are left out.

Decode times are moved onto one timeline for the whole recording: a sample's
``baseMediaDecodeTime`` becomes its span start (POSIX seconds) times the timescale plus its
decode time in the span (``mp4.fragment_reader``). Within a span that is the recorded
timeline shifted, so consecutive parts are continuous and a player seeks across segment
boundaries; across spans timestamps only grow, and jump over the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.mp4.boxes import box
from onvif_recorder.mp4.fragment import FragmentSample, TrackRun, encode_fragment
from onvif_recorder.mp4.fragment_reader import StoredSample, StoredSegment, read_segment
from onvif_recorder.mp4.init_segment import trex
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes

VIDEO_ENTRIES = frozenset({"avc1", "avc3", "hvc1", "hev1"})
AUDIO_ENTRIES = frozenset({"mp4a"})


class NotPlayable(ValueError):
    """The segment has no track a browser plays (or no usable header)."""


@dataclass(frozen=True, slots=True)
class PlayableTracks:
    video: int
    audio: int | None


def playable_tracks(segment: StoredSegment) -> PlayableTracks:
    video = [t.track_id for t in segment.tracks.values()
             if t.handler == "vide" and t.entry.name in VIDEO_ENTRIES]
    audio = [t.track_id for t in segment.tracks.values()
             if t.handler == "soun" and t.entry.name in AUDIO_ENTRIES]
    if not video:
        encrypted = any(t.entry.name == "encv" for t in segment.tracks.values())
        raise NotPlayable("the recording is encrypted (RC B.8): a browser cannot play it"
                          if encrypted else
                          "the recording has no H.264 or H.265 video a browser can play")
    return PlayableTracks(min(video), min(audio) if audio else None)


def init_bytes(data: bytes) -> bytes:
    """``ftyp`` + ``moov`` of the playable tracks of the segment ``data`` (its ``trak``
    boxes as stored, a new ``mvex``)."""
    boxes = read_boxes(data)
    ftyp = next((b for b in boxes if b.name == "ftyp" and not b.truncated), None)
    moov = next((b for b in boxes if b.name == "moov" and not b.truncated), None)
    if ftyp is None or moov is None:
        raise NotPlayable("the segment has no usable header")
    wanted = playable_tracks(read_segment(data))
    ids = [wanted.video] + ([wanted.audio] if wanted.audio is not None else [])
    mvhd = moov.find("mvhd")
    if mvhd is None:
        raise NotPlayable("the segment has no movie header")
    traks = [_raw(data, trak) for trak in moov.find_all("trak") if _trak_id(trak) in ids]
    return _raw(data, ftyp) + box(b"moov", _raw(data, mvhd), *traks,
                                  box(b"mvex", *(trex(track_id) for track_id in ids)))


def part_bytes(data: bytes, sequence_number: int) -> bytes:
    """One ``moof`` + ``mdat`` with every playable sample of the segment ``data``."""
    segment = read_segment(data)
    return _fragment(segment, playable_tracks(segment), segment.samples, sequence_number)


class ClipWriter:
    """A fragmented MP4 of ``[start_utc, end_utc)`` built segment by segment, so a long
    clip is sent while it is read (memory: one segment). Push the segments from the one
    holding ``start_utc`` (the first to end after it) on. The clip starts at the last video
    sync sample at or before ``start_utc`` in that segment (its first sync sample when
    none precedes) and holds one fragment per segment; it ends (``done``) at a
    segment whose kept tracks differ from the first one's (a new span configuration)."""

    def __init__(self, start_utc: float, end_utc: float) -> None:
        self.start_utc = start_utc
        self.end_utc = end_utc
        self.fragments = 0
        self.done = False
        self._wanted: PlayableTracks | None = None
        self._entries: list[tuple[str, bytes]] = []
        self._begin = start_utc
        self._header = b""

    def push(self, data: bytes) -> bytes:
        """The bytes to send for the next segment (the header comes with the first
        fragment); b"" when the segment adds nothing."""
        if self.done:
            return b""
        segment = read_segment(data)
        if self._wanted is None:
            self._wanted = playable_tracks(segment)
            self._entries = _entries(segment, self._wanted)
            self._begin = _clean_start(segment, self._wanted.video, self.start_utc)
            self._header = init_bytes(data)
        elif _entries(segment, self._wanted) != self._entries:
            self.done = True
            return b""
        samples = [s for s in segment.samples
                   if self._begin <= segment.utc(s.track_id, s.decode_time) < self.end_utc]
        if not any(s.track_id == self._wanted.video for s in samples):
            return b""
        self.fragments += 1
        head, self._header = self._header, b""
        return head + _fragment(segment, self._wanted, samples, self.fragments)


def clip_bytes(segments: Sequence[bytes], start_utc: float, end_utc: float) -> bytes:
    """The whole clip of ``segments`` (``ClipWriter``) at once."""
    writer = ClipWriter(start_utc, end_utc)
    clip = b"".join(writer.push(data) for data in segments)
    if not writer.fragments:
        raise NotPlayable("nothing was recorded in that range")
    return clip


def _entries(segment: StoredSegment, wanted: PlayableTracks) -> list[tuple[str, bytes]]:
    """The sample entries of the kept tracks (headers differ in their times only)."""
    tracks = [segment.tracks.get(i) for i in (wanted.video, wanted.audio) if i is not None]
    return [(t.entry.name, t.entry.payload) if t else ("", b"") for t in tracks]


def _clean_start(segment: StoredSegment, video: int, start_utc: float) -> float:
    syncs = [segment.utc(video, s.decode_time) for s in segment.samples
             if s.track_id == video and s.sync]
    before = [moment for moment in syncs if moment <= start_utc]
    if before:
        return max(before)
    return min(syncs, default=start_utc)


def _fragment(segment: StoredSegment, wanted: PlayableTracks,
              samples: Sequence[StoredSample], sequence_number: int) -> bytes:
    runs = []
    for track_id in (wanted.video, wanted.audio):
        mine = [s for s in samples if s.track_id == track_id]
        if track_id is None or not mine:
            continue
        runs.append(TrackRun(track_id, _timeline(segment, track_id) + mine[0].decode_time,
                             [FragmentSample(s.data, s.duration, s.sync, s.composition_offset)
                              for s in mine]))
    if not runs:
        raise NotPlayable("the segment holds no playable sample")
    return encode_fragment(sequence_number, runs).data


def _timeline(segment: StoredSegment, track_id: int) -> int:
    """The span start on the recording-wide timeline, in the track's timescale."""
    start = segment.info.span_start_utc if segment.info else 0.0
    return round(start * segment.tracks[track_id].timescale)


def _raw(data: bytes, parsed: ParsedBox) -> bytes:
    return data[parsed.offset:parsed.offset + parsed.size]


def _trak_id(trak: ParsedBox) -> int | None:
    tkhd = trak.find("tkhd")
    if tkhd is None:
        return None
    offset = 4 + (16 if tkhd.payload[0] == 1 else 8)
    return int.from_bytes(tkhd.payload[offset:offset + 4], "big")
