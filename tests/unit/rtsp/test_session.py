"""The client session state machine against fixture servers (RFC 2326, ONVIF Streaming)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.rtsp import errors
from onvif_recorder.rtsp.auth import parse_authorization
from onvif_recorder.rtsp.events import (
    Closed,
    Described,
    MediaData,
    MediaSelection,
    Playing,
    Redirected,
    ServerRequest,
    SessionConfig,
    SessionEvent,
)
from onvif_recorder.rtsp.headers import Transport
from onvif_recorder.rtsp.message import NEED_DATA, MessageParser, Request, Response
from onvif_recorder.rtsp.session import ClientSession
from onvif_recorder.rtsp.session_state import TRANSITIONS, State, Trigger
from tests.unit.rtsp.fixtures import fixture, with_cseq

URL = "rtsp://127.0.0.1:8554/h264"


class Camera:
    """Answers a ClientSession's requests with fixture bytes, checking each request."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.now = 0.0
        self.parser = MessageParser()
        self.received: list[SessionEvent] = []

    def requests(self) -> list[Request]:
        self.parser.feed(self.session.data_to_send())
        out = []
        while (event := self.parser.next_event()) is not NEED_DATA:
            assert isinstance(event, Request)
            out.append(event)
        return out

    def answer(self, method: str, reply: bytes | str, chunk: int = 0) -> Request:
        (request,) = self.requests()
        assert request.method == method
        assert request.cseq is not None
        data = with_cseq(fixture(reply) if isinstance(reply, str) else reply, request.cseq)
        pieces = [data] if not chunk else [data[i : i + chunk] for i in range(0, len(data), chunk)]
        for piece in pieces:
            self.session.receive_data(piece, self.now)
            self.received += self.drain()  # what a driver does after every read
        return request

    def drain(self) -> list[SessionEvent]:
        out = []
        while (event := self.session.next_event()) is not NEED_DATA:
            out.append(event)
        return out

    def events(self) -> list[SessionEvent]:
        out, self.received = self.received + self.drain(), []
        return out


def play_h264(transport: Transport, setup_reply: str, *, chunk: int = 0,
              url: str = URL) -> tuple[ClientSession, Camera, list[SessionEvent]]:
    session = ClientSession(url)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin", chunk)
    camera.answer("DESCRIBE", "gstreamer/describe_h264_200.bin", chunk)
    (described,) = camera.events()
    assert isinstance(described, Described) and session.state is State.DESCRIBED
    session.setup([MediaSelection(0, transport)], 0.0)
    setup = camera.answer("SETUP", setup_reply, chunk)
    assert setup.url == "rtsp://127.0.0.1:8554/h264/stream=0"
    assert camera.events() == []
    play = camera.answer("PLAY", "gstreamer/play_then_interleaved.bin", chunk)
    assert play.url == "rtsp://127.0.0.1:8554/h264" and play.headers.get("Range") == "npt=now-"
    assert play.headers.get("Session") == "2xXo9iaxyDvTZ1Rz"
    return session, camera, camera.events()


@pytest.mark.parametrize("chunk", [0, 1, 7])
def test_tcp_interleaved_happy_path_in_any_chunking(chunk: int) -> None:
    session, _camera, events = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin",
                                        chunk=chunk)
    playing, *media = events
    assert isinstance(playing, Playing) and session.state is State.PLAYING
    (stream,) = playing.streams
    assert stream.transport.interleaved == (0, 1) and stream.transport.ssrc == 0x5E1A3C2B
    assert stream.rtp_info is not None and stream.rtp_info.rtptime == 0xFFFF0000
    assert playing.session_timeout == 60
    assert [(m.media_index, m.rtcp) for m in media if isinstance(m, MediaData)] == (
        [(0, False)] * 6 + [(0, True)])


def test_setup_request_carries_the_requested_transport() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    camera.answer("DESCRIBE", "gstreamer/describe_av_200.bin")
    camera.events()
    session.setup([MediaSelection(0, Transport.tcp()), MediaSelection(1, Transport.tcp())], 1.0)
    first = camera.answer("SETUP", "gstreamer/setup_tcp_200.bin")
    assert first.headers.get("Transport") == "RTP/AVP/TCP;unicast;interleaved=0-1"
    reply = fixture("gstreamer/setup_tcp_200.bin").replace(b"interleaved=0-1", b"interleaved=2-3")
    second = camera.answer("SETUP", reply)
    assert second.headers.get("Transport") == "RTP/AVP/TCP;unicast;interleaved=2-3"
    assert second.headers.get("Session") == "2xXo9iaxyDvTZ1Rz"
    assert session.state is State.PLAY


