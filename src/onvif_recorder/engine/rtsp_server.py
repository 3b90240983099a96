"""The replay RTSP server, asyncio shell: accepts connections on ``--rtsp-listen``,
feeds each one's bytes to its sans-IO ``rtsp.server.ServerConnection``, writes the
replies, runs one ``Playback`` task per playing session and closes sessions whose
keep-alive lapsed (Streaming §5.2.2.2). Authentication is HTTP Digest against the
recorder's users (the SOAP side's ``DigestAuthenticator``) with the READ_MEDIA access
class (Core default access policy).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web

from onvif_recorder.clock import utc_now
from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import User
from onvif_recorder.engine.replay_playback import Playback, segment_path
from onvif_recorder.engine.runtime import RunningEngine
from onvif_recorder.mp4.fragment_reader import StoredSegment, read_segment
from onvif_recorder.replay.media import describe
from onvif_recorder.rtsp.http_tunnel import (
    BAD_REQUEST,
    MAX_HEAD,
    TUNNEL_OK,
    Base64Stream,
    is_http,
    parse_tunnel_request,
)
from onvif_recorder.rtsp.message import Headers, Request, Response
from onvif_recorder.rtsp.server import (
    Action,
    Close,
    PausePlay,
    RecordingMedia,
    Reply,
    ServerConnection,
    ServerSession,
    StartPlay,
    StopPlay,
)
from onvif_recorder.service.replay import ReplayService
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.soap.security.access import AccessClass, is_allowed
from onvif_recorder.soap.security.http_digest import DigestAuthenticator
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow

log = logging.getLogger(__name__)
MAX_CONNECTIONS = 64
READ_SIZE = 65536
HEADER_BYTES = 1 << 20  # enough of a segment for its moov


class DigestGate:
    """401 with Digest challenges until a user with READ_MEDIA is authenticated."""

    def __init__(self, realm: str, lookup: Callable[[str], User | None],
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.digest = DigestAuthenticator(realm, lookup, secrets.token_bytes(32))
        self.clock = clock

    def __call__(self, request: Request) -> Response | None:
        now = self.clock()
        header = request.headers.get("Authorization")
        if header is not None:
            try:
                user = self.digest.verify(request.method, header, now, request.url)
            except NotAuthorized:
                user = None
            if user is not None and is_allowed(user.level, AccessClass.READ_MEDIA):
                return None
        challenges = Headers.of(("WWW-Authenticate", c) for c in self.digest.challenge(now))
        return Response(401, "Unauthorized", challenges)


class Catalog:
    """What DESCRIBE and PLAY need of a recording: its streams (from the sample entries
    of its newest local segment) and its recorded range."""

    def __init__(self, index: SegmentIndex, root: Path, replay: ReplayService) -> None:
        self.index, self.root, self.replay = index, root, replay

    def __call__(self, recording: str) -> RecordingMedia | None:
        if recording not in self.replay.holder.state.recordings:
            return None
        spans = self.index.spans(recording)
        rows = [r for r in self.index.segments(recording) if r.extension != "mp4_end"]
        for row in reversed(rows):
            segment = _read_head(self.root, row)
            if segment is not None and segment.info is not None:
                media = [describe(track, segment.info.token_of(track.track_id), index)
                         for index, track in enumerate(segment.tracks.values())]
                found = [m for m in media if m is not None]
                return RecordingMedia(found, spans[0].start_utc, spans[-1].end_utc)
        return RecordingMedia([], 0.0, 0.0)


def _read_head(root: Path, row: SegmentRow) -> StoredSegment | None:
    """The tracks of a segment from its first bytes (the moov comes first)."""
    path = segment_path(root, row)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return read_segment(handle.read(HEADER_BYTES))
    except OSError:
        return None


class RtspServer:
    def __init__(self, replay: ReplayService, index: SegmentIndex, media_root: Path,
                 gate: DigestGate) -> None:
        self.replay, self.index, self.root, self.gate = replay, index, media_root, gate
        self.catalog = Catalog(index, media_root, replay)
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()
        self.udp: list[asyncio.DatagramTransport] = []  # RTP/UDP: the RTP and RTCP ports
        # RTSP over HTTP: the GET half of each tunnel, by x-sessioncookie, until its POST
        self.tunnels: dict[str, tuple[asyncio.StreamWriter, asyncio.Future[None]]] = {}

    async def start(self) -> None:
        address = self.replay.address
        self.server = await asyncio.start_server(self._accept, address.host or None,
                                                 address.port)
        address.port = self.server.sockets[0].getsockname()[1]
        await self._bind_udp(address.host or "0.0.0.0")
        log.info("replay RTSP server on port %d", address.port)

    async def _bind_udp(self, host: str) -> None:
        """An even RTP port and the odd one above it (RFC 3550 §11), shared by every
        RTP/UDP stream; what clients send there (RTCP reports) is not read."""
        loop = asyncio.get_running_loop()
        for _ in range(32):
            rtp, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                         local_addr=(host, 0))
            port = rtp.get_extra_info("sockname")[1]
            if port % 2 == 0:
                try:
                    rtcp, _ = await loop.create_datagram_endpoint(
                        asyncio.DatagramProtocol, local_addr=(host, port + 1))
                except OSError:
                    rtcp = None
                if rtcp is not None:
                    self.udp = [rtp, rtcp]
                    return
            rtp.close()
        log.warning("no UDP port pair for RTP/UDP replay: TCP only")

    @property
    def udp_ports(self) -> tuple[int, int] | None:
        if not self.udp:
            return None
        rtp, rtcp = (t.get_extra_info("sockname")[1] for t in self.udp)
        return rtp, rtcp

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for transport in self.udp:
            transport.close()
        for task in list(self.connections):
            task.cancel()
        for task in list(self.connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.server is not None:
            await self.server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self.connections) >= MAX_CONNECTIONS:
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, OSError, TimeoutError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self.connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """RTSP, or one half of an RTSP-over-HTTP tunnel (same port)."""
        first = await asyncio.wait_for(reader.readuntil(b"\n"), 10.0)
        if not is_http(first):
            await _Connection(self, reader.read, writer, first).run()
            return
        head = first + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
        tunnel = parse_tunnel_request(head[:MAX_HEAD])
        if tunnel is None:
            writer.write(BAD_REQUEST)
            return
        if tunnel.method == "GET":
            writer.write(TUNNEL_OK)
            await writer.drain()
            done = asyncio.get_running_loop().create_future()
            self.tunnels[tunnel.cookie] = (writer, done)
            try:
                await done  # the POST half runs the session and writes here
            finally:
                self.tunnels.pop(tunnel.cookie, None)
            return
        half = self.tunnels.get(tunnel.cookie)
        if half is None:
            writer.write(BAD_REQUEST)
            return
        get_writer, done = half
        decoder = Base64Stream()

        async def read(size: int) -> bytes:
            while True:
                data = await reader.read(size)
                if not data:
                    return b""
                decoded = decoder.feed(data)
                if decoded:
                    return decoded

        try:
            await _Connection(self, read, get_writer, b"").run()
        finally:
            if not done.done():
                done.set_result(None)


class _Connection:
    def __init__(self, server: RtspServer, read: Callable[[int], Awaitable[bytes]],
                 writer: asyncio.StreamWriter, first: bytes) -> None:
        self.server, self.read, self.writer, self.first = server, read, writer, first
        host = writer.get_extra_info("sockname")[0]
        self.peer = writer.get_extra_info("peername")[0]
        self.state = ServerConnection(server.catalog, server.gate,
                                      lambda: server.replay.session_timeout_seconds, host,
                                      server.udp_ports)
        self.playback: Playback | None = None
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        try:
            if self.first and not self._apply(self.state.receive(self.first, time.monotonic())):
                return
            while True:
                try:
                    data = await asyncio.wait_for(self.read(READ_SIZE), 1.0)
                except TimeoutError:
                    if self.state.expired(time.monotonic()):
                        log.info("replay session timed out")
                        return
                    continue
                if not self._apply(self.state.receive(data, time.monotonic())):
                    return
                await self.writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            self._stop()

    def _apply(self, actions: list[Action]) -> bool:
        for action in actions:
            if isinstance(action, Reply):
                self.writer.write(action.data)
            elif isinstance(action, StartPlay):
                self._start(action)
            elif isinstance(action, PausePlay):
                self._pause(action.session, action.at)
            elif isinstance(action, StopPlay):
                self._stop()
            elif isinstance(action, Close):
                log.info("replay connection closed: %s", action.reason)
                return False
        return True

    def _start(self, action: StartPlay) -> None:
        self._stop()
        self.playback = Playback(self.server.index, self.server.root, action.session,
                                 action.request, self.writer.write, self.writer.drain,
                                 datagram=self._datagram)
        self.task = asyncio.create_task(self._play(self.playback))

    async def _play(self, playback: Playback) -> None:
        try:
            await playback.run()
        except (ConnectionError, OSError):
            pass
        except Exception:  # a broken segment must not take the server down
            log.exception("replay of %s failed", playback.session.recording)
        finally:
            playback.session.playing = False

    def _datagram(self, packet: bytes, port: int) -> None:
        if self.server.udp:
            self.server.udp[0].sendto(packet, (self.peer, port))

    def _pause(self, session: ServerSession, at: float | None) -> None:
        if at is not None and self.playback is not None:
            self.playback.pause_at = at
            return
        self._stop()
        session.playing = False

    def _stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None


def replay_context(settings: RecorderSettings, replay: ReplayService,
                   lookup: Callable[[str], User | None], realm: str,
                   running: RunningEngine | None = None,
                   ) -> Callable[[web.Application], AsyncIterator[None]]:
    """aiohttp cleanup context: the RTSP server runs while the app does (its connections
    counted in ``running`` for the metrics)."""

    async def run(_: web.Application) -> AsyncIterator[None]:
        index = SegmentIndex(settings.database_path)
        server = RtspServer(replay, index, settings.media_root, DigestGate(realm, lookup))
        await server.start()
        if running is not None:
            running.replay_connections = server.connections
        yield
        if running is not None:
            running.replay_connections = ()
        await server.stop()
        index.close()

    return run
