"""The Search service's read port (``service.search.recorded.RecordedData``) over the
segment index of local storage and the segment files themselves.

Ranges: the segments of one span are contiguous, so a track's data in a span runs from
the start of its first segment there to the end of its last; spans are separated by gaps
(a job stopped, a camera lost), or follow each other without one (a codec change, a span
duration limit): those are one range, which keeps where each span began (``joined``).
A span with a segment still being written is open.
Facts: the sample entries and sample counts of the segment holding the asked time (else
the nearest one), or of the finished segment beginning at a span start, read from its
file; for an object-storage segment (which leaves this machine once uploaded) from the
summary its index row keeps (``storage.search_summary``).
Recorded metadata documents likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from onvif_recorder.service.search.recorded import (
    AudioFacts,
    MetadataFacts,
    MetadataSample,
    RecordedRange,
    TrackFacts,
    VideoFacts,
    merged,
)
from onvif_recorder.storage.search_summary import summary_documents, summary_media
from onvif_recorder.storage.segment_index import Location, SegmentIndex, SegmentRow
from onvif_recorder.storage.segment_media import TrackMedia, metadata_samples, segment_media

# Sample entry type -> the Encoding Search §5.6 names (tt:VideoEncoding / MIME subtypes).
VIDEO_ENCODINGS = {"avc1": "H264", "avc3": "H264", "hvc1": "H265", "hev1": "H265",
                   "mp4v": "MPEG4", "jpeg": "JPEG"}
AUDIO_ENCODINGS = {"mp4a": "AAC", "ulaw": "PCMU", "alaw": "PCMA"}


class SegmentIndexRecordedData:
    def __init__(self, index: SegmentIndex, path_of: Callable[[SegmentRow], Path]) -> None:
        self.index = index
        self.path_of = path_of

    def close(self) -> None:
        self.index.close()

    def ranges(self, recording: str) -> dict[str, list[RecordedRange]]:
        spans: dict[tuple[str, str], RecordedRange] = {}
        for span, tracks, start, end, complete in self.index.span_extents(recording):
            for track in tracks:
                found = spans.get((track, span))
                spans[(track, span)] = RecordedRange(start, end, not complete) if found is None \
                    else RecordedRange(min(found.start, start), max(found.end, end),
                                       found.open or not complete)
        by_track: dict[str, list[RecordedRange]] = {}
        for (track, _), extent in spans.items():
            by_track.setdefault(track, []).append(extent)
        return {track: merged(extents) for track, extents in by_track.items()}

    def metadata(self, recording: str, low: float, high: float) -> list[MetadataSample]:
        found: list[MetadataSample] = []
        for row in self.index.finished_with_codec(recording, low, high, "metx"):
            try:
                samples = summary_documents(self.index.search_summary(row)) \
                    if row.location is Location.OBJECT \
                    else metadata_samples(self.path_of(row).read_bytes())
            except (OSError, ValueError, IndexError):
                continue  # a segment deleted by retention meanwhile, or unreadable
            found += [MetadataSample(track, moment, payload)
                      for track, timed in samples.items() for moment, payload in timed]
        return found

    def facts(self, recording: str, at: float) -> dict[str, TrackFacts]:
        return self._facts_of(self.index.finished_near(recording, at))

    def facts_from(self, recording: str, start: float) -> dict[str, TrackFacts]:
        return self._facts_of(self.index.finished_starting(recording, start))

    def _facts_of(self, row: SegmentRow | None) -> dict[str, TrackFacts]:
        if row is None:
            return {}
        try:
            media = summary_media(self.index.search_summary(row)) \
                if row.location is Location.OBJECT \
                else segment_media(self.path_of(row).read_bytes())
        except (OSError, ValueError):
            return {}
        return {token: fact for token, track in media.tracks.items()
                if (fact := _facts(track, media.duration)) is not None}


def _facts(track: TrackMedia, duration: float) -> TrackFacts | None:
    kbps = round(track.bytes * 8 / duration / 1000) if duration > 0 and track.bytes else None
    if track.entry in VIDEO_ENCODINGS:
        rate = track.samples / duration if duration > 0 else 0.0
        return VideoFacts(VIDEO_ENCODINGS[track.entry], track.width, track.height,
                          round(rate, 2), kbps)
    if track.entry in AUDIO_ENCODINGS:
        return AudioFacts(AUDIO_ENCODINGS[track.entry], track.samplerate // 1000, kbps)
    if track.entry == "metx":
        return MetadataFacts()
    return None
