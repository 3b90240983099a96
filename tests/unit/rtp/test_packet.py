"""RTP packet parse/serialize (RFC 3550 §5.1, §5.3.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtp.errors import MalformedPacket
from onvif_recorder.rtp.packet import HeaderExtension, RtpPacket, is_rtcp

pytestmark = pytest.mark.usefixtures("kernel")  # the Python and the compiled kernels

# (name, bytes, decoded): one table drives parse, serialize and the fuzz seeds.
CASES = [
    ("H.264 FU-A start, GStreamer rtph264pay",
     bytes.fromhex("8060fffa0034a49c5e1a3c2b7c85b8004000"),
     RtpPacket(96, 0xFFFA, 3450012, 0x5E1A3C2B, bytes.fromhex("7c85b8004000"))),
    ("marker, 2 CSRCs",
     bytes.fromhex("82e0000100000064000000010000000a0000000b" + "aabb"),
     RtpPacket(96, 1, 100, 1, b"\xaa\xbb", marker=True, csrc=(10, 11))),
    ("ONVIF replay extension 0xABAC, 3 words",
     bytes.fromhex("906000070000000a00000002abac0003" + "e9bcc61080000000" + "80000000" + "65"),
     RtpPacket(96, 7, 10, 2, b"\x65",
               extension=HeaderExtension(0xABAC, bytes.fromhex("e9bcc6108000000080000000")))),
    ("padding of 4 octets",
     bytes.fromhex("a008000300000140000000030102" + "00000004"),
     RtpPacket(8, 3, 320, 3, b"\x01\x02", padding=4)),
]


@pytest.mark.parametrize(("name", "data", "packet"), CASES, ids=[c[0] for c in CASES])
def test_parse_and_serialize(name: str, data: bytes, packet: RtpPacket) -> None:
    assert RtpPacket.parse(data) == packet
    assert bytes(packet) == data


@pytest.mark.parametrize(("data", "message"), [
    (b"\x80\x60\x00", "RTP packet length is less than 12 bytes"),
    (bytes.fromhex("40600001000000010000000100"), "RTP packet has version 1, not 2"),
    (bytes.fromhex("826000010000000100000001" + "00000000"), "RTP packet has truncated CSRC"),
    (bytes.fromhex("906000010000000100000001abac"), "truncated extension profile"),
    (bytes.fromhex("906000010000000100000001abac0002000000"), "truncated extension value"),
    (bytes.fromhex("a06000010000000100000001"), "RTP packet padding length is missing"),
    (bytes.fromhex("a0600001000000010000000100000009"), "padding length 9 is invalid"),
    (bytes.fromhex("a0600001000000010000000100000000"), "padding length 0 is invalid"),
])
def test_every_truncation_has_a_precise_error(data: bytes, message: str) -> None:
    with pytest.raises(MalformedPacket, match=message):
        RtpPacket.parse(data)


packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence_number=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=64),
    marker=st.booleans(),
    csrc=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15).map(tuple),
    extension=st.one_of(st.none(), st.builds(
        HeaderExtension, st.integers(0, 0xFFFF),
        st.integers(0, 8).flatmap(lambda n: st.binary(min_size=4 * n, max_size=4 * n)))),
    padding=st.integers(0, 255),
)


@given(packets)
def test_round_trip(packet: RtpPacket) -> None:
    assert RtpPacket.parse(bytes(packet)) == packet


def _prefixed(prefix: bytes) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=20).map(lambda tail: prefix + tail)


@given(st.one_of(st.binary(max_size=80), *(_prefixed(data) for _, data, _ in CASES)))
def test_parse_raises_only_malformed_packet(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except MalformedPacket:
        return
    # Anything that parses can be written back out (padding octets are written as zeros).
    assert RtpPacket.parse(bytes(packet)) == packet


def test_rtcp_demultiplexing_by_packet_type() -> None:
    assert is_rtcp(bytes.fromhex("80c80006"))
    assert not is_rtcp(CASES[0][1])
