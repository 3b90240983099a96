"""The sans-IO replay RTSP server: one request in, the status, headers and actions out
(RFC 2326, ONVIF Streaming §6), table-driven."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.replay.media import ReplayMedia
from onvif_recorder.rtp.packetize import h264
from onvif_recorder.rtsp.message import Headers, MessageParser, Request, Response
from onvif_recorder.rtsp.server import (
    Close,
    PausePlay,
    RecordingMedia,
    Reply,
    ServerConnection,
    StartPlay,
    StopPlay,
)

URI = "rtsp://127.0.0.1:8554/replay/Recording_1"
VIDEO = ReplayMedia("VIDEO001", "video", "H264", 90000, 96, h264.packetize,
                    "packetization-mode=1")
RECORDED = RecordingMedia([VIDEO], 1_700_000_000.0, 1_700_000_060.0)


def catalog(token: str) -> RecordingMedia | None:
    return RECORDED if token == "Recording_1" else None


def allow(_: Request) -> Response | None:
    return None


def deny(_: Request) -> Response | None:
    return Response(401, "Unauthorized", Headers.of([("WWW-Authenticate", "Digest x")]))


def connection(gate: object = allow) -> ServerConnection:
    return ServerConnection(catalog, gate, lambda: 30, "127.0.0.1")  # type: ignore[arg-type]


def send(conn: ServerConnection, method: str, url: str = URI, now: float = 0.0,
         given: dict[str, str] | None = None, **headers: str) -> tuple[Response, list[object]]:
    headers |= given or {}
    pairs = [("CSeq", "5"), *((k.replace("_", "-"), v) for k, v in headers.items())]
    actions = conn.receive(bytes(Request(method, url, Headers.of(pairs))), now)
    replies = [a for a in actions if isinstance(a, Reply)]
    assert len(replies) == 1
    parser = MessageParser()
    parser.feed(replies[0].data)
    response = parser.next_event()
    assert isinstance(response, Response)
    assert response.headers.get("CSeq") == "5"
    return response, [a for a in actions if not isinstance(a, Reply)]


def setup(conn: ServerConnection) -> str:
    response, _ = send(conn, "SETUP", f"{URI}/trackID=0", Require="onvif-replay",
                       Transport="RTP/AVP/TCP;unicast;interleaved=0-1")
    assert response.status == 200
    assert response.headers.get("Transport") == "RTP/AVP/TCP;unicast;interleaved=0-1"
    session = response.headers.get("Session")
    assert session is not None and session.endswith(";timeout=30")
    return session.split(";")[0]


@pytest.mark.parametrize(("method", "url", "headers", "status"), [
    ("OPTIONS", URI, {}, 200),
    ("DESCRIBE", URI, {}, 200),
    ("DESCRIBE", "rtsp://127.0.0.1:8554/replay/Nothing", {}, 404),
    ("DESCRIBE", "rtsp://127.0.0.1:8554/live", {}, 404),
    ("SETUP", f"{URI}/trackID=0", {"Transport": "RTP/AVP;unicast;client_port=5000-5001"}, 461),
    ("SETUP", f"{URI}/trackID=0", {}, 461),
    ("SETUP", URI, {"Transport": "RTP/AVP/TCP;interleaved=0-1"}, 459),
    ("SETUP", f"{URI}/trackID=7", {"Transport": "RTP/AVP/TCP;interleaved=0-1"}, 404),
    ("SETUP", f"{URI}/trackID=0", {"Transport": "RTP/AVP/TCP", "Require": "funky"}, 551),
    ("PLAY", URI, {}, 454),
    ("PAUSE", URI, {"Session": "nope"}, 454),
    ("RECORD", URI, {}, 405),
    ("FROB", URI, {}, 501),
])
def test_requests_without_a_session(method: str, url: str, headers: dict[str, str],
                                    status: int) -> None:
    response, actions = send(connection(), method, url, given=headers)
    assert response.status == status
    assert actions == []


def test_setup_over_udp_names_the_server_ports_and_ssrc() -> None:
    conn = ServerConnection(catalog, allow, lambda: 30, "127.0.0.1", (6970, 6971))
    response, _ = send(conn, "SETUP", f"{URI}/trackID=0",
                       Transport="RTP/AVP;unicast;client_port=5000-5001")
    assert response.status == 200
    assert conn.session is not None
    [stream] = conn.session.streams
    assert stream.client_port == (5000, 5001)
    assert response.headers.get("Transport") == (
        f"RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc={stream.ssrc:08X}")
    response, _ = send(conn, "SETUP", f"{URI}/trackID=0", Transport="RTP/AVP;multicast")
    assert response.status == 461


def test_options_lists_the_methods_replay_needs() -> None:
    response, _ = send(connection(deny), "OPTIONS")
    public = {m.strip() for m in (response.headers.get("Public") or "").split(",")}
    assert {"OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN"} <= public


def test_unsupported_feature_names_it() -> None:
    response, _ = send(connection(), "DESCRIBE", Require="onvif-replay, x-frob")
    assert response.status == 551 and response.headers.get("Unsupported") == "x-frob"


def test_the_gate_answers_before_anything_else() -> None:
    response, _ = send(connection(deny), "DESCRIBE")
    assert response.status == 401 and response.headers.get("WWW-Authenticate") == "Digest x"


def test_describe_names_each_track() -> None:
    response, _ = send(connection(), "DESCRIBE")
    sdp = response.body.decode()
    assert "a=x-onvif-track:VIDEO001" in sdp and "a=control:trackID=0" in sdp
    assert "a=rtpmap:96 H264/90000" in sdp
    assert "a=range:clock=20231114T221320.000Z-20231114T221420.000Z" in sdp
    assert response.headers.get("Content-Base") == URI + "/"


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Range": "clock=20231114T221330Z-"}, (1_700_000_010.0, None, 1.0, True, False, False)),
    ({"Range": "clock = 20231114T221330.5Z - 20231114T221340Z", "Rate-Control": "no",
      "Immediate": "yes"}, (1_700_000_010.5, 1_700_000_020.0, 1.0, False, True, False)),
    ({"Range": "npt=5-", "Scale": "2.0"}, (1_700_000_005.0, None, 2.0, True, False, False)),
    ({"Frames": "intra/500"}, (None, None, 1.0, True, False, True)),
    ({"Range": "clock=20231114T221340Z-20231114T221330Z", "Scale": "-1.0",
      "Rate-Control": "no"}, (1_700_000_020.0, 1_700_000_010.0, -1.0, False, False, False)),
])
def test_play_reads_the_replay_headers(headers: dict[str, str],
                                       expected: tuple[object, ...]) -> None:
    conn = connection()
    session = setup(conn)
    response, actions = send(conn, "PLAY", Session=session, given=headers)
    assert response.status == 200
    [start] = actions
    assert isinstance(start, StartPlay)
    r = start.request
    assert (r.start, r.end, r.scale, r.rate_control, r.immediate, r.frames.intra) == expected
    info = response.headers.get("RTP-Info") or ""
    assert info.startswith(f"url={URI}/trackID=0;seq=") and "rtptime=" in info


@pytest.mark.parametrize(("headers", "status"), [
    ({"Scale": "2.0", "Rate-Control": "no"}, 400),  # §6.5.2
    ({"Scale": "0"}, 400),
    ({"Scale": "-1.0", "Range": "clock=20231114T221330Z-20231114T221340Z"}, 457),
    ({"Range": "clock=20231114T221340Z-20231114T221330Z"}, 457),
    ({"Range": "clock=yesterday-"}, 457),
    ({"Frames": "all/100"}, 400),
])
def test_play_refuses_what_it_cannot_do(headers: dict[str, str], status: int) -> None:
    conn = connection()
    session = setup(conn)
    response, actions = send(conn, "PLAY", Session=session, given=headers)
    assert response.status == status and actions == []


def test_pause_teardown_and_keep_alive() -> None:
    conn = connection()
    session = setup(conn)
    _, actions = send(conn, "PLAY", Session=session, now=1.0)
    assert isinstance(actions[0], StartPlay)
    response, actions = send(conn, "PAUSE", Session=session, Range="clock=20231114T221335Z-",
                             now=2.0)
    assert response.status == 200
    assert actions == [PausePlay(conn.session, 1_700_000_015.0)]  # type: ignore[arg-type]
    response, actions = send(conn, "PAUSE", Session=session, Range="clock=20231114T221336Z",
                             now=2.0)  # RFC 2326 §10.6's form: one point, no dash
    assert response.status == 200
    assert actions == [PausePlay(conn.session, 1_700_000_016.0)]  # type: ignore[arg-type]
    response, _ = send(conn, "GET_PARAMETER", Session=session, now=20.0)
    assert response.status == 200
    assert not conn.expired(49.0) and conn.expired(51.0)
    response, actions = send(conn, "TEARDOWN", Session=session, now=52.0)
    assert response.status == 200 and isinstance(actions[0], StopPlay)
    assert conn.session is None and not conn.expired(1000.0)


def test_rtcp_from_the_client_keeps_the_session() -> None:
    conn = connection()
    setup(conn)
    conn.receive(b"$\x01\x00\x04\x81\xc9\x00\x00", 25.0)
    assert not conn.expired(50.0)


def test_garbage_closes_the_connection_with_400() -> None:
    actions = connection().receive(b"\x00\x01 what\r\n\r\n", 0.0)
    assert isinstance(actions[-1], Close)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.binary(max_size=300) | st.sampled_from([
    b"PLAY " + URI.encode() + b" RTSP/1.0\r\nCSeq: 1\r\nRange: clock=",
    b"SETUP " + URI.encode() + b"/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP",
    b"\r\nScale: -", b"\r\nFrames: intra/", b"\r\n\r\n", b"$\x01\x00\x08", b"Session: ",
]), max_size=8))
def test_any_bytes_give_replies_or_a_close_never_an_exception(chunks: list[bytes]) -> None:
    """Fuzz (a short run here): whatever arrives, the server answers or closes."""
    conn = connection()
    for chunk in chunks:
        actions = conn.receive(chunk, 0.0)
        assert all(isinstance(a, (Reply, StartPlay, PausePlay, StopPlay, Close))
                   for a in actions)
        if any(isinstance(a, Close) for a in actions):
            break
