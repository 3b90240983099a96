"""Checks of what a recording left in an object store, per RC Annex B.4-B.7 and B.9."""

from __future__ import annotations

import base64
import calendar
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av

from onvif_recorder.mp4.inspect import read_boxes
from onvif_recorder.storage.object_key import KeyLayout, ParsedKey, key_pattern, parse_key
from tests.object_peers import StoredObject

S3_METADATA_LIMIT = 2048
CONTENT_TYPES = {"mp4": "video/mp4", "m4v": "video/mp4", "m4a": "audio/mp4"}
CODECS = {"mp4": ("avc1.", "mp4a.40.2"), "m4v": ("avc1.",), "m4a": ("mp4a.40.2",)}


@dataclass(frozen=True, slots=True)
class Span:
    extension: str
    segments: list[tuple[ParsedKey, StoredObject]]
    end: ParsedKey


def key_seconds(key: ParsedKey) -> float:
    t = key.time
    whole = calendar.timegm((t.year, t.month, t.day, t.hour, t.minute, t.second))
    return whole + t.microsecond / 1e6


def spans(objects: list[StoredObject], layout: KeyLayout) -> list[Span]:
    """Group objects into spans: counters 0..n-1 then the ``_end`` object with n (B.4/B.5)."""
    pattern = key_pattern(layout.prefix, layout.postfix)
    parsed = []
    for obj in objects:
        assert pattern.fullmatch(obj.key), obj.key
        parsed.append((parse_key(obj.key, layout), obj))
    result = []
    for extension in sorted({p.extension.removesuffix("_end") for p, _ in parsed}):
        mine = sorted((p for p in parsed if p[0].extension.startswith(extension)),
                      key=lambda item: (key_seconds(item[0]), item[0].span_end))
        result.extend(_split(extension, mine))
    return result


def _split(extension: str, items: list[tuple[ParsedKey, StoredObject]]) -> list[Span]:
    found: list[Span] = []
    current: list[tuple[ParsedKey, StoredObject]] = []
    for key, obj in items:
        if key.span_end:
            assert [k.counter for k, _ in current] == list(range(len(current))), current
            assert key.counter == len(current), (key, len(current))
            found.append(Span(extension, current, key))
            current = []
        else:
            current.append((key, obj))
    assert not current, f"a {extension} span has no end object: {[k for k, _ in current]}"
    return found


def check_span(span: Span, source: str, s3: bool, repaired: bool = False,
               content_key: bytes | None = None) -> int:
    """``repaired``: segments repaired after a crash may lack the (optional) SeekTable;
    ``content_key``: the segments are encrypted (RC B.8) with this key."""
    # Content type, attributes, contiguity, decoding, SeekTable; returns frames decoded.
    frames, previous_end = 0, None
    for key, obj in span.segments:
        meta = {name.lower(): value for name, value in obj.metadata.items()}
        check_content_type(span.extension, obj.content_type)
        check_attributes(span.extension, meta, source, repaired)
        if s3:
            assert sum(len(k) + len(v) for k, v in obj.metadata.items()) <= S3_METADATA_LIMIT
        start = key_seconds(key)
        if previous_end is not None:  # B.3: no time gap between segments of a span
            assert abs(start - previous_end) <= 0.002, (key, start, previous_end)
        previous_end = start + duration_seconds(meta["duration"])
        if "seektable" in meta or not repaired:
            check_seek_table(obj.body, meta)
        frames += decoded_frames(obj.body, content_key)
    assert previous_end is not None
    assert abs(key_seconds(span.end) - previous_end) <= 0.1, (span.end, previous_end)
    return frames


def check_content_type(extension: str, content_type: str) -> None:
    base, _, _ = content_type.partition(";")
    assert base == CONTENT_TYPES[extension], content_type
    codecs = _codecs(content_type)
    assert len(codecs) == len(CODECS[extension]), content_type
    for codec, expected in zip(codecs, CODECS[extension], strict=True):
        assert codec.startswith(expected), content_type


def _codecs(content_type: str) -> list[str]:
    parameter = content_type.partition(";")[2].strip()
    return parameter.removeprefix('codecs="').removesuffix('"').split(",")


def check_attributes(extension: str, meta: dict[str, str], source: str,
                     repaired: bool = False) -> None:
    assert meta["version"] == "1.0"
    assert meta["source"] == source
    assert meta["fullcontenttype"].startswith('video/mp4; codecs="'), meta
    assert {"avc1", "mp4a"} <= {c[:4] for c in _codecs(meta["fullcontenttype"])}, meta
    assert int(meta["timescale"]) > 0
    assert meta["duration"].startswith("PT") and meta["duration"].endswith("S")
    if repaired and "videowidth" not in meta:
        return  # a repaired segment carries the attributes known when it opened
    if extension in ("mp4", "m4v"):
        assert (meta["videowidth"], meta["videoheight"]) == ("640", "360")
        assert 20 <= float(meta["videoframerate"]) <= 30
        assert int(meta["videobitrate"]) > 0
    if extension == "m4a" or (extension == "mp4" and duration_seconds(meta["duration"]) >= 1):
        # a span closed by SetRecordingJobMode Idle may end with a few video frames only
        assert meta.get("audiosamplerate") == "16", (extension, meta)
        assert int(meta["audiobitrate"]) > 0


def duration_seconds(text: str) -> float:
    return float(text.removeprefix("PT").removesuffix("S"))


def check_seek_table(body: bytes, meta: dict[str, str]) -> None:
    """B.9.2: base64 ``mfra`` (no ``mfro``), every ``moof_offset`` on a ``moof`` box."""
    table = base64.b64decode(meta["seektable"], validate=True)
    (mfra,) = read_boxes(table)
    assert mfra.name == "mfra" and mfra.size == len(table)
    assert mfra.find("mfro") is None
    tfras = mfra.find_all("tfra")
    assert tfras and sum(len(tfra_offsets(t.payload)) for t in tfras) <= 20 * len(tfras)
    long_enough = duration_seconds(meta["duration"]) >= 1.0
    for tfra in tfras:
        offsets = tfra_offsets(tfra.payload)
        # the first sample of each track is in the SeekTable; a track may have no sample
        # in a short segment that SetRecordingJobMode Idle cut
        assert offsets or not long_enough, "a track's first sample is not in the SeekTable"
        for offset in offsets:
            assert body[offset + 4:offset + 8] == b"moof", offset


def tfra_offsets(payload: bytes) -> list[int]:
    version = payload[0]
    sizes, count = struct.unpack_from(">II", payload, 8)
    wide = 8 if version == 1 else 4
    skip = ((sizes >> 4) & 3) + ((sizes >> 2) & 3) + (sizes & 3) + 3
    offsets, position = [], 16
    for _ in range(count):
        fmt = ">Q" if wide == 8 else ">I"
        offsets.append(struct.unpack_from(fmt, payload, position + wide)[0])
        position += 2 * wide + skip
    return offsets


def decoded_frames(body: bytes, key: bytes | None = None) -> int:
    options = {"decryption_key": key.hex()} if key else {}
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        Path(file.name).write_bytes(body)
        with av.open(file.name, options=options) as container:
            return sum(1 for _ in container.decode(*container.streams))
