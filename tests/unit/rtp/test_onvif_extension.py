"""The ONVIF replay header extension, bit by bit (Streaming §6.3)."""

from __future__ import annotations

import pytest

from onvif_recorder.rtp.onvif_extension import PROFILE, ReplayExtension
from onvif_recorder.rtp.packet import RtpPacket

UTC = 1_700_000_000.25  # NTP seconds 3908988800, fraction 0x40000000


@pytest.mark.parametrize(("flags", "byte"), [
    ({}, 0x00),
    ({"clean_point": True}, 0x80),
    ({"end_of_section": True}, 0x40),
    ({"discontinuity": True}, 0x20),
    ({"terminal": True}, 0x10),
    ({"clean_point": True, "end_of_section": True, "discontinuity": True, "terminal": True},
     0xF0),
])
def test_flag_bits_and_layout(flags: dict[str, bool], byte: int) -> None:
    header = ReplayExtension(UTC, cseq=0x1234, **flags).header()
    assert header.profile == PROFILE == 0xABAC
    assert len(header.data) == 12  # length field 3 (32-bit words)
    assert header.data[0:4] == (3908988800).to_bytes(4, "big")
    assert header.data[4:8] == (0x40000000).to_bytes(4, "big")
    assert header.data[8] == byte
    assert header.data[9] == 0x34  # the low byte of the PLAY's CSeq
    assert header.data[10:12] == b"\x00\x00"
    assert ReplayExtension.parse(header) == ReplayExtension(UTC, cseq=0x34, **flags)


def test_extension_survives_an_rtp_packet() -> None:
    extension = ReplayExtension(UTC, clean_point=True, terminal=True, cseq=7)
    packet = RtpPacket(96, 1, 2, 3, b"x", extension=extension.header())
    parsed = RtpPacket.parse(bytes(packet))
    assert parsed.extension is not None
    assert bytes(packet)[0] & 0x10  # X bit
    assert ReplayExtension.parse(parsed.extension) == extension


def test_other_profiles_are_refused() -> None:
    from onvif_recorder.rtp.packet import HeaderExtension

    with pytest.raises(ValueError, match="not an ONVIF"):
        ReplayExtension.parse(HeaderExtension(0xBEDE, bytes(12)))
