"""The asyncio shell of RTSP over HTTP (``rtsp.tunnel`` does the protocol).

``open_tunnel`` connects the GET connection, waits for the server's ``200``, connects
the POST connection and then hands the RTSP protocol (``RtspConnection``) one
``TunnelTransport``: what the protocol writes goes base64-encoded on the POST, what
arrives on the GET after the HTTP head goes to ``data_received`` unchanged. The tunnel
ends when either connection ends (``connection_lost`` on the protocol, once); closing the
transport closes both.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from onvif_recorder.ingest.transport_plan import Endpoint
from onvif_recorder.rtsp import errors as rtsp_errors
from onvif_recorder.rtsp.tunnel import TunnelRequests, TunnelResponse, encode


class _GetSide(asyncio.Protocol):
    """The GET connection: the HTTP answer head, then RTSP bytes for the protocol."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.response = TunnelResponse()
        self.answered: asyncio.Future[None] = loop.create_future()
        self.target: asyncio.Protocol | None = None
        self.tunnel: TunnelTransport | None = None
        self._early = bytearray()

    def data_received(self, data: bytes) -> None:
        try:
            rtsp = self.response.feed(data)
        except rtsp_errors.RemoteProtocolError as exc:
            self._fail(exc)
            return
        if self.response.open and not self.answered.done():
            self.answered.set_result(None)
        if not rtsp:
            return
        if self.target is None:
            self._early += rtsp
        else:
            self.target.data_received(rtsp)

    def attach(self, target: asyncio.Protocol, tunnel: TunnelTransport) -> None:
        self.target, self.tunnel = target, tunnel
        target.connection_made(tunnel)
        if self._early:
            early, self._early = bytes(self._early), bytearray()
            target.data_received(early)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answered.done():
            self.answered.set_exception(exc or rtsp_errors.ConnectionClosedByPeer(
                "the server closed the HTTP tunnel before answering"))
        if self.tunnel is not None:
            self.tunnel.side_lost(exc)

    def _fail(self, error: Exception) -> None:
        if not self.answered.done():
            self.answered.set_exception(error)
        elif self.tunnel is not None:
            self.tunnel.side_lost(error)


class _PostSide(asyncio.Protocol):
    """The POST connection: we only write; the server answers nothing until it closes."""

    def __init__(self) -> None:
        self.tunnel: TunnelTransport | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.tunnel is not None:
            self.tunnel.side_lost(exc or rtsp_errors.ConnectionClosedByPeer(
                "the server closed the HTTP tunnel's POST connection"))


class TunnelTransport(asyncio.Transport):
    """What ``RtspConnection`` writes to and closes; looks like the GET connection."""

    def __init__(self, get: asyncio.Transport, post: asyncio.Transport,
                 target: asyncio.Protocol) -> None:
        super().__init__()
        self._get, self._post, self._target = get, post, target
        self._lost = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._post.is_closing():
            self._post.write(encode(bytes(data)))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._get.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._lost or self._get.is_closing()

    def close(self) -> None:
        self._post.close()
        self._get.close()

    def side_lost(self, exc: Exception | None) -> None:
        """Either connection ended: the tunnel is gone (reported once)."""
        if self._lost:
            return
        self._lost = True
        self.close()
        self._target.connection_lost(exc)


async def open_tunnel(target: asyncio.Protocol, endpoint: Endpoint,
                      context: ssl.SSLContext | None, user_agent: str,
                      check: Callable[[asyncio.Transport], None]) -> TunnelTransport:
    """Open both connections of the tunnel and attach ``target`` to it; ``check`` sees each
    connection once it is up (the TLS pin check: each is a TLS session of its own)."""
    loop = asyncio.get_running_loop()
    requests = TunnelRequests(endpoint.path, endpoint.authority, user_agent)
    server_hostname = endpoint.host if context is not None else None
    get_side = _GetSide(loop)
    get, _ = await loop.create_connection(lambda: get_side, endpoint.host, endpoint.port,
                                          ssl=context, server_hostname=server_hostname)
    try:
        check(get)
        get.write(requests.get())
        await get_side.answered
        post, _ = await loop.create_connection(_PostSide, endpoint.host, endpoint.port,
                                               ssl=context, server_hostname=server_hostname)
    except BaseException:
        get_side.answered.cancel()  # nobody will read why the GET side ends now
        get.close()
        raise
    try:
        check(post)
    except BaseException:
        post.close()
        get.close()
        raise
    post.write(requests.post())
    tunnel = TunnelTransport(get, post, target)
    post_side = post.get_protocol()
    assert isinstance(post_side, _PostSide)
    post_side.tunnel = tunnel
    get_side.attach(target, tunnel)
    return tunnel
