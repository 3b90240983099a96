"""Our recovery box: a ``uuid`` box in ``moov/udta`` (ISO/IEC 14496-12 §4.2, §8.10.1).

``SegmentInfo`` is what crash repair and reconciliation need to rebuild state from a
file alone: span number and type, segment counter, timescale, the UTC of the span and
segment start, the recording token and the recording's track token of each ISO-BMFF
track_ID. ``encode`` writes it, ``decode`` reads it back: the one writer and the one
parser. The payload is compact JSON with sorted keys, so bytes are deterministic;
``recording``, ``track_ids`` (``"1=VIDEO001,2=AUDIO001"``) and ``event_topic`` (the
B.9 ``EventTopic`` of an event-triggered recording) are left out when empty.
Players ignore unknown ``uuid`` boxes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeGuard

from onvif_recorder.mp4.boxes import box

SEGMENT_INFO_UUID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:onvif-recorder:segment-info:1")

JsonValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentInfo:
    """A segment's own description, carried in its header."""

    span: int
    """The span's number within the recording session (``SpanOpened.span_id``)."""
    segment: int
    """The segment's counter within its span (the B.4 key counter)."""
    extension: str
    """The span type: ``mp4``, ``m4v``, ``m4a`` or ``m4m`` (B.6, B.7)."""
    timescale: int
    start_utc: float
    span_start_utc: float
    recording: str = ""
    track_tokens: Mapping[int, str] = field(default_factory=dict, hash=False)
    """ISO-BMFF track_ID → the recording's track token."""
    event_topic: str = ""
    """Topic of the event that triggered the recording job (RC B.9 ``EventTopic``);
    empty for recordings that no event started."""

    def encode(self) -> bytes:
        """The ``uuid`` box with ``SEGMENT_INFO_UUID`` and this description as JSON."""
        values: dict[str, JsonValue] = {
            "span": self.span, "segment": self.segment, "extension": self.extension,
            "timescale": self.timescale, "start_utc": self.start_utc,
            "span_start_utc": self.span_start_utc}
        if self.recording:
            values["recording"] = self.recording
        if self.track_tokens:
            values["track_ids"] = _track_ids_text(self.track_tokens)
        if self.event_topic:
            values["event_topic"] = self.event_topic
        payload = json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return box(b"uuid", SEGMENT_INFO_UUID.bytes, payload)

    @classmethod
    def decode(cls, payload: bytes) -> SegmentInfo | None:
        """The description in a ``uuid`` box payload (usertype included); None if the box
        is not ours or lacks a field this version needs."""
        if len(payload) < 16 or payload[:16] != SEGMENT_INFO_UUID.bytes:
            return None
        try:
            values = json.loads(payload[16:].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(values, dict):
            return None
        return _from_json(values)

    def token_of(self, track_id: int) -> str:
        """The recording's token of ``track_id``; the number itself when unknown."""
        return self.track_tokens.get(track_id, str(track_id))


def _track_ids_text(tokens: Mapping[int, str]) -> str:
    # Track tokens are made by the recorder (``VIDEO001``, ``Track_7``): never "," or "=".
    if any("," in token or "=" in token or not token for token in tokens.values()):
        raise ValueError(f"track tokens {dict(tokens)} cannot be written as track_ids")
    return ",".join(f"{track_id}={token}" for track_id, token in sorted(tokens.items()))


def _from_json(values: dict[str, object]) -> SegmentInfo | None:
    span, segment, timescale = (values.get(k) for k in ("span", "segment", "timescale"))
    start, span_start = values.get("start_utc"), values.get("span_start_utc")
    extension, recording = values.get("extension"), values.get("recording", "")
    topic = values.get("event_topic", "")
    if (_is_int(span) and _is_int(segment) and _is_int(timescale) and timescale > 0
            and isinstance(extension, str) and isinstance(recording, str)
            and isinstance(topic, str) and _is_number(start) and _is_number(span_start)):
        return SegmentInfo(span=span, segment=segment, extension=extension,
                           timescale=timescale, start_utc=float(start),
                           span_start_utc=float(span_start), recording=recording,
                           track_tokens=_track_tokens(values.get("track_ids")),
                           event_topic=topic)
    return None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _track_tokens(text: object) -> dict[int, str]:
    tokens: dict[int, str] = {}
    if isinstance(text, str):
        for item in filter(None, text.split(",")):
            number, _, token = item.partition("=")
            if number.isdigit() and token:
                tokens[int(number)] = token
    return tokens
