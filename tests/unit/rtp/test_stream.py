"""The per-stream receive pipeline and receiver reports (RFC 3550 §6.4, §A.3, §A.8)."""

from __future__ import annotations

import base64
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.report import ReceptionReport
from onvif_recorder.rtp.rtcp import (
    ReceiverReport,
    SdesChunk,
    SenderReport,
    SourceDescription,
    parse_compound,
    serialize_compound,
)
from onvif_recorder.rtp.sequencer import Sequencer
from onvif_recorder.rtp.stream import RtpStream
from onvif_recorder.rtp.timing import ClockSource, unix_to_ntp
from tests.unit.rtp.packetizers import Stream, h264_payloads

pytestmark = pytest.mark.usefixtures("kernel")  # the Python and the compiled kernels

SPS = base64.b64decode("Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=")
PPS = base64.b64decode("aOvjyyLA")
SSRC = 0x5E1A3C2B
T0 = 1_700_000_000.0


def gop_packets(frames: int, ts0: int = 0xFFFF0000, seq: int = 65500) -> list[bytes]:
    """25 fps: an IDR then P frames, each split with FU-A at a 200-byte MTU."""
    s = Stream(ssrc=SSRC, seq=seq)
    out = []
    for i in range(frames):
        nal = (b"\x65" if i == 0 else b"\x41") + bytes([i % 256]) * 700
        payloads = h264_payloads([nal], 200)
        ts = ts0 + 3600 * i
        out += [bytes(s.packet(p, ts, j == len(payloads) - 1)) for j, p in enumerate(payloads)]
    return out


def new_stream() -> RtpStream:
    return RtpStream(H264Depacketizer([SPS, PPS]), 90000, own_ssrc=0x1111)


def test_samples_get_unwrapped_times_and_a_wall_clock() -> None:
    stream = new_stream()
    samples = []
    for i, data in enumerate(gop_packets(50)):
        samples += stream.receive_rtp(data, now=i * 0.001, utc=T0 + i * 0.001)
    assert len(samples) == 50
    assert [s.pts - samples[0].pts for s in samples] == [3600 * i for i in range(50)]
    assert samples[-1].pts > 0xFFFFFFFF  # went through the 32-bit wrap
    assert samples[0].sync and not samples[1].sync
    # This x264 SPS declares max_num_reorder_frames = 2: each picture is decoded two
    # frames before the one presented two places earlier (rtp.decode_time).
    assert [s.dts for s in samples[2:]] == [s.pts for s in samples[:-2]]
    assert all(b.dts > a.dts for a, b in itertools.pairwise(samples))
    assert samples[0].clock_source is ClockSource.ARRIVAL
    assert samples[25].utc - samples[0].utc == pytest.approx(1.0)
    assert stream.stats.sequence.lost == 0 and stream.stats.samples == 50


def test_reordered_and_duplicated_packets_still_give_every_frame() -> None:
    packets = gop_packets(10)
    shuffled = list(packets)
    for i in range(2, len(shuffled) - 1, 5):
        shuffled[i], shuffled[i + 1] = shuffled[i + 1], shuffled[i]
    shuffled.insert(7, packets[6])
    stream = new_stream()
    samples = []
    for data in shuffled:
        samples += stream.receive_rtp(data, 0.0, T0)
    samples += stream.flush(T0)
    assert len(samples) == 10
    assert stream.stats.sequence.duplicates == 1
    assert stream.stats.sequence.reordered > 0
    assert stream.stats.dropped == 0


def test_sender_report_switches_the_clock_to_rtcp() -> None:
    stream = new_stream()
    packets = gop_packets(3)
    stream.receive_rtp(packets[0], 0.0, T0)
    sr = SenderReport(SSRC, unix_to_ntp(1_600_000_000.0), 0xFFFF0000, 10, 1000)
    stream.receive_rtcp(serialize_compound([sr, SourceDescription((SdesChunk(SSRC),))]), 0.1)
    samples = []
    for data in packets[1:]:
        samples += stream.receive_rtp(data, 0.2, T0 + 0.2)
    assert samples[0].clock_source is ClockSource.RTCP
    assert samples[0].utc == pytest.approx(1_600_000_000.0)
    assert samples[1].utc == pytest.approx(1_600_000_000.04)


