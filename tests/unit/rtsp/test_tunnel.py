"""RTSP over HTTP tunnelling, sans-IO (ONVIF Streaming "RTP/RTSP/HTTP/TCP"; QuickTime's scheme)."""

from __future__ import annotations

import base64
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.message import MessageParser, Response
from onvif_recorder.rtsp.tunnel import MAX_HEAD, TunnelRequests, TunnelResponse, encode, new_cookie

# What gst-rtsp-server 1.22 answers to the GET, then the start of the RTSP stream.
GST_HEAD = (b"HTTP/1.0 200 OK\r\nServer: GStreamer RTSP Server\r\nConnection: close\r\n"
            b"Cache-Control: no-store\r\nPragma: no-cache\r\nX-Server-IP-Address: 127.0.0.1\r\n"
            b"Content-Type: application/x-rtsp-tunnelled\r\n"
            b"Date: Fri, 04 Dec 2026 21:21:33 GMT\r\n\r\n")
RTSP_ANSWER = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\n\r\n$\x00\x00\x02ab"


def test_requests_share_the_cookie_and_name_the_tunnel() -> None:
    requests = TunnelRequests("/h264?x=1", "cam:554", "ua", cookie="c00kie")
    get, post = requests.get().decode(), requests.post().decode()
    assert get.startswith("GET /h264?x=1 HTTP/1.0\r\n") and get.endswith("\r\n\r\n")
    assert post.startswith("POST /h264?x=1 HTTP/1.0\r\n") and post.endswith("\r\n\r\n")
    for head in (get, post):
        assert "x-sessioncookie: c00kie\r\n" in head and "Host: cam:554\r\n" in head
    assert "Accept: application/x-rtsp-tunnelled\r\n" in get
    assert "Content-Type: application/x-rtsp-tunnelled\r\n" in post
    assert "Content-Length: 32767\r\n" in post


def test_cookies_differ() -> None:
    cookies = {new_cookie() for _ in range(100)}
    assert len(cookies) == 100 and all(len(c) == 22 for c in cookies)


def test_each_write_is_a_whole_base64_block() -> None:
    request = b"OPTIONS rtsp://cam/h264 RTSP/1.0\r\nCSeq: 1\r\n\r\n"
    assert base64.b64decode(encode(request), validate=True) == request
    assert len(encode(b"ab")) % 4 == 0  # padded: the server decodes each block alone


def test_rtsp_after_the_head_goes_to_the_rtsp_parser() -> None:
    response = TunnelResponse()
    assert response.feed(GST_HEAD + RTSP_ANSWER) == RTSP_ANSWER
    assert response.open and response.status == 200
    assert response.feed(b"more") == b"more"
    parser = MessageParser()
    parser.feed(RTSP_ANSWER)
    answer = parser.next_event()
    assert isinstance(answer, Response) and answer.status == 200


@given(st.lists(st.integers(1, len(GST_HEAD + RTSP_ANSWER) - 1), max_size=6))
def test_any_split_gives_the_same_rtsp_bytes(cuts: list[int]) -> None:
    data = GST_HEAD + RTSP_ANSWER
    bounds = [0, *sorted(set(cuts)), len(data)]
    response = TunnelResponse()
    out = b"".join(response.feed(data[a:b]) for a, b in pairwise(bounds))
    assert out == RTSP_ANSWER


def test_head_split_over_bare_newlines() -> None:
    response = TunnelResponse()
    assert response.feed(b"HTTP/1.1 200 OK\nServer: x\n") == b""
    assert not response.open
    assert response.feed(b"\nRTSP") == b"RTSP"


@pytest.mark.parametrize(("head", "message"), [
    (b"HTTP/1.0 404 Not Found\r\n\r\n", "refused the HTTP tunnel: 404 Not Found"),
    (b"HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic\r\n\r\n", "401 Unauthorized"),
    (b"RTSP/1.0 200 OK\r\n\r\n", "is not HTTP"),
])
def test_refusals(head: bytes, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        TunnelResponse().feed(head)


def test_head_is_bounded() -> None:
    response = TunnelResponse()
    response.feed(b"HTTP/1.0 200 OK\r\n")
    with pytest.raises(RemoteProtocolError, match="over"):
        response.feed(b"X-Filler: " + b"a" * MAX_HEAD)


def test_closed_before_the_answer() -> None:
    response = TunnelResponse()
    response.feed(b"HTTP/1.0 2")
    with pytest.raises(RemoteProtocolError, match="before answering"):
        response.feed_eof()
    opened = TunnelResponse()
    opened.feed(GST_HEAD)
    opened.feed_eof()  # after the answer, the end is the RTSP session's business
