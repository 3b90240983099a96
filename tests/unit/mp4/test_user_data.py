"""The recovery box: one writer (``SegmentInfo.encode``), one parser (``decode``)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.mp4.boxes import box
from onvif_recorder.mp4.inspect import dump_bytes, read_boxes
from onvif_recorder.mp4.user_data import SEGMENT_INFO_UUID, SegmentInfo

FULL = SegmentInfo(span=3, segment=7, extension="mp4", timescale=90000,
                   start_utc=1667920103.547, span_start_utc=1667920097.5,
                   recording="Recording_1", track_tokens={2: "AUDIO001", 1: "VIDEO001"})


def payload(info: SegmentInfo) -> bytes:
    (parsed,) = read_boxes(info.encode())
    assert parsed.name == "uuid"
    return parsed.payload


def test_full_description_round_trips_as_sorted_compact_json() -> None:
    data = payload(FULL)
    assert data[:16] == SEGMENT_INFO_UUID.bytes
    assert data[16:] == (b'{"extension":"mp4","recording":"Recording_1","segment":7,"span":3,'
                         b'"span_start_utc":1667920097.5,"start_utc":1667920103.547,'
                         b'"timescale":90000,"track_ids":"1=VIDEO001,2=AUDIO001"}')
    assert SegmentInfo.decode(data) == FULL
    assert str(SEGMENT_INFO_UUID) in dump_bytes(FULL.encode())


def test_recording_and_tracks_are_left_out_when_unknown() -> None:
    """The form of the golden segment dumps (a segmenter without a recording)."""
    bare = SegmentInfo(span=0, segment=0, extension="m4v", timescale=90000,
                       start_utc=1667920103.547, span_start_utc=1667920103.547)
    assert payload(bare)[16:] == (b'{"extension":"m4v","segment":0,"span":0,'
                                  b'"span_start_utc":1667920103.547,'
                                  b'"start_utc":1667920103.547,"timescale":90000}')
    decoded = SegmentInfo.decode(payload(bare))
    assert decoded == bare and decoded.token_of(1) == "1"


def test_the_event_topic_of_an_event_recording_round_trips() -> None:
    info = SegmentInfo(span=0, segment=0, extension="mp4", timescale=90000, start_utc=1.0,
                       span_start_utc=1.0, event_topic="tns1:VideoSource/MotionAlarm")
    assert b'"event_topic":"tns1:VideoSource/MotionAlarm"' in payload(info)
    assert SegmentInfo.decode(payload(info)) == info


@given(span=st.integers(0, 2**31), segment=st.integers(0, 2**31),
       extension=st.sampled_from(["mp4", "m4v", "m4a", "m4m"]),
       timescale=st.integers(1, 2**32 - 1),
       start=st.floats(0, 4e9), span_start=st.floats(0, 4e9),
       recording=st.from_regex(r"[A-Za-z0-9_]{0,20}", fullmatch=True),
       tokens=st.dictionaries(st.integers(1, 2**32 - 1),
                              st.from_regex(r"[A-Za-z0-9_]{1,20}", fullmatch=True),
                              max_size=4))
def test_every_description_round_trips(span: int, segment: int, extension: str,
                                       timescale: int, start: float, span_start: float,
                                       recording: str, tokens: dict[int, str]) -> None:
    info = SegmentInfo(span=span, segment=segment, extension=extension, timescale=timescale,
                       start_utc=start, span_start_utc=span_start, recording=recording,
                       track_tokens=tokens)
    assert SegmentInfo.decode(payload(info)) == info


def test_a_token_that_cannot_be_written_is_refused() -> None:
    with pytest.raises(ValueError):
        SegmentInfo(span=0, segment=0, extension="mp4", timescale=1, start_utc=0.0,
                    span_start_utc=0.0, track_tokens={1: "a,b"}).encode()


def json_payload(**changes: object) -> bytes:
    values = json.loads(payload(FULL)[16:]) | changes
    return SEGMENT_INFO_UUID.bytes + json.dumps(values).encode()


@pytest.mark.parametrize("data", [
    b"\x00" * 20,                                   # another uuid
    SEGMENT_INFO_UUID.bytes + b"\xff{",             # not UTF-8
    SEGMENT_INFO_UUID.bytes + b"[1, 2]",            # not an object
    json_payload(timescale=0),
    json_payload(timescale=True),
    json_payload(start_utc="soon"),
    json_payload(segment=None),
    json_payload(extension=4),
    json_payload(recording=5),
], ids=["foreign", "utf8", "array", "timescale0", "bool", "start", "segment", "ext", "rec"])
def test_what_is_not_a_usable_description_decodes_to_none(data: bytes) -> None:
    assert SegmentInfo.decode(data) is None


def test_a_box_written_by_another_tool_is_not_ours() -> None:
    (parsed,) = read_boxes(box(b"uuid", bytes(16), b"{}"))
    assert SegmentInfo.decode(parsed.payload) is None
