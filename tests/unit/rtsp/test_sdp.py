"""SDP from several camera makes (RFC 8866; control URLs per RFC 2326 §C.1.1)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.codecs import h264, h265
from onvif_recorder.rtp.depacketize import decode_sprop
from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.message import Headers, Response
from onvif_recorder.rtsp.sdp import (
    Connection,
    SdpLimits,
    content_base,
    parse_sdp,
    resolve_control,
)
from tests.unit.rtsp.fixtures import fixture, three_ways


def described(name: str, request_url: str) -> Response:
    (response,) = three_ways(fixture(name))[0]
    assert isinstance(response, Response)
    return response


def test_gstreamer_h264_and_aac() -> None:
    response = described("gstreamer/describe_av_200.bin", "rtsp://127.0.0.1:8554/av")
    sdp = parse_sdp(response.body, content_base(response.headers, "rtsp://127.0.0.1:8554/av"))
    assert sdp.control == "rtsp://127.0.0.1:8554/av"
    video, audio = sdp.media
    assert (video.kind, video.payload_type, video.encoding, video.clock_rate) == (
        "video", 96, "H264", 90000)
    assert video.control == "rtsp://127.0.0.1:8554/av/stream=0"
    assert video.ssrc == 1578777643
    sps, _pps = decode_sprop(video.fmtp["sprop-parameter-sets"])
    info = h264.parse_sps(sps)
    assert (info.width, info.height) == (640, 360)
    assert (audio.encoding, audio.clock_rate, audio.channels) == ("MPEG4-GENERIC", 16000, 1)
    assert audio.fmtp["config"] == "1408" and audio.fmtp["mode"] == "AAC-hbr"


def test_gstreamer_onvif_metadata_media() -> None:
    sdp = parse_sdp(fixture("sdp/gstreamer_meta.sdp"), "rtsp://127.0.0.1:8554/meta/")
    meta = sdp.media[1]
    assert meta.kind == "application" and meta.is_onvif_metadata
    assert (meta.payload_type, meta.clock_rate) == (107, 90000)
    assert meta.control == "rtsp://127.0.0.1:8554/meta/stream=1"
    assert not sdp.media[0].is_onvif_metadata


def test_hikvision_absolute_controls_static_pcmu_and_metadata() -> None:
    base = "rtsp://192.168.1.64:554/Streaming/Channels/101/"
    sdp = parse_sdp(fixture("sdp/hikvision_onvif_metadata.sdp"), base)
    video, audio, meta = sdp.media
    assert video.control == base + "trackID=1?transportmode=unicast&profile=Profile_1"
    assert video.direction == "recvonly"
    assert video.attribute("x-dimensions") == "1920,1080"
    info = h264.parse_sps(decode_sprop(video.fmtp["sprop-parameter-sets"])[0])
    assert (info.width, info.height) == (1920, 1080)
    assert (audio.payload_type, audio.encoding, audio.clock_rate) == (0, "PCMU", 8000)
    assert meta.is_onvif_metadata and meta.control.endswith("trackID=4?transportmode=unicast"
                                                            "&profile=Profile_1")


def test_axis_star_session_control_and_relative_tracks() -> None:
    response = described("axis/describe_200.bin", "rtsp://192.168.0.90:554/axis-media/media.amp")
    base = content_base(response.headers, "rtsp://192.168.0.90:554/axis-media/media.amp")
    sdp = parse_sdp(response.body, base)
    assert sdp.control == "rtsp://192.168.0.90:554/axis-media/media.amp/"
    assert [m.control for m in sdp.media] == [
        "rtsp://192.168.0.90:554/axis-media/media.amp/trackID=1",
        "rtsp://192.168.0.90:554/axis-media/media.amp/trackID=2"]
    audio = sdp.media[1]
    assert audio.fmtp["sizelength"] == "13" and audio.fmtp["indexdeltalength"] == "3"
    assert audio.encoding == "mpeg4-generic"


def test_dahua_query_in_the_base_and_h265_sprops() -> None:
    request_url = "rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0"
    response = described("dahua/describe_200.bin", request_url)
    sdp = parse_sdp(response.body, content_base(response.headers, request_url))
    (video,) = sdp.media
    assert video.control == request_url + "/trackID=0"
    assert (video.encoding, video.payload_type) == ("H265", 98)
    info = h265.parse_sps(decode_sprop(video.fmtp["sprop-sps"])[0])
    assert (info.width, info.height) == (1920, 1080)


@pytest.mark.parametrize(("base", "control", "expected"), [
    ("rtsp://h/p/", "trackID=1", "rtsp://h/p/trackID=1"),
    ("rtsp://h/p", "trackID=1", "rtsp://h/p/trackID=1"),
    ("rtsp://h/p", "*", "rtsp://h/p"),
    ("rtsp://h/p", None, "rtsp://h/p"),
    ("rtsp://h/p", "rtsp://other/x", "rtsp://other/x"),
    ("rtsp://h:554/p/q", "/abs/track", "rtsp://h:554/abs/track"),
])
def test_control_resolution(base: str, control: str | None, expected: str) -> None:
    assert resolve_control(base, control) == expected


def test_content_base_order() -> None:
    both = Headers.of([("Content-Location", "rtsp://loc/"), ("Content-Base", "rtsp://base/")])
    assert content_base(both, "rtsp://req") == "rtsp://base/"
    assert content_base(Headers.of([("Content-Location", "rtsp://loc/")]), "r") == "rtsp://loc/"
    assert content_base(Headers(), "rtsp://req") == "rtsp://req"


def test_multicast_connection_and_lenient_lines() -> None:
    text = ("v=0\r\ns=x\r\nc=IN IP4 239.1.2.3/16/2\r\nbogus line\r\nt=0 0\r\n"
            "m=video 5000/2 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            "m=video notaport RTP/AVP 97\r\n"
            "m=audio 5002 RTP/AVP 8\r\nc=IN IP6 ff15::101/3\r\n")
    sdp = parse_sdp(text, "rtsp://h/")
    assert len(sdp.media) == 2  # the malformed m= section is skipped
    assert sdp.media[0].connection == Connection("239.1.2.3", 16, 2)
    assert sdp.media[0].port == 5000
    assert sdp.media[1].connection == Connection("ff15::101", None, 3)
    assert sdp.media[1].encoding == "PCMA"


def test_limits_and_empty() -> None:
    with pytest.raises(RemoteProtocolError, match="no usable media"):
        parse_sdp("v=0\r\ns=x\r\n", "rtsp://h/")
    with pytest.raises(RemoteProtocolError, match="more than 2 media"):
        parse_sdp("m=video 0 RTP/AVP 96\n" * 3, "rtsp://h/", SdpLimits(max_media=2))
    with pytest.raises(RemoteProtocolError, match="exceeds"):
        parse_sdp(b"v" * 70000, "rtsp://h/")


@given(st.lists(st.one_of(
    st.sampled_from(["m=video 0 RTP/AVP 96", "m=audio 0 RTP/AVP 0 8", "a=rtpmap:96 H264/90000",
                     "a=fmtp:96 a=b;c", "a=control:trackID=1", "a=control:*", "c=IN IP4 1.2.3.4/9",
                     "a=ssrc:99 cname:x", "a=sendonly", "m=application 0 RTP/AVP 107"]),
    st.text(max_size=30)), max_size=20))
def test_any_text_raises_only_remote_protocol_errors(lines: list[str]) -> None:
    with contextlib.suppress(RemoteProtocolError):
        parse_sdp("\r\n".join(lines), "rtsp://h/p")


def test_control_urls_that_cannot_go_on_the_wire_are_refused() -> None:
    # Found by fuzz/run.py: a Content-Base with a space made SETUP raise ValueError.
    with pytest.raises(RemoteProtocolError, match="cannot be requested"):
        resolve_control("rtsp://h/Server: GStreamer", "stream=0")
    with pytest.raises(RemoteProtocolError):
        parse_sdp("m=video 0 RTP/AVP 96\r\na=control:track\x00id", "rtsp://h/")


def test_static_payload_type_zero_without_rtpmap_is_pcmu() -> None:
    # Found by the ingest engine: "payload_type or -1" took PT 0 (PCMU) for no payload type.
    sdp = parse_sdp("m=audio 0 RTP/AVP 0\r\na=control:a\r\nm=audio 0 RTP/AVP 8\r\n", "rtsp://h/")
    assert [(m.encoding, m.clock_rate) for m in sdp.media] == [("PCMU", 8000), ("PCMA", 8000)]
