"""Which media a receiver sets up, from real camera SDPs, and its transport choice."""

from __future__ import annotations

import pytest

from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import TrackType
from onvif_recorder.engine.receiver_task import public_uri
from onvif_recorder.ingest.errors import UnsupportedTransport
from onvif_recorder.ingest.media import select_media
from onvif_recorder.ingest.transport_plan import Delivery, delivery, endpoint, tunnelled
from onvif_recorder.rtsp.sdp import parse_sdp
from tests.unit.rtsp.fixtures import fixture

BASE = "rtsp://192.0.2.1/stream/"


def chosen(name: str) -> tuple[list[tuple[int, TrackType, str]], list[str]]:
    description = parse_sdp(fixture(f"sdp/{name}"), BASE)
    selected, skipped = select_media(description)
    return [(s.info.media_index, s.info.track_type, s.info.encoding) for s in selected], skipped


def test_hikvision_recvonly_streams_are_all_received() -> None:
    """ONVIF Streaming writes directions from the client's side: recvonly is ours to get."""
    selected, skipped = chosen("hikvision_onvif_metadata.sdp")
    assert selected == [(0, TrackType.VIDEO, "H264"), (1, TrackType.AUDIO, "PCMU"),
                        (2, TrackType.METADATA, "vnd.onvif.metadata")]
    assert skipped == []


@pytest.mark.parametrize(("name", "expected"), [
    ("axis_h264_aac.sdp", [TrackType.VIDEO, TrackType.AUDIO]),
    ("dahua_h265.sdp", [TrackType.VIDEO]),
    ("gstreamer_meta.sdp", [TrackType.VIDEO, TrackType.METADATA]),
])
def test_camera_sdps(name: str, expected: list[TrackType]) -> None:
    selected, _ = chosen(name)
    assert [kind for _, kind, _ in selected] == expected


def test_unknown_codecs_and_inactive_media_are_skipped_with_a_reason() -> None:
    sdp = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=x\r\nt=0 0\r\n"
           "m=video 0 RTP/AVP 26\r\na=control:track1\r\n"
           "m=audio 0 RTP/AVP 8\r\na=control:track2\r\na=inactive\r\n"
           "m=text 0 RTP/AVP 98\r\na=rtpmap:98 t140/1000\r\na=control:track3\r\n"
           "m=audio 0 RTP/AVP 0\r\na=control:track4\r\n")
    selected, skipped = select_media(parse_sdp(sdp, BASE))
    assert [(s.info.media_index, s.info.encoding, s.info.control) for s in selected] == [
        (3, "PCMU", BASE + "track4")]
    assert len(skipped) == 3 and "JPEG" in skipped[0]


def receiver(protocol: TransportProtocol, stream: StreamType = StreamType.RTP_UNICAST,
             tunnel: Transport | None = None, uri: str = "rtsp://192.0.2.1/x"
             ) -> ReceiverConfiguration:
    return ReceiverConfiguration(ReceiverMode.ALWAYS_CONNECT, uri, stream,
                                 Transport(protocol, tunnel))


HTTP = Transport(TransportProtocol.HTTP)


@pytest.mark.parametrize(("configuration", "expected", "tunnel"), [
    (receiver(TransportProtocol.UDP), Delivery.UDP, False),
    (receiver(TransportProtocol.RTSP), Delivery.INTERLEAVED, False),
    (receiver(TransportProtocol.TCP), Delivery.INTERLEAVED, False),  # as clients mean it
    (receiver(TransportProtocol.HTTP), Delivery.INTERLEAVED, True),
    (receiver(TransportProtocol.RTSP, tunnel=HTTP), Delivery.INTERLEAVED, True),
    (receiver(TransportProtocol.UDP, tunnel=HTTP), Delivery.INTERLEAVED, True),
    (receiver(TransportProtocol.UDP, StreamType.RTP_MULTICAST), Delivery.MULTICAST, False),
    (receiver(TransportProtocol.RTSP, StreamType.RTP_MULTICAST), Delivery.MULTICAST, False),
])
def test_transports(configuration: ReceiverConfiguration, expected: Delivery,
                    tunnel: bool) -> None:
    assert delivery(configuration) is expected
    assert tunnelled(configuration) is tunnel


def test_multicast_cannot_be_tunnelled() -> None:
    with pytest.raises(UnsupportedTransport):
        delivery(receiver(TransportProtocol.HTTP, StreamType.RTP_MULTICAST))


@pytest.mark.parametrize(("url", "tunnel", "where", "tls", "path"), [
    ("rtsp://cam/a", False, "cam:554", False, "/a"),
    ("rtsps://cam/a", True, "cam:322", True, "/a"),
    ("RTSP://cam:8554/a?b=1", True, "cam:8554", False, "/a?b=1"),
    ("rtsps://[fe80::1]", False, "[fe80::1]:322", True, "/"),
])
def test_endpoint(url: str, tunnel: bool, where: str, tls: bool, path: str) -> None:
    target = endpoint(url, tunnel)
    assert (target.authority, target.tls, target.tunnel, target.path) == (
        where, tls, tunnel, path)


@pytest.mark.parametrize("url", ["http://cam/a", "rtsp:///a", "rtsp://cam:99999/a"])
def test_endpoint_refused(url: str) -> None:
    with pytest.raises(UnsupportedTransport):
        endpoint(url, False)


@pytest.mark.parametrize(("uri", "shown"), [
    ("rtsp://admin:secret@192.0.2.1:554/x", "rtsp://192.0.2.1:554/x"),
    ("rtsp://192.0.2.1/x", "rtsp://192.0.2.1/x"),
    ("rtsp://u:p@[::1:bad/x", "rtsp://[::1:bad/x"),  # unparsable, still redacted
])
def test_credentials_never_leave_in_events(uri: str, shown: str) -> None:
    assert public_uri(uri) == shown
