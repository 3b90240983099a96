"""Access to the byte fixtures in tests/data/rtsp and the three-way feeding helper."""

from __future__ import annotations

import re
from pathlib import Path

from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.message import NEED_DATA, Event, MessageParser

DATA = Path(__file__).resolve().parents[2] / "data" / "rtsp"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def with_cseq(data: bytes, cseq: int) -> bytes:
    """A fixture response renumbered to answer request ``cseq``."""
    return re.sub(rb"CSeq: \d+", b"CSeq: %d" % cseq, data, count=1)


def parse_all(chunks: list[bytes], parser: MessageParser | None = None
              ) -> tuple[list[Event], Exception | None]:
    """Feed chunks one by one, collecting events until NEED_DATA or an error."""
    parser = parser or MessageParser()
    events: list[Event] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while (event := parser.next_event()) is not NEED_DATA:
                events.append(event)
    except RemoteProtocolError as exc:
        return events, exc
    return events, None


def three_ways(data: bytes) -> tuple[list[Event], list[Event], list[Event]]:
    """h11's t_body_reader: whole, one byte at a time, and with trailing garbage."""
    whole, error = parse_all([data])
    assert error is None, error
    byte_by_byte, error = parse_all([data[i : i + 1] for i in range(len(data))])
    assert error is None, error
    garbage, _ = parse_all([data + b"\x00garbage that is not RTSP\r\n\r\n"])
    return whole, byte_by_byte, garbage