def test_udp_unicast_and_multicast() -> None:
    _, _, events = play_h264(Transport.udp((50000, 50001)), "gstreamer/setup_udp_200.bin")
    assert isinstance(events[0], Playing)
    assert events[0].streams[0].transport.server_port == (45678, 45679)
    _, _, events = play_h264(Transport.udp_multicast(), "gstreamer/setup_multicast_200.bin")
    assert isinstance(events[0], Playing)
    group = events[0].streams[0].transport
    assert (group.destination, group.port, group.ttl) == ("224.3.0.12", (5000, 5001), 16)


def test_server_answering_another_transport_fails() -> None:
    with pytest.raises(errors.RemoteProtocolError, match="server answered transport"):
        play_h264(Transport.tcp(), "gstreamer/setup_udp_200.bin")


def test_keepalive_uses_get_parameter_before_the_timeout_then_teardown() -> None:
    session, camera, _ = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin")
    deadline = session.next_deadline()
    assert deadline is not None and 0 < deadline <= 30  # half of timeout=60
    session.handle_timer(deadline - 1)
    assert camera.requests() == []
    session.handle_timer(deadline)
    camera.now = deadline
    keepalive = camera.answer("GET_PARAMETER", "gstreamer/get_parameter_200.bin")
    assert keepalive.headers.get("Session") == "2xXo9iaxyDvTZ1Rz"
    assert camera.events() == []
    assert session.next_deadline() == deadline + 30
    session.teardown(deadline + 1)
    camera.answer("TEARDOWN", "gstreamer/teardown_200.bin")
    assert camera.events() == [Closed()]
    assert session.state is State.CLOSED


def test_keepalive_falls_back_to_options_when_get_parameter_is_not_public() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", fixture("gstreamer/options_200.bin").replace(b"GET_PARAMETER, ", b""))
    camera.answer("DESCRIBE", "gstreamer/describe_h264_200.bin")
    camera.events()
    session.setup([MediaSelection(0, Transport.tcp())], 0.0)
    camera.answer("SETUP", "gstreamer/setup_tcp_200.bin")
    camera.answer("PLAY", "gstreamer/play_200.bin")
    camera.events()
    session.handle_timer(30.0)
    assert [r.method for r in camera.requests()] == ["OPTIONS"]


def test_digest_challenge_is_answered_once_gstreamer_style() -> None:
    session = ClientSession("rtsp://admin:secret@127.0.0.1:8554/h264", cnonce=lambda: "c0ffee")
    camera = Camera(session)
    session.start(0.0)
    options = camera.answer("OPTIONS", "gstreamer/options_200.bin")
    assert options.url == URL and "Authorization" not in options.headers
    camera.answer("DESCRIBE", "gstreamer/describe_401_digest.bin")
    assert camera.events() == []
    retry = camera.answer("DESCRIBE", "gstreamer/describe_h264_200.bin")
    params = parse_authorization(retry.headers.get("Authorization") or "").params
    assert (params["username"], params["uri"]) == ("admin", URL)
    assert isinstance(camera.events()[0], Described)
    session.setup([MediaSelection(0, Transport.tcp())], 0.0)
    setup = camera.answer("SETUP", "gstreamer/setup_tcp_200.bin")
    assert parse_authorization(setup.headers.get("Authorization") or "").params["uri"] == (
        "rtsp://127.0.0.1:8554/h264/stream=0")


def test_hikvision_digest_md5_preferred_over_basic_and_wrong_password_fails() -> None:
    url = "rtsp://admin:wrong@192.168.1.64:554/Streaming/Channels/101"
    session = ClientSession(url)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    camera.answer("DESCRIBE", "hikvision/describe_401.bin")
    (retry,) = camera.requests()
    assert (retry.headers.get("Authorization") or "").startswith("Digest ")
    assert retry.cseq is not None
    session.receive_data(with_cseq(fixture("hikvision/describe_401.bin"), retry.cseq), 0.0)
    with pytest.raises(errors.AuthenticationFailed) as failure:
        camera.drain()
    assert failure.value.status == 401 and failure.value.method == "DESCRIBE"
    assert session.state is State.ERROR
    with pytest.raises(errors.LocalProtocolError):
        session.teardown(1.0)


def test_401_without_credentials_fails_at_once() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    with pytest.raises(errors.AuthenticationFailed):
        camera.answer("DESCRIBE", "gstreamer/describe_401_digest.bin")


def redirect(location: str, cseq: int = 2) -> bytes:
    return (f"RTSP/1.0 302 Moved Temporarily\r\nCSeq: {cseq}\r\nLocation: {location}\r\n\r\n"
            .encode())


def test_redirect_is_reported_and_bounded() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    camera.answer("DESCRIBE", redirect("rtsp://10.0.0.2/h264"))
    assert camera.events() == [Redirected("rtsp://10.0.0.2/h264", 1)]
    assert session.state is State.REDIRECTED
    last = ClientSession("rtsp://10.0.0.2/h264", redirect_count=3)
    camera = Camera(last)
    last.start(0.0)
    with pytest.raises(errors.TooManyRedirects):
        camera.answer("OPTIONS", redirect("rtsp://10.0.0.3/h264", 1))


