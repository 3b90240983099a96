"""Header parse/format pairs (RFC 2326 §12.28, §12.29, §12.33, §12.37, §12.39)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.headers import (
    Range,
    RtpInfo,
    SessionHeader,
    Transport,
    format_range,
    format_rtp_info,
    format_session,
    format_transport,
    match_rtp_info,
    parse_public,
    parse_range,
    parse_rtp_info,
    parse_session,
    parse_transport,
    transport_mismatch,
)

TRANSPORT_CASES = [
    ('RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=5E1A3C2B;mode="PLAY"',
     Transport(lower="TCP", interleaved=(0, 1), ssrc=0x5E1A3C2B, mode="PLAY")),
    ("RTP/AVP;unicast;client_port=50000-50001;server_port=45678-45679",
     Transport(client_port=(50000, 50001), server_port=(45678, 45679))),
    ("RTP/AVP;multicast;destination=224.3.0.12;ttl=16;port=5000-5001",
     Transport(multicast=True, destination="224.3.0.12", ttl=16, port=(5000, 5001))),
    ("RTP/AVP/UDP;unicast;client_port=8002;source=10.0.0.5",
     Transport(client_port=(8002, 8003), source="10.0.0.5")),
    ('RTP/AVP;unicast;client_port=50000-50001;server_port=8300-8301;ssrc=6d0c1f8e;mode="play"',
     Transport(client_port=(50000, 50001), server_port=(8300, 8301), ssrc=0x6D0C1F8E,
               mode="play")),
]


@pytest.mark.parametrize(("value", "expected"), TRANSPORT_CASES)
def test_transport_parse(value: str, expected: Transport) -> None:
    assert parse_transport(value) == [expected]


def test_transport_alternatives_and_unknown_parameters() -> None:
    first, second = parse_transport("RTP/AVP/TCP;interleaved=2-3;x-foo=bar;append,RTP/AVP;unicast")
    assert first.extra == (("x-foo", "bar"), ("append", None))
    assert second == Transport()


def test_transport_requests_as_the_session_sends_them() -> None:
    assert format_transport(Transport.tcp((0, 1))) == "RTP/AVP/TCP;unicast;interleaved=0-1"
    assert format_transport(Transport.udp((50000, 50001))) == (
        "RTP/AVP;unicast;client_port=50000-50001")
    assert format_transport(Transport.udp_multicast()) == "RTP/AVP;multicast"


@pytest.mark.parametrize("value", ["RTP/SAVP/SCTP;unicast", "HTTP/1.1", "",
                                   "RTP/AVP;client_port=70000", "RTP/AVP;ttl=x"])
def test_transport_errors(value: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_transport(value)


def test_transport_mismatch() -> None:
    assert transport_mismatch(Transport.tcp(), Transport(client_port=(1, 2))) is not None
    assert transport_mismatch(Transport.tcp(), Transport(lower="TCP")) is not None
    assert transport_mismatch(Transport.tcp(), Transport(lower="TCP", interleaved=(4, 5))) is None


transports = st.builds(
    Transport,
    lower=st.sampled_from(["UDP", "TCP"]),
    multicast=st.booleans(),
    destination=st.one_of(st.none(), st.ip_addresses(v=4).map(str)),
    interleaved=st.one_of(st.none(), st.tuples(st.integers(0, 255), st.integers(0, 255))),
    client_port=st.one_of(st.none(), st.tuples(st.integers(0, 65535), st.integers(0, 65535))),
    server_port=st.one_of(st.none(), st.tuples(st.integers(0, 65535), st.integers(0, 65535))),
    ttl=st.one_of(st.none(), st.integers(0, 255)),
    ssrc=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
    mode=st.one_of(st.none(), st.sampled_from(["PLAY", "PLAY,RECORD"])),
)


@given(transports)
def test_transport_round_trip(transport: Transport) -> None:
    assert parse_transport(format_transport(transport)) == [transport]


@pytest.mark.parametrize(("value", "expected"), [
    ("2xXo9iaxyDvTZ1Rz;timeout=60", SessionHeader("2xXo9iaxyDvTZ1Rz", 60)),
    ("12345678; timeout=60", SessionHeader("12345678", 60)),
    ("1273233637", SessionHeader("1273233637")),
    ("abc$-_.+;foo=bar", SessionHeader("abc$-_.+")),
])
def test_session(value: str, expected: SessionHeader) -> None:
    assert parse_session(value) == expected
    assert parse_session(format_session(expected)) == expected


@pytest.mark.parametrize("value", ["", ";timeout=60", "a b", "abc;timeout=x"])
def test_session_errors(value: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_session(value)


def test_rtp_info_onvif_example_with_folded_space() -> None:
    # ONVIF Streaming "RTSP message example", as folded onto two lines.
    value = ("url=rtsp://example.com/onvif_camera/video; seq=1234;rtptime=3450012, "
             "url=rtsp://example.com/onvif_camera/audio; seq=22434;rtptime=1234566")
    video, audio = parse_rtp_info(value)
    assert video == RtpInfo("rtsp://example.com/onvif_camera/video", 1234, 3450012)
    assert audio == RtpInfo("rtsp://example.com/onvif_camera/audio", 22434, 1234566)
    assert match_rtp_info([video, audio], "rtsp://example.com/onvif_camera/audio") == audio


def test_rtp_info_url_with_query_and_comma() -> None:
    url = "rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0,1/trackID=0"
    assert parse_rtp_info(f"url={url};seq=1;rtptime=2") == [RtpInfo(url, 1, 2)]


@given(st.lists(st.builds(RtpInfo, st.text("abcdefgh/:?&=.0123456789", min_size=1, max_size=30)
                          .map(lambda p: "rtsp://h/" + p),
                          st.one_of(st.none(), st.integers(0, 65535)),
                          st.one_of(st.none(), st.integers(0, 2**32 - 1))), min_size=1,
                max_size=3))
def test_rtp_info_round_trip(entries: list[RtpInfo]) -> None:
    assert parse_rtp_info(format_rtp_info(entries)) == entries


@pytest.mark.parametrize(("value", "expected"), [
    ("npt=now-", Range("npt", None, None)),
    ("npt=0.000-", Range("npt", 0.0, None)),
    ("npt=00:01:02.5-0:02:00", Range("npt", 62.5, 120.0)),
    ("clock=20100217T143720.257Z-", Range("clock", 1266417440.257, None)),
    ("clock=19961108T143720.25Z-19961108T143800Z;time=19970123T143720Z",
     Range("clock", 847463840.25, 847463880.0)),
])
def test_range(value: str, expected: Range) -> None:
    parsed = parse_range(value)
    assert (parsed.unit, parsed.end) == (expected.unit, expected.end)
    assert parsed.start == pytest.approx(expected.start)
    again = parse_range(format_range(parsed))
    assert again.end == parsed.end
    assert again.start == pytest.approx(parsed.start)


@pytest.mark.parametrize("value", ["npt", "frames=1-2", "npt=abc-", "clock=2010-", "npt=5",
                                   "clock=20101317T143720Z-"])
def test_range_errors(value: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_range(value)


def test_public() -> None:
    assert parse_public("OPTIONS, DESCRIBE, get_parameter,,PLAY") == frozenset(
        {"OPTIONS", "DESCRIBE", "GET_PARAMETER", "PLAY"})


@given(st.text(max_size=80))
def test_parsers_raise_only_remote_protocol_errors(value: str) -> None:
    for parse in (parse_transport, parse_session, parse_rtp_info, parse_range, parse_public):
        with contextlib.suppress(RemoteProtocolError):
            parse(value)