def test_malformed_packets_and_foreign_ssrcs_are_counted_not_raised() -> None:
    stream = new_stream()
    stream.receive_rtp(gop_packets(1)[0], 0.0, T0)
    assert stream.receive_rtp(b"\x80\x60", 0.0, T0) == []
    assert stream.receive_rtp(bytes(RtpPacket(96, 1, 0, 0xBAD, b"\x65x")), 0.5, T0) == []
    assert stream.receive_rtp(bytes(RtpPacket(96, 65501, 0, SSRC, b"\x7d\x00\x00")), 0.5, T0) == []
    stream.receive_rtcp(b"\x80\xc8", 0.5)
    assert (stream.stats.malformed, stream.stats.foreign_ssrc) == (1, 1)
    assert (stream.stats.dropped, stream.stats.rtcp_malformed) == (1, 1)
    assert stream.stats.last_error is not None


def test_sender_restarting_with_a_new_ssrc_is_followed_after_a_silence() -> None:
    stream = new_stream()
    stream.receive_rtp(gop_packets(1)[0], 0.0, T0)
    stream.receive_rtp(bytes(RtpPacket(96, 5, 0, 0xBEEF, b"\x65x", True)), 2.0, T0)
    assert stream.ssrc == 0xBEEF


def test_receiver_report_carries_loss_jitter_and_lsr() -> None:
    stream = new_stream()
    packets = gop_packets(4)
    for i, data in enumerate(packets):
        if i != 3:  # one packet lost
            stream.receive_rtp(data, i * 0.01, T0)
    stream.receive_rtcp(bytes(SenderReport(SSRC, 0x1122334455667788, 0, 1, 1)), 1.0)
    rr, sdes = parse_compound(stream.receiver_report(now=1.5))
    assert isinstance(rr, ReceiverReport) and rr.ssrc == 0x1111
    assert isinstance(sdes, SourceDescription) and sdes.chunks[0].items == ((1, b"onvif-recorder"),)
    (block,) = rr.reports
    assert block.ssrc == SSRC and block.cumulative_lost == 1
    assert block.fraction_lost == (1 << 8) // len(packets)
    assert block.lsr == 0x33445566 and block.dlsr == 32768
    assert block.highest_sequence == 65500 + len(packets) - 1
    assert block.jitter > 0


def test_report_before_any_packet_has_no_block() -> None:
    (rr, _) = parse_compound(new_stream().receiver_report(0.0))
    assert isinstance(rr, ReceiverReport) and rr.reports == ()


def test_jitter_is_zero_for_perfectly_paced_packets() -> None:
    report = ReceptionReport(90000)
    for i in range(100):
        report.on_packet(3600 * i, i / 25)
    assert report.jitter == pytest.approx(0.0, abs=1e-6)


def test_fraction_lost_is_per_interval() -> None:
    report = ReceptionReport(90000)
    seqr: Sequencer[int] = Sequencer(window=0)
    for seq in [*range(0, 50), *range(60, 100)]:
        seqr.push(seq, seq)
    first = report.report_block(1, seqr.stats, 0.0)
    assert (first.fraction_lost, first.cumulative_lost) == (25, 10)
    for seq in range(100, 200):
        seqr.push(seq, seq)
    second = report.report_block(1, seqr.stats, 0.0)
    assert (second.fraction_lost, second.cumulative_lost) == (0, 10)


@given(st.lists(st.binary(max_size=60), max_size=30))
def test_any_datagram_is_absorbed(datagrams: list[bytes]) -> None:
    stream = new_stream()
    for data in datagrams:
        stream.receive_rtp(data, 0.0, T0)
        stream.receive_rtcp(data, 0.0)
    stream.receiver_report(1.0)