def test_request_timeout() -> None:
    session = ClientSession(URL, config=SessionConfig(request_timeout=5.0))
    session.start(0.0)
    assert session.next_deadline() == 5.0
    session.handle_timer(4.9)
    with pytest.raises(errors.ResponseTimeout) as timeout:
        session.handle_timer(5.0)
    assert timeout.value.method == "OPTIONS" and timeout.value.cseq == 1


def test_server_failure_status_and_early_close() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    with pytest.raises(errors.RequestFailed) as failed:
        camera.answer("DESCRIBE", b"RTSP/1.0 404 Not Found\r\nCSeq: 2\r\n\r\n")
    assert (failed.value.status, failed.value.url) == (404, URL)
    session = ClientSession(URL)
    session.start(0.0)
    session.receive_data(b"", 1.0)
    with pytest.raises(errors.ConnectionClosedByPeer):
        session.next_event()


def test_options_refused_still_describes() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", b"RTSP/1.0 501 Not Implemented\r\nCSeq: 1\r\n\r\n")
    assert camera.events() == []
    assert [r.method for r in camera.requests()] == ["DESCRIBE"]


def test_server_requests_are_answered() -> None:
    session, camera, _ = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin")
    session.receive_data(b"GET_PARAMETER rtsp://127.0.0.1:8554/h264 RTSP/1.0\r\nCSeq: 1\r\n\r\n"
                         b"ANNOUNCE rtsp://127.0.0.1:8554/h264 RTSP/1.0\r\nCSeq: 2\r\n\r\n", 1.0)
    events = camera.events()
    assert [e.request.method for e in events if isinstance(e, ServerRequest)] == [
        "GET_PARAMETER", "ANNOUNCE"]
    parser = MessageParser()
    parser.feed(session.data_to_send())
    first, second = parser.next_event(), parser.next_event()
    assert isinstance(first, Response) and (first.status, first.cseq) == (200, 1)
    assert isinstance(second, Response) and (second.status, second.cseq) == (501, 2)


def test_rtcp_receiver_reports_go_out_interleaved() -> None:
    session, _, _ = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin")
    session.send_interleaved(1, b"\x81\xc9\x00\x01\x00\x00\x00\x01")
    assert session.data_to_send() == b"$\x01\x00\x08\x81\xc9\x00\x01\x00\x00\x00\x01"


def test_teardown_before_any_setup_closes_locally() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    camera.answer("DESCRIBE", "gstreamer/describe_h264_200.bin")
    camera.events()
    session.teardown(1.0)
    assert session.state is State.CLOSED and camera.events() == [Closed()]
    assert camera.requests() == []


def test_transition_table_rejects_what_it_does_not_list() -> None:
    session = ClientSession(URL)
    with pytest.raises(errors.LocalProtocolError, match="'teardown' in state IDLE"):
        session.teardown(0.0)
    with pytest.raises(errors.LocalProtocolError):
        session.setup([MediaSelection(0, Transport.tcp())], 0.0)
    session.start(0.0)
    with pytest.raises(errors.LocalProtocolError, match="'start' in state OPTIONS"):
        session.start(0.0)
    assert all(target in State for target in TRANSITIONS.values())
    assert {trigger for _, trigger in TRANSITIONS} == set(Trigger)


@settings(max_examples=60)
@given(st.lists(st.binary(max_size=80), max_size=6))
def test_any_server_bytes_raise_only_remote_protocol_errors(chunks: list[bytes]) -> None:
    session, _, _ = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin")
    try:
        for chunk in chunks:
            session.receive_data(chunk, 1.0)
            while session.next_event() is not NEED_DATA:
                pass
    except errors.RemoteProtocolError:
        assert session.state is State.ERROR


def test_server_content_base_with_spaces_fails_the_describe() -> None:
    session = ClientSession(URL)
    camera = Camera(session)
    session.start(0.0)
    camera.answer("OPTIONS", "gstreamer/options_200.bin")
    reply = fixture("dahua/describe_200.bin").replace(  # relative trackID=0 controls
        b"Content-Base: rtsp://192.168.1.108:554/", b"Content-Base: rtsp://192.168.1.108 /")
    with pytest.raises(errors.RemoteProtocolError, match="cannot be requested"):
        camera.answer("DESCRIBE", reply)
    assert session.state is State.ERROR


@pytest.mark.parametrize("url", ["", "rtsp://cam/a b", "rtsp://u:p@cam:99999/x"])
def test_unusable_urls_are_the_callers_error(url: str) -> None:
    with pytest.raises(errors.LocalProtocolError):
        ClientSession(url)
