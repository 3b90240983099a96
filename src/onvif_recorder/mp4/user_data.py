"""Our recovery box: a ``uuid`` box in ``moov/udta`` (ISO/IEC 14496-12 §4.2, §8.10.1).

It records what crash repair and reconciliation need to rebuild state from a file
alone: span number and type, segment counter, the UTC of session time 0 and of the
segment start, the timescale, and whatever the engine adds (recording and track
tokens). The payload is compact JSON with sorted keys, so bytes are deterministic.
Players ignore unknown ``uuid`` boxes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from onvif_recorder.mp4.boxes import box

SEGMENT_INFO_UUID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:onvif-recorder:segment-info:1")

JsonValue = str | int | float | bool | None


def segment_info_box(info: Mapping[str, JsonValue]) -> bytes:
    """``uuid`` box with ``SEGMENT_INFO_UUID`` and ``info`` as JSON."""
    payload = json.dumps(dict(info), sort_keys=True, separators=(",", ":")).encode("utf-8")
    return box(b"uuid", SEGMENT_INFO_UUID.bytes, payload)


def parse_segment_info(payload: bytes) -> dict[str, JsonValue] | None:
    """The JSON of a ``uuid`` box payload (usertype included), or None if not ours."""
    if len(payload) < 16 or payload[:16] != SEGMENT_INFO_UUID.bytes:
        return None
    try:
        value = json.loads(payload[16:].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
