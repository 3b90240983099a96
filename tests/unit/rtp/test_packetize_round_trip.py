"""Every replay packetizer round-trips through the recorder's own depacketizer
(RFC 6184, 7798, 3640, 3551, ONVIF metadata), under Hypothesis."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.packetize import Payload, aac, g711, h264, h265, metadata
from tests.unit.mp4 import media

MTU = 200


def round_trip(packetize: Callable[[bytes, int], list[Payload]], encoding: str,
               clock: int, fmtp: dict[str, str], samples: list[bytes], pt: int = 96
               ) -> list[tuple[bytes, ...]]:
    depacketizer = create_depacketizer(encoding, clock, fmtp, payload_type=pt)
    units: list[tuple[bytes, ...]] = []
    seq = 65500
    for index, sample in enumerate(samples):
        payloads = packetize(sample, MTU)
        for number, payload in enumerate(payloads):
            assert len(payload.data) <= MTU
            packet = RtpPacket(pt, seq, index * 3000 + payload.ticks, 1, payload.data,
                               marker=number == len(payloads) - 1)
            seq = (seq + 1) & 0xFFFF
            units += [au.units for au in depacketizer.push(RtpPacket.parse(bytes(packet)))]
    return units


def length_prefixed(units: list[bytes]) -> bytes:
    return b"".join(len(u).to_bytes(4, "big") + u for u in units)


nal_bodies = st.lists(st.binary(min_size=1, max_size=700), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(nal_bodies, min_size=1, max_size=4))
def test_h264(pictures: list[list[bytes]]) -> None:
    sps, pps, *_ = media.h264_access_units()[0]
    samples = [[sps, pps, b"\x65" + pictures[0][0]]] + [
        [b"\x41" + body for body in picture] for picture in pictures]
    got = round_trip(h264.packetize, "H264", 90000, {"packetization-mode": "1"},
                     [length_prefixed(s) for s in samples])
    assert [list(u) for u in got] == samples[:len(got)]
    assert len(got) >= len(samples) - 1  # the last unit waits for the next timestamp


@settings(max_examples=60, deadline=None)
@given(st.lists(nal_bodies, min_size=1, max_size=4))
def test_h265(pictures: list[list[bytes]]) -> None:
    vps, sps, pps, *_ = media.h265_access_units()[0]
    samples = [[vps, sps, pps, b"\x26\x01" + pictures[0][0]]] + [
        [b"\x02\x01" + body for body in picture] for picture in pictures]
    got = round_trip(h265.packetize, "H265", 90000, {}, [length_prefixed(s) for s in samples])
    assert [list(u) for u in got] == samples[:len(got)]
    assert len(got) >= len(samples) - 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=600), min_size=1, max_size=5))
def test_aac(frames: list[bytes]) -> None:
    fmtp = dict(item.split("=") for item in aac.FMTP.split(";")) | {"config": "1408"}
    got = round_trip(aac.packetize, "MPEG4-GENERIC", 16000, fmtp, frames)
    assert [b"".join(u) for u in got] == frames[:len(got)]
    assert len(got) >= len(frames) - 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=500), min_size=1, max_size=5))
def test_g711(frames: list[bytes]) -> None:
    got = round_trip(g711.packetize, "PCMU", 8000, {}, frames, pt=0)
    received = b"".join(b"".join(u) for u in got)
    assert received == b"".join(frames)[:len(received)]
    assert len(received) >= sum(map(len, frames[:-1]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=900), min_size=1, max_size=4))
def test_metadata(texts: list[str]) -> None:
    documents = [f"<tt:MetadataStream>{t}</tt:MetadataStream>".encode() for t in texts]
    got = round_trip(metadata.packetize, "vnd.onvif.metadata", 90000, {}, documents)
    assert [b"".join(u) for u in got] == documents[:len(got)]
