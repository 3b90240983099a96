"""RTCP compound packets (RFC 3550 §6.4-§6.6)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtp.errors import MalformedPacket
from onvif_recorder.rtp.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    UnknownRtcp,
    parse_compound,
    serialize_compound,
)

SSRC = 0x5E1A3C2B
# SR + SDES CNAME as a GStreamer RTSP server sends it every few seconds.
SR_SDES = bytes.fromhex(
    "80c800065e1a3c2be9bcc610800000000034a49c000004b0000ea600"
    "81ca00095e1a3c2b011a757365723135393138333637343140686f73742d61306231633200000000")
RR_ONE_BLOCK = bytes.fromhex(
    "81c90007112233445e1a3c2b0c00002500010005000000577c9e800000008000")
BYE_WITH_REASON = bytes.fromhex("81cb00045e1a3c2b0874656172646f776e000000")


def test_sender_report_and_cname() -> None:
    sr, sdes = parse_compound(SR_SDES)
    assert sr == SenderReport(SSRC, 3921462800 << 32 | 0x80000000, 3450012, 1200, 960000)
    assert sdes == SourceDescription((SdesChunk(SSRC, ((1, b"user1591836741@host-a0b1c2"),)),))
    assert serialize_compound([sr, sdes]) == SR_SDES


def test_receiver_report_block_fields() -> None:
    (rr,) = parse_compound(RR_ONE_BLOCK)
    assert rr == ReceiverReport(0x11223344, (ReportBlock(SSRC, 12, 37, 0x10005, 87, 0x7C9E8000,
                                                         0x8000),))
    assert bytes(rr) == RR_ONE_BLOCK


def test_bye_reason_and_unknown_app_packet_round_trip() -> None:
    app = bytes.fromhex("80cc00025e1a3c2b6e616d65")
    bye, unknown = parse_compound(BYE_WITH_REASON + app)
    assert bye == Bye((SSRC,), b"teardown")
    assert unknown == UnknownRtcp(204, 0, bytes.fromhex("5e1a3c2b6e616d65"))
    assert serialize_compound([bye, unknown]) == BYE_WITH_REASON + app


def test_negative_cumulative_loss_is_signed_24_bits() -> None:
    block = ReportBlock(1, 0, -3, 0, 0, 0, 0)
    (rr,) = parse_compound(bytes(ReceiverReport(2, (block,))))
    assert isinstance(rr, ReceiverReport)
    assert rr.reports[0].cumulative_lost == -3


@pytest.mark.parametrize(("data", "message"), [
    (b"\x80\xc8\x00", "header is truncated"),
    (bytes.fromhex("40c80000"), "version 1"),
    (bytes.fromhex("80c800065e1a3c2b"), "length exceeds"),
    (bytes.fromhex("80c800015e1a3c2b"), "sender report is truncated"),
    (bytes.fromhex("81c90001" + "11223344"), "report blocks are truncated"),
    (bytes.fromhex("a0c9000111223344") + RR_ONE_BLOCK, "not last in the compound"),
    (bytes.fromhex("81ca0002" + "5e1a3c2b" + "0105aaaa"), "SDES item is truncated"),
    (bytes.fromhex("81ca0001" + "5e1a3c2b"), "not terminated"),
    (bytes.fromhex("82cb0001" + "5e1a3c2b"), "source list is truncated"),
    (b"", "empty RTCP packet"),
])
def test_malformed_compounds(data: bytes, message: str) -> None:
    with pytest.raises(MalformedPacket, match=message):
        parse_compound(data)


blocks = st.builds(ReportBlock, st.integers(0, 2**32 - 1), st.integers(0, 255),
                   st.integers(-(2**23), 2**23 - 1), *(st.integers(0, 2**32 - 1),) * 4)
u32 = st.integers(0, 2**32 - 1)
rtcp_packets = st.one_of(
    st.builds(SenderReport, u32, st.integers(0, 2**64 - 1), u32, u32, u32,
              st.lists(blocks, max_size=3).map(tuple)),
    st.builds(ReceiverReport, u32, st.lists(blocks, max_size=3).map(tuple)),
    st.builds(SourceDescription, st.lists(st.builds(
        SdesChunk, u32, st.lists(st.tuples(st.integers(1, 8), st.binary(max_size=30)),
                                 max_size=3).map(tuple)), max_size=3).map(tuple)),
    st.builds(Bye, st.lists(u32, max_size=4).map(tuple), st.binary(max_size=20)),
)


@given(st.lists(rtcp_packets, min_size=1, max_size=4))
def test_compound_round_trip(packets: list[RtcpPacket]) -> None:
    data = serialize_compound(packets)
    assert parse_compound(data) == packets
    assert serialize_compound(parse_compound(data)) == data


@given(st.one_of(st.binary(max_size=120), st.binary(max_size=40).map(lambda b: SR_SDES + b),
                 st.integers(0, len(SR_SDES)).map(lambda n: SR_SDES[:n])))
def test_parse_raises_only_malformed_packet(data: bytes) -> None:
    with contextlib.suppress(MalformedPacket):
        parse_compound(data)
