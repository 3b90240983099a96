"""ONVIF metadata stream reassembly (ONVIF Streaming, "RTP for Metadata stream")."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize.base import AccessUnit, MetadataConfig
from onvif_recorder.rtp.depacketize.metadata import MetadataDepacketizer
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded, RtpError
from onvif_recorder.rtp.packet import RtpPacket
from tests.unit.rtp.packetizers import Stream

# The document peers.md §1's fake camera sends once a second.
EVENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<tt:MetadataStream '
    b'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
    b' xmlns:tns1="http://www.onvif.org/ver10/topics"><tt:Event><wsnt:NotificationMessage>'
    b'<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
    b"tns1:VideoSource/MotionAlarm</wsnt:Topic><wsnt:Message><tt:Message "
    b'UtcTime="2025-01-01T00:00:00Z" PropertyOperation="Changed"><tt:Source><tt:SimpleItem '
    b'Name="Source" Value="VideoSource_1"/></tt:Source><tt:Data><tt:SimpleItem Name="State" '
    b'Value="true"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage></tt:Event>'
    b"</tt:MetadataStream>")


def packets(stream: Stream, document: bytes, mtu: int, timestamp: int = 0) -> list[RtpPacket]:
    chunks = [document[i : i + mtu] for i in range(0, len(document), mtu)]
    return [stream.packet(c, timestamp + i, i == len(chunks) - 1) for i, c in enumerate(chunks)]


def feed(depack: MetadataDepacketizer, items: list[RtpPacket]) -> list[AccessUnit]:
    out: list[AccessUnit] = []
    for packet in items:
        out += depack.push(packet)
    return out


def test_document_split_over_packets_is_joined_by_marker() -> None:
    depack = create_depacketizer("vnd.onvif.metadata", 90000, {})
    assert isinstance(depack, MetadataDepacketizer)
    s = Stream(payload_type=107)
    units = feed(depack, packets(s, EVENT, 200, 9000) + packets(s, EVENT, 2000, 18000))
    assert [u.units for u in units] == [(EVENT,), (EVENT,)]
    assert [u.timestamp for u in units] == [9000, 18000]  # the first packet's timestamp
    assert units[0].config == MetadataConfig("vnd.onvif.metadata") and units[0].config_changed


def test_gap_discards_the_document_and_resynchronises_on_the_marker() -> None:
    depack = MetadataDepacketizer()
    s = Stream(payload_type=107)
    first = packets(s, EVENT, 200)
    del first[2]
    assert feed(depack, first) == []
    assert depack.discarded == 1
    assert [u.units for u in feed(depack, packets(s, EVENT, 300))] == [(EVENT,)]


def test_size_cap_refuses_the_document_and_skips_its_rest() -> None:
    depack = MetadataDepacketizer(max_size=500)
    s = Stream(payload_type=107)
    big = packets(s, EVENT, 200)
    assert feed(depack, big[:2]) == []
    with pytest.raises(LimitExceeded, match="metadata document size"):
        depack.push(big[2])
    assert feed(depack, big[3:]) == []  # the rest of the oversized document is skipped
    assert feed(depack, packets(s, EVENT[:400], 200)) == [
        AccessUnit(0, (EVENT[:400],), True, MetadataConfig("vnd.onvif.metadata"), True)]


def test_gzip_documents_are_inflated_and_bombs_refused() -> None:
    s = Stream(payload_type=107)
    depack = MetadataDepacketizer("vnd.onvif.metadata+gzip", max_size=10_000)
    (unit,) = feed(depack, packets(s, gzip.compress(EVENT), 100))
    assert unit.units == (EVENT,)
    with pytest.raises(LimitExceeded, match="inflated"):
        feed(depack, packets(s, gzip.compress(bytes(1_000_000)), 500))
    with pytest.raises(DepacketizeError, match="corrupt"):
        feed(depack, packets(s, b"not gzip", 100))


@given(st.lists(st.tuples(st.binary(max_size=30), st.booleans(), st.integers(0, 2)),
                max_size=40), st.booleans())
def test_any_input_raises_only_rtp_errors(items: list[tuple[bytes, bool, int]],
                                          gzipped: bool) -> None:
    name = "vnd.onvif.metadata+gzip" if gzipped else "vnd.onvif.metadata"
    depack = MetadataDepacketizer(name, max_size=64)
    seq = 0
    for payload, marker, skip in items:
        seq += skip
        try:
            units = depack.push(RtpPacket(107, seq & 0xFFFF, 0, 1, payload, marker))
        except RtpError:
            continue
        assert all(u.size <= 64 for u in units)
