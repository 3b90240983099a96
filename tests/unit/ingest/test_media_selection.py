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
from onvif_recorder.engine.receiver_task import public_uri, wants_udp
from onvif_recorder.ingest.errors import UnsupportedTransport
from onvif_recorder.ingest.media import select_media
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
             tunnel: Transport | None = None) -> ReceiverConfiguration:
    return ReceiverConfiguration(ReceiverMode.ALWAYS_CONNECT, "rtsp://192.0.2.1/x", stream,
                                 Transport(protocol, tunnel))


def test_transports() -> None:
    assert wants_udp(receiver(TransportProtocol.UDP))
    assert not wants_udp(receiver(TransportProtocol.RTSP))
    assert not wants_udp(receiver(TransportProtocol.TCP))  # clients mean interleaved by it
    for refused in (receiver(TransportProtocol.HTTP),
                    receiver(TransportProtocol.RTSP, tunnel=Transport(TransportProtocol.HTTP)),
                    receiver(TransportProtocol.UDP, StreamType.RTP_MULTICAST)):
        with pytest.raises(UnsupportedTransport):
            wants_udp(refused)


@pytest.mark.parametrize(("uri", "shown"), [
    ("rtsp://admin:secret@192.0.2.1:554/x", "rtsp://192.0.2.1:554/x"),
    ("rtsp://192.0.2.1/x", "rtsp://192.0.2.1/x"),
    ("rtsp://u:p@[::1:bad/x", "rtsp://[::1:bad/x"),  # unparsable, still redacted
])
def test_credentials_never_leave_in_events(uri: str, shown: str) -> None:
    assert public_uri(uri) == shown
