"""H.264 depacketizer (RFC 6184 §5.6 single NAL unit, §5.7.1 STAP-A, §5.8 FU-A)."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize.base import AccessUnit, H264Config
from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded, RtpError
from onvif_recorder.rtp.packet import RtpPacket
from tests.unit.rtp.packetizers import Stream, h264_payloads

SPS = base64.b64decode("Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=")  # x264 640x360
PPS = base64.b64decode("aOvjyyLA")
IDR = b"\x65\x88\x84" + bytes(range(200))
P_SLICE = b"\x41\x9a\x02" + bytes(range(100))


def push_all(depack: H264Depacketizer, packets: list[RtpPacket]) -> list[AccessUnit]:
    out: list[AccessUnit] = []
    for packet in packets:
        out += depack.push(packet)
    return out


def test_single_nal_units_grouped_by_timestamp_and_marker() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS])
    units = push_all(depack, [s.packet(SPS, 900), s.packet(PPS, 900), s.packet(IDR, 900, True),
                              s.packet(P_SLICE, 4500, True)])
    assert [u.units for u in units] == [(SPS, PPS, IDR), (P_SLICE,)]
    assert [u.sync for u in units] == [True, False]
    assert [u.timestamp for u in units] == [900, 4500]
    assert units[0].config_changed and not units[1].config_changed
    config = units[0].config
    assert isinstance(config, H264Config) and config.info is not None
    assert (config.info.width, config.info.height) == (640, 360)


def test_stap_a_with_sps_pps_and_idr() -> None:
    payload = b"\x78" + b"".join(len(n).to_bytes(2, "big") + n for n in (SPS, PPS, IDR))
    (unit,) = H264Depacketizer().push(Stream().packet(payload, 0, True))
    assert unit.units == (SPS, PPS, IDR)
    assert isinstance(unit.config, H264Config) and unit.config.pps == PPS


def test_fu_a_reassembly_across_the_sequence_wrap() -> None:
    s = Stream(seq=65534)
    payloads = h264_payloads([IDR], mtu=60)
    assert len(payloads) == 4 and payloads[0][0] & 0x1F == 28
    packets = [s.packet(p, 7, i == len(payloads) - 1) for i, p in enumerate(payloads)]
    (unit,) = push_all(H264Depacketizer([SPS, PPS]), packets)
    assert unit.units == (IDR,)


def test_gstreamer_config_interval_sps_pps_with_marker_join_the_idr() -> None:
    # Some payloaders set the marker on the parameter-set packets too: they are no
    # picture, so they must not become an access unit of their own.
    s = Stream()
    units = push_all(H264Depacketizer(), [s.packet(SPS, 90, True), s.packet(PPS, 90, True),
                                          s.packet(IDR, 90, True)])
    assert [u.units for u in units] == [(SPS, PPS, IDR)]


def test_access_unit_without_marker_completes_on_the_next_timestamp() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS])
    assert depack.push(s.packet(IDR, 0)) == []
    (unit,) = depack.push(s.packet(P_SLICE, 3600))
    assert unit.units == (IDR,) and unit.timestamp == 0


def test_joining_mid_gop_skips_until_the_first_idr() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS])
    assert push_all(depack, [s.packet(P_SLICE, 0, True), s.packet(P_SLICE, 3600, True)]) == []
    assert depack.skipped_before_sync == 2
    assert len(depack.push(s.packet(IDR, 7200, True))) == 1
    assert len(depack.push(s.packet(P_SLICE, 10800, True))) == 1


def test_in_band_parameter_set_change_is_signalled() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS])
    first = push_all(depack, [s.packet(IDR, 0, True), s.packet(P_SLICE, 3600, True)])
    new_sps = base64.b64decode("Z0LAKNkAeAIn5YQAAAMABAAAAwDwPGDJIA==")  # 1920x1080 baseline
    (changed,) = push_all(depack, [s.packet(new_sps, 7200), s.packet(IDR, 7200, True)])
    assert [u.config_changed for u in first] == [True, False]
    assert changed.config_changed
    assert isinstance(changed.config, H264Config) and changed.config.info is not None
    assert changed.config.info.width == 1920


def test_lost_middle_fragment_discards_the_nal_and_keeps_going() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS])
    payloads = h264_payloads([IDR], mtu=60)
    depack.push(s.packet(payloads[0], 0))
    s.seq += 1  # packet lost
    with pytest.raises(DepacketizeError, match="fragment lost"):
        depack.push(s.packet(payloads[2], 0))
    with pytest.raises(DepacketizeError, match="without a start fragment"):
        depack.push(s.packet(payloads[3], 0, True))
    (unit,) = push_all(depack, [s.packet(IDR, 3600, True)])
    assert unit.units == (IDR,)


def test_fragment_abandoned_by_a_new_timestamp_is_counted() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS])
    depack.push(s.packet(h264_payloads([IDR], mtu=60)[0], 0))
    (unit,) = depack.push(s.packet(IDR, 3600, True))
    assert unit.timestamp == 3600 and depack.discarded == 1


@pytest.mark.parametrize(("payload", "message"), [
    (b"", "empty H.264 payload"),
    (b"\xe5\x00", "forbidden_zero_bit"),
    (b"\x78\x00", "STAP-A is truncated"),
    (b"\x78\x00\x00\x65", "STAP-A NAL unit size 0"),
    (b"\x78\x00\x09\x65", "STAP-A NAL unit size 9"),
    (b"\x78\x00\x02\x7c\x00", "STAP-A holds a packetization unit"),
    (b"\x7c\x85", "FU-A packet is too short"),
    (b"\x7c\x98\x00", "FU-A carries NAL unit type 24"),
    (b"\x79\x00\x00", "packetization type 25 is not supported"),
    (b"\x7a\x00\x00", "packetization type 26 is not supported"),
    (b"\x7d\x00\x00", "packetization type 29 is not supported"),
])
def test_malformed_payloads(payload: bytes, message: str) -> None:
    with pytest.raises(DepacketizeError, match=message):
        H264Depacketizer().push(Stream().packet(payload, 0, True))


def test_access_unit_size_cap_discards_the_rest_of_the_unit() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS], max_size=300)
    payloads = h264_payloads([IDR, IDR], mtu=120)
    with pytest.raises(LimitExceeded, match="access unit size"):
        push_all(depack, [s.packet(p, 0, i == len(payloads) - 1) for i, p in enumerate(payloads)])
    assert depack.discarded == 1
    (unit,) = depack.push(s.packet(IDR, 3600, True))
    assert unit.units == (IDR,)


def test_nal_unit_count_cap() -> None:
    s = Stream()
    depack = H264Depacketizer([SPS, PPS], max_nal_units=3)
    with pytest.raises(LimitExceeded, match="NAL unit count"):
        push_all(depack, [s.packet(IDR, 0) for _ in range(4)])


def test_factory_reads_sprop_parameter_sets() -> None:
    sprop = "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA"
    depack = create_depacketizer("H264", 90000, {"packetization-mode": "1",
                                                 "sprop-parameter-sets": sprop})
    (unit,) = depack.push(Stream().packet(IDR, 0, True))
    assert isinstance(unit.config, H264Config) and unit.config.sps == SPS


nal_bodies = st.binary(min_size=1, max_size=3000)
pictures = st.lists(st.tuples(st.sampled_from([0x41, 0x01, 0x06, 0x09]), nal_bodies),
                    min_size=1, max_size=6)


@given(st.lists(pictures, min_size=1, max_size=5), st.integers(40, 1400),
       st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1))
def test_round_trip_through_a_reference_packetizer(aus: list[list[tuple[int, bytes]]], mtu: int,
                                                   seq: int, ts0: int) -> None:
    s = Stream(seq=seq)
    expected, packets = [], []
    for index, picture in enumerate(aus):
        nals = [bytes([0x65]) + b"idr"] if index == 0 else []
        nals += [bytes([kind]) + body for kind, body in picture]
        if not any(1 <= n[0] & 0x1F <= 5 for n in nals):
            nals.append(b"\x41slice")
        expected.append(tuple(nals))
        payloads = h264_payloads(nals, mtu)
        timestamp = (ts0 + 3600 * index) & 0xFFFFFFFF
        packets += [s.packet(p, timestamp, i == len(payloads) - 1) for i, p in enumerate(payloads)]
    got = push_all(H264Depacketizer([SPS, PPS]), packets)
    assert [u.units for u in got] == expected


@given(st.lists(st.tuples(st.binary(max_size=40), st.booleans(), st.integers(0, 3),
                          st.integers(0, 3)), max_size=30))
def test_any_payload_raises_only_rtp_errors(items: list[tuple[bytes, bool, int, int]]) -> None:
    depack = H264Depacketizer([SPS, PPS], max_size=200, max_nal_units=5)
    seq = 0
    for payload, marker, ts, skip in items:
        seq += skip
        with contextlib.suppress(RtpError):
            depack.push(RtpPacket(96, seq & 0xFFFF, ts, 1, payload, marker))
