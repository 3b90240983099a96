"""H.265 depacketizer (RFC 7798 §4.4.1 single NAL unit, §4.4.2 AP, §4.4.3 FU)."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize.base import AccessUnit, H265Config
from onvif_recorder.rtp.depacketize.h265 import H265Depacketizer
from onvif_recorder.rtp.errors import DepacketizeError, RtpError
from onvif_recorder.rtp.packet import RtpPacket
from tests.unit.codecs.test_h265 import SPS_1080, X265_VPS
from tests.unit.rtp.packetizers import Stream, h265_payloads

PPS = bytes.fromhex("4401c172b46240")
IDR = b"\x26\x01" + bytes(range(256)) * 3
TRAIL = b"\x02\x01" + bytes(range(90))


def push_all(depack: H265Depacketizer, packets: list[RtpPacket]) -> list[AccessUnit]:
    out: list[AccessUnit] = []
    for packet in packets:
        out += depack.push(packet)
    return out


def test_parameter_sets_from_sdp_and_fragmented_idr() -> None:
    s = Stream()
    payloads = h265_payloads([IDR], mtu=300)
    assert len(payloads) == 3 and (payloads[0][0] >> 1) & 0x3F == 49
    depack = create_depacketizer("H265", 90000, {
        "sprop-vps": base64.b64encode(X265_VPS).decode(),
        "sprop-sps": base64.b64encode(SPS_1080).decode(),
        "sprop-pps": base64.b64encode(PPS).decode()})
    units: list[AccessUnit] = []
    for i, payload in enumerate(payloads):
        units += depack.push(s.packet(payload, 0, i == 2))
    (unit,) = units
    assert unit.units == (IDR,) and unit.sync and unit.config_changed
    assert isinstance(unit.config, H265Config) and unit.config.info is not None
    assert (unit.config.info.width, unit.config.info.height) == (1920, 1080)
    assert unit.config.vps == X265_VPS


def test_aggregation_packet_with_vps_sps_pps() -> None:
    payload = bytes([48 << 1, 1]) + b"".join(
        len(n).to_bytes(2, "big") + n for n in (X265_VPS, SPS_1080, PPS))
    s = Stream()
    (unit,) = push_all(H265Depacketizer(), [s.packet(payload, 0), s.packet(IDR, 0, True)])
    assert unit.units == (X265_VPS, SPS_1080, PPS, IDR)
    assert isinstance(unit.config, H265Config) and unit.config.pps == PPS


def test_donl_fields_are_skipped() -> None:
    s = Stream()
    ap = bytes([48 << 1, 1]) + b"\x00\x05" + len(PPS).to_bytes(2, "big") + PPS
    ap += b"\x01" + len(SPS_1080).to_bytes(2, "big") + SPS_1080
    fu_start = bytes([49 << 1, 1, 0x80 | 19]) + b"\x00\x07" + IDR[2:100]
    fu_end = bytes([49 << 1, 1, 0x40 | 19]) + IDR[100:]
    single = TRAIL[:2] + b"\x00\x08" + TRAIL[2:]
    depack = H265Depacketizer(donl=True)
    units = push_all(depack, [s.packet(ap, 0), s.packet(fu_start, 0), s.packet(fu_end, 0, True),
                              s.packet(single, 3000, True)])
    assert [u.units for u in units] == [(PPS, SPS_1080, IDR), (TRAIL,)]


@pytest.mark.parametrize(("payload", "message"), [
    (b"\x26", "too short"),
    (b"\xa6\x01\x00", "forbidden_zero_bit"),
    (bytes([48 << 1, 1, 0]), "AP is truncated"),
    (bytes([48 << 1, 1, 0, 1, 0x26]), "AP holds an invalid NAL unit"),
    (bytes([49 << 1, 1, 0x80 | 48, 0]), "FU carries NAL unit type 48"),
    (bytes([50 << 1, 1, 0, 0]), "packetization type 50 is not supported"),
])
def test_malformed_payloads(payload: bytes, message: str) -> None:
    with pytest.raises(DepacketizeError, match=message):
        H265Depacketizer().push(Stream().packet(payload, 0, True))


nal_types = st.sampled_from([0, 1, 19, 21, 32, 33, 34, 39, 40])


@given(st.lists(st.lists(st.tuples(nal_types, st.binary(min_size=1, max_size=2000)),
                         min_size=1, max_size=5), min_size=1, max_size=4),
       st.integers(40, 1400), st.integers(0, 0xFFFF))
def test_round_trip_through_a_reference_packetizer(aus: list[list[tuple[int, bytes]]],
                                                   mtu: int, seq: int) -> None:
    s = Stream(seq=seq)
    expected, packets = [], []
    for index, picture in enumerate(aus):
        nals = [IDR] if index == 0 else []
        nals += [bytes([kind << 1, 1]) + body for kind, body in picture]
        if not any((n[0] >> 1) & 0x3F < 32 for n in nals):
            nals.append(TRAIL)
        expected.append(tuple(nals))
        payloads = h265_payloads(nals, mtu)
        packets += [s.packet(p, 3000 * index, i == len(payloads) - 1)
                    for i, p in enumerate(payloads)]
    assert [u.units for u in push_all(H265Depacketizer(), packets)] == expected


@given(st.lists(st.tuples(st.binary(max_size=40), st.booleans(), st.booleans()), max_size=30))
def test_any_payload_raises_only_rtp_errors(items: list[tuple[bytes, bool, bool]]) -> None:
    for donl in (False, True):
        depack = H265Depacketizer(donl=donl, max_size=300, max_nal_units=4)
        for seq, (payload, marker, new_ts) in enumerate(items):
            with contextlib.suppress(RtpError):
                depack.push(RtpPacket(96, seq, seq if new_ts else 0, 1, payload, marker))
