"""AAC mpeg4-generic (RFC 3640 §3.2-§3.3) and G.711 (RFC 3551 §4.5.14) depacketizers."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize import UnsupportedCodec
from onvif_recorder.rtp.depacketize.aac import AacDepacketizer, AuHeaderLayout
from onvif_recorder.rtp.depacketize.base import AacConfig, AccessUnit, G711Config
from onvif_recorder.rtp.depacketize.g711 import G711Depacketizer
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded, RtpError
from onvif_recorder.rtp.packet import RtpPacket
from tests.unit.rtp.packetizers import Stream, aac_hbr_payloads

# GStreamer rtpmp4gpay, 16 kHz mono AAC-LC (peers.md §1, mount /av)
AAC_FMTP = {"streamtype": "5", "profile-level-id": "2", "mode": "AAC-hbr", "config": "1408",
            "sizelength": "13", "indexlength": "3", "indexdeltalength": "3"}


def aac() -> AacDepacketizer:
    depack = create_depacketizer("MPEG4-GENERIC", 16000, AAC_FMTP)
    assert isinstance(depack, AacDepacketizer)
    return depack


def test_single_au_packet_from_a_byte_fixture() -> None:
    # AU-headers-length 16 bits, one header: size 6 (6 << 3 = 0x0030), index 0
    (unit,) = aac().push(RtpPacket(97, 1, 16000, 7, bytes.fromhex("00100030") + b"frame1", True))
    assert unit.units == (b"frame1",) and unit.timestamp == 16000 and unit.sync
    assert isinstance(unit.config, AacConfig) and unit.config.info.sampling_frequency == 16000
    assert unit.config_changed


def test_several_aus_per_packet_get_consecutive_timestamps() -> None:
    headers = bytes.fromhex("0030" + "0018" + "0020" + "0028")  # 3 headers, sizes 3, 4, 5
    units = aac().push(RtpPacket(97, 1, 0xFFFFFC00, 7, headers + b"aaabbbbccccc", True))
    assert [u.units[0] for u in units] == [b"aaa", b"bbbb", b"ccccc"]
    assert [u.timestamp for u in units] == [0xFFFFFC00, 0, 1024]


def test_fragmented_au() -> None:
    frame = bytes(range(250)) * 8
    payloads = aac_hbr_payloads([frame], mtu=700)
    s = Stream(payload_type=97)
    depack = aac()
    units: list[AccessUnit] = []
    for payload, _, marker in payloads:
        units += depack.push(s.packet(payload, 5000, marker))
    assert len(payloads) == 3 and [u.units[0] for u in units] == [frame]


def test_fragment_interrupted_by_loss_is_discarded() -> None:
    frame = bytes(2000)
    payloads = aac_hbr_payloads([frame, b"next"], mtu=700)
    s = Stream(payload_type=97)
    depack = aac()
    depack.push(s.packet(payloads[0][0], 0, False))
    s.seq += 1
    depack.push(s.packet(payloads[2][0], 0, True))  # last fragment, one lost before it
    (unit,) = depack.push(s.packet(payloads[3][0], 1024, True))
    assert unit.units == (b"next",) and depack.discarded >= 1


@pytest.mark.parametrize(("payload", "message"), [
    (b"\x00", "too short"),
    (bytes.fromhex("0020"), "AU-headers section is truncated"),
    (bytes.fromhex("00200030" + "0031") + bytes(20), "interleaved AAC"),
    (bytes.fromhex("000c0030") + b"abcdef", "does not match"),  # 12 bits for a 16-bit header
    (bytes.fromhex("00200030" + "0030") + b"abc", "longer than the payload"),
])
def test_malformed_payloads(payload: bytes, message: str) -> None:
    with pytest.raises(DepacketizeError, match=message):
        aac().push(RtpPacket(97, 1, 0, 7, payload, True))


def test_oversized_fragmented_au_is_refused() -> None:
    header = bytes.fromhex("0010") + (8000 << 3).to_bytes(2, "big")
    depack = AacDepacketizer(bytes.fromhex("1408"), max_size=4000)
    with pytest.raises(LimitExceeded):
        depack.push(RtpPacket(97, 1, 0, 7, header + bytes(100)))


def test_unsupported_modes_and_bad_configs() -> None:
    with pytest.raises(UnsupportedCodec, match="mode"):
        create_depacketizer("mpeg4-generic", 16000, {"mode": "CELP-cbr", "config": "1408"})
    with pytest.raises(DepacketizeError, match="AudioSpecificConfig"):
        create_depacketizer("mpeg4-generic", 16000, {**AAC_FMTP, "config": "f8"})
    with pytest.raises(DepacketizeError, match="sizelength"):
        create_depacketizer("mpeg4-generic", 16000, {**AAC_FMTP, "sizelength": "x"})


@given(st.lists(st.binary(min_size=1, max_size=1500), min_size=1, max_size=20),
       st.integers(30, 1400), st.integers(0, 2**32 - 1))
def test_aac_round_trip_through_a_reference_packetizer(frames: list[bytes], mtu: int,
                                                       ts0: int) -> None:
    s = Stream(payload_type=97)
    depack = aac()
    got: list[AccessUnit] = []
    for payload, first, marker in aac_hbr_payloads(frames, mtu):
        got += depack.push(s.packet(payload, ts0 + 1024 * first, marker))
    assert [u.units[0] for u in got] == frames
    assert [u.timestamp for u in got] == [(ts0 + 1024 * i) & 0xFFFFFFFF for i in range(len(frames))]


@given(st.lists(st.tuples(st.binary(max_size=40), st.booleans()), max_size=20),
       st.sampled_from([AuHeaderLayout(), AuHeaderLayout(6, 2, 2),
                        AuHeaderLayout(13, 3, 3, 4, 4, True, 2, 8)]))
def test_any_aac_payload_raises_only_rtp_errors(items: list[tuple[bytes, bool]],
                                                layout: AuHeaderLayout) -> None:
    depack = AacDepacketizer(bytes.fromhex("1408"), layout, max_size=100)
    for seq, (payload, marker) in enumerate(items):
        with contextlib.suppress(RtpError):
            depack.push(RtpPacket(97, seq, 0, 7, payload, marker))


def test_g711_static_payload_types() -> None:
    pcma = create_depacketizer("", 8000, {}, payload_type=8)
    (unit,) = pcma.push(RtpPacket(8, 1, 160, 3, bytes(160)))
    assert unit.config == G711Config("PCMA", 8000, 1) and unit.sync and unit.config_changed
    (unit,) = pcma.push(RtpPacket(8, 2, 320, 3, bytes(160)))
    assert not unit.config_changed


def test_g711_refuses_empty_and_partial_samples() -> None:
    with pytest.raises(DepacketizeError):
        G711Depacketizer().push(RtpPacket(0, 1, 0, 1, b""))
    with pytest.raises(DepacketizeError):
        G711Depacketizer("PCMU", 8000, 2).push(RtpPacket(0, 1, 0, 1, b"abc"))
    with pytest.raises(DepacketizeError, match=r"unsupported G\.711"):
        G711Depacketizer("G722")


def _outcomes(depack: AacDepacketizer, payloads: list[tuple[bytes, bool]]
              ) -> list[list[tuple[int, bytes]] | str]:
    """What ``push`` gives for each payload in turn: units or the error raised."""
    outcomes: list[list[tuple[int, bytes]] | str] = []
    for seq, (payload, marker) in enumerate(payloads):
        try:
            units = depack.push(RtpPacket(97, seq, 1024 * seq, 7, payload, marker))
        except RtpError as exc:
            outcomes.append(f"{type(exc).__name__}: {exc}")
        else:
            outcomes.append([(u.timestamp, u.units[0]) for u in units])
    return outcomes


def _fast_and_general(layout: AuHeaderLayout) -> tuple[AacDepacketizer, AacDepacketizer]:
    fast = AacDepacketizer(bytes.fromhex("1408"), layout, max_size=3000)
    general = AacDepacketizer(bytes.fromhex("1408"), layout, max_size=3000)
    general._header_bytes = 0  # the bit reader for every section
    return fast, general


def _hbr(*sizes: int, index: int = 0, bits: int | None = None) -> bytes:
    headers = b"".join(((size << 3) | (index if i else 0)).to_bytes(2, "big")
                       for i, size in enumerate(sizes))
    return (16 * len(sizes) if bits is None else bits).to_bytes(2, "big") + headers


@pytest.mark.parametrize(("layout", "payloads"), [
    (AuHeaderLayout(), [(_hbr(6) + b"frame1", True)]),
    (AuHeaderLayout(), [(_hbr(3, 4, 5) + b"aaabbbbccccc", True)]),
    (AuHeaderLayout(), [(_hbr(3, 4) + b"aaabbbbextra", True)]),  # bytes after the last AU
    (AuHeaderLayout(), [(_hbr(2000) + bytes(700), False), (_hbr(2000) + bytes(700), False),
                        (_hbr(2000) + bytes(600), True)]),  # one AU in three fragments
    (AuHeaderLayout(), [(_hbr(2000) + bytes(700), False), (_hbr(1999) + bytes(700), True)]),
    (AuHeaderLayout(), [(_hbr(4000) + bytes(10), False)]),  # over max_size
    (AuHeaderLayout(), [(_hbr(6, bits=0) + b"frame1", True)]),  # no AU header
    (AuHeaderLayout(), [(_hbr(6, bits=12) + b"frame1", True)]),  # 12 of 16 bits
    (AuHeaderLayout(), [(_hbr(6, 6, bits=24) + b"frame1", True)]),  # 1.5 headers
    (AuHeaderLayout(), [(_hbr(6, bits=40) + b"frame1", True)]),  # length beyond the packet
    (AuHeaderLayout(), [(_hbr(6, bits=0xFFF0) + b"frame1", True)]),
    (AuHeaderLayout(), [(_hbr(30, 5) + b"short", True)]),  # sizes beyond the payload
    (AuHeaderLayout(), [(_hbr(1, 1, index=1) + b"ab", True)]),  # interleaved
    (AuHeaderLayout(), [(_hbr(*[1] * 512) + bytes(512), True)]),
    (AuHeaderLayout(), [(_hbr(*[1] * 513) + bytes(513), True)]),  # too many AUs
    (AuHeaderLayout(), [(_hbr(*[1] * 520, index=1) + bytes(520), True)]),
    (AuHeaderLayout(6, 2, 2), [(bytes.fromhex("0018" "0c1014") + b"aaabbbbccccc", True)]),
    (AuHeaderLayout(6, 2, 2), [(bytes.fromhex("0010" "0c11") + b"aaabbbb", True)]),
    (AuHeaderLayout(6, 2, 2), [(bytes.fromhex("0008" "fc") + b"x" * 63, True)]),
    (AuHeaderLayout(6, 2, 2), [(bytes.fromhex("000c" "0c") + b"aaa", True)]),
    (AuHeaderLayout(6, 2, 2), [(bytes.fromhex("0018" "0c") + b"aaa", True)]),
])
def test_fixed_size_au_headers_read_as_the_bit_reader_reads_them(
        layout: AuHeaderLayout, payloads: list[tuple[bytes, bool]]) -> None:
    fast, general = _fast_and_general(layout)
    assert layout.fixed_header_bytes in (1, 2)
    assert _outcomes(fast, payloads) == _outcomes(general, payloads)


_SHORT_HEADERS = st.builds(lambda bits, rest: bits.to_bytes(2, "big") + rest,
                           st.integers(0, 72), st.binary(max_size=60))


@given(st.lists(st.tuples(st.binary(max_size=60) | _SHORT_HEADERS, st.booleans()),
                max_size=20),
       st.sampled_from([AuHeaderLayout(), AuHeaderLayout(6, 2, 2), AuHeaderLayout(16, 0, 0),
                        AuHeaderLayout(5, 3, 3)]))
def test_fixed_size_au_headers_agree_with_the_bit_reader_on_any_payload(
        items: list[tuple[bytes, bool]], layout: AuHeaderLayout) -> None:
    fast, general = _fast_and_general(layout)
    assert _outcomes(fast, items) == _outcomes(general, items)


def test_only_whole_byte_size_and_index_headers_take_the_fast_read() -> None:
    assert AuHeaderLayout().fixed_header_bytes == 2
    assert AuHeaderLayout(6, 2, 2).fixed_header_bytes == 1
    assert AuHeaderLayout(13, 3, 3, 4, 4, True, 2, 8).fixed_header_bytes == 0
    assert AuHeaderLayout(13, 3, 2).fixed_header_bytes == 0
    assert AuHeaderLayout(12, 3, 3).fixed_header_bytes == 0
