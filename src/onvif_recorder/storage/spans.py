"""Segment metadata for storage targets: content types (RFC 6381) and B.9 attributes. Pure.

Content types follow RC Annex B.6/B.7: ``video/mp4`` for ``mp4`` and ``m4v`` spans,
``audio/mp4`` for ``m4a``, ``application/mp4`` for ``m4m``, each with a ``codecs``
parameter listing the tracks' RFC 6381 codec strings (e.g. ``avc1.42C01E``,
``hvc1.1.6.L93.B0``, ``mp4a.40.2``). ``segment_attributes`` builds Table B.1's
attributes without the ``x-amz-meta-``/``x-ms-meta-`` prefix, which the uploader adds.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from onvif_recorder.mp4.events import SegmentClosed, SpanClosed
from onvif_recorder.mp4.mfra import condense, encode_mfra
from onvif_recorder.mp4.model import TrackInfo, TrackKind
from onvif_recorder.storage.object_key import KeyLayout, segment_key, span_end_key

ATTRIBUTES_VERSION = "1.0"
BASE_CONTENT_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "m4a": "audio/mp4",
                      "m4m": "application/mp4"}


def content_type(extension: str, tracks: Iterable[TrackInfo]) -> str:
    """``type/subtype; codecs="..."`` for a segment of span type ``extension``."""
    base = BASE_CONTENT_TYPES[extension.removesuffix("_end")]
    codecs = codecs_parameter(tracks)
    return f'{base}; codecs="{codecs}"' if codecs else base


def codecs_parameter(tracks: Iterable[TrackInfo]) -> str:
    """RFC 6381 §3.2 value: codec strings in track order, duplicates left out."""
    seen: list[str] = []
    for track in tracks:
        text = track.codec.codec_string
        if text not in seen:
            seen.append(text)
    return ",".join(seen)


def full_content_type(tracks: Iterable[TrackInfo]) -> str:
    """B.9 FullContentType: ``video/mp4`` with the codecs of every media type recorded."""
    return content_type("mp4", tracks)


def iso8601_duration(seconds: float) -> str:
    """``PT<seconds>S`` with up to microsecond precision (ISO 8601-1 §5.5.2)."""
    text = f"{seconds:.6f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


def seek_table(closed: SegmentClosed) -> str:
    """B.9.2 SeekTable: base64 of a condensed ``mfra`` (≤ 20 entries, no ``mfro``)."""
    entries = condense(closed.random_access)
    return base64.b64encode(encode_mfra(entries, with_mfro=False)).decode("ascii")


def segment_attributes(closed: SegmentClosed, recording_tracks: Iterable[TrackInfo], *,
                       source: str | None = None, event_topic: str | None = None,
                       extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Table B.1 attributes of one finished segment (``recording_tracks``: all of them)."""
    seconds = closed.duration / closed.timescale
    attributes = {"Version": ATTRIBUTES_VERSION, "Duration": iso8601_duration(seconds),
                  "FullContentType": full_content_type(recording_tracks),
                  "Timescale": str(closed.timescale), "SeekTable": seek_table(closed)}
    if source:
        attributes["Source"] = source
    if event_topic:
        attributes["EventTopic"] = event_topic
    for track in closed.tracks:
        stats = closed.stats.get(track.track_id)
        if stats is None or not stats.duration:
            continue
        track_seconds = stats.duration / closed.timescale
        kbps = str(round(stats.bytes * 8 / track_seconds / 1000))
        if track.kind is TrackKind.VIDEO and "VideoWidth" not in attributes:
            width, height = track.size
            attributes |= {"VideoWidth": str(width), "VideoHeight": str(height),
                           "VideoBitrate": kbps,
                           "VideoFramerate": f"{stats.samples / track_seconds:.3f}"}
        elif track.kind is TrackKind.AUDIO and "AudioBitrate" not in attributes:
            attributes |= {"AudioBitrate": kbps,
                           "AudioSampleRate": str(_sample_rate(track) // 1000)}
    attributes |= dict(extra or {})
    return attributes


def _sample_rate(track: TrackInfo) -> int:
    return track.codec.sample_rate or track.clock_rate


@dataclass(frozen=True, slots=True)
class ObjectIntent:
    """What to store for one object: key, content type, attributes; body comes separately."""

    key: str
    content_type: str
    attributes: dict[str, str]


def segment_object(layout: KeyLayout, closed: SegmentClosed,
                   recording_tracks: Iterable[TrackInfo], *,
                   source: str | None = None,
                   event_topic: str | None = None) -> ObjectIntent:
    """Key (B.4), content type (B.6/B.7) and attributes (B.9) of a finished segment."""
    tracks = list(recording_tracks)
    return ObjectIntent(segment_key(layout, closed.start_utc, closed.counter, closed.extension),
                        content_type(closed.extension, closed.tracks),
                        segment_attributes(closed, tracks, source=source,
                                           event_topic=event_topic))


def span_end_object(layout: KeyLayout, closed: SpanClosed) -> ObjectIntent:
    """The empty object marking the end of a span (B.5)."""
    return ObjectIntent(span_end_key(layout, closed.end_utc, closed.end_counter,
                                     closed.extension),
                        BASE_CONTENT_TYPES[closed.extension], {})
