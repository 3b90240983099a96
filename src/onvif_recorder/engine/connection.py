"""One RTSP session over one connection, driven with asyncio (aioquic's driver pattern).

The connection is TCP, TLS (``rtsps://``) or an HTTP tunnel (``dial``, ``transport_plan``).

The ``ClientSession`` does all of RTSP; this class only moves bytes and time:

* bytes from the socket go to ``session.receive_data(data, now)`` and the events that
  come out are handled at once, in the protocol callback: media packets go straight to
  the ``MediaHandler`` (no task switch, no queue per packet), the few control events
  (``Described``, ``Playing``, ``Redirected``) wake the coroutine waiting for them;
  all the interleaved frames a read completes go to the handler in one call per run of
  one media (``session.take_media``, ``MediaHandler.rtp_batch``), as do the datagrams
  one UDP wake-up drains;
* after every step ``session.data_to_send()`` is written and one ``loop.call_at`` timer
  is kept at ``session.next_deadline()`` (request timeouts, keep-alives);
* for RTP/UDP a pair of datagram sockets per media (``udp``) feeds the same handler;
  unicast pairs are bound before SETUP (their ports go in the request), multicast pairs
  join the group the server named once PLAY is answered (``media_paths``);
* while playing, two more timers: RTCP receiver reports every ``rtcp_interval`` seconds
  randomised by ±50 % (RFC 3550 §6.3.5), on the interleaved RTCP channel or from the
  media's RTCP socket to the server's RTCP port (``media_paths``); and a watchdog that
  ends the connection with ``MediaTimeout`` when no RTP packet came for
  ``media_timeout`` seconds.

The connection ends exactly once (``_finish``): all timers cancelled, every socket closed,
and ``wait_closed()`` returns the error or None. Nothing here blocks or retries; what to do
after a failure is the receiver task's business.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from onvif_recorder.engine.dial import dial
from onvif_recorder.engine.media_paths import MediaPaths
from onvif_recorder.engine.tls import TlsPolicy
from onvif_recorder.engine.udp import UdpPair, UdpStats
from onvif_recorder.ingest.errors import EndedByServer, MediaTimeout, Redirect, forget_tracebacks
from onvif_recorder.ingest.transport_plan import Delivery, endpoint
from onvif_recorder.rtsp import errors as rtsp_errors
from onvif_recorder.rtsp.auth import Credentials, split_userinfo
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
from onvif_recorder.rtsp.message import NEED_DATA
from onvif_recorder.rtsp.sdp import SessionDescription
from onvif_recorder.rtsp.session import ClientSession
from onvif_recorder.rtsp.session_state import State

_TEARDOWN_STATES = frozenset({State.DESCRIBED, State.SETUP, State.PLAY, State.PLAYING})


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    connect_timeout: float = 5.0
    teardown_timeout: float = 2.0
    """How long an orderly TEARDOWN waits for the server's answer before closing anyway."""
    media_timeout: float = 10.0
    rtcp_interval: float = 5.0
    """RFC 3550 §6.2: 5 s is the recommended minimum report interval."""
    udp_receive_buffer: int = 2 * 1024 * 1024
    session: SessionConfig = field(default_factory=SessionConfig)
    tls: TlsPolicy = field(default_factory=TlsPolicy)


class MediaHandler(Protocol):
    """Where a playing connection delivers packets (``ingest.media.MediaPipeline``)."""

    def on_playing(self, playing: Playing) -> None: ...

    def rtp_batch(self, media_index: int, packets: list[bytes], now: float) -> None:
        """RTP packets of one media received together (one read or wake-up), in order."""

    def rtcp(self, media_index: int, data: bytes, now: float) -> None: ...

    def report(self, media_index: int, now: float) -> bytes | None: ...


class RtspConnection(asyncio.Protocol):
    """See the module docstring. Use ``open``, then ``describe``, ``play``, ``wait_closed``."""

    def __init__(self, session: ClientSession, config: ConnectionConfig) -> None:
        self.session = session
        self.config = config
        self.udp_stats = UdpStats()
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._handler: MediaHandler | None = None
        self._control: asyncio.Queue[SessionEvent | BaseException] = asyncio.Queue()
        self._closed: asyncio.Future[BaseException | None] = self._loop.create_future()
        self._media = MediaPaths(self.udp_stats, config.udp_receive_buffer)
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._session_deadline: float | None = None
        self.last_rtp = 0.0

    @classmethod
    async def open(cls, url: str, credentials: Credentials | None, config: ConnectionConfig,
                   redirect_count: int = 0, tunnel: bool = False) -> RtspConnection:
        """Connect to the server of ``url`` (through an HTTP tunnel if asked) and send
        OPTIONS."""
        try:
            bare, url_credentials = split_userinfo(url)
        except ValueError as exc:
            raise rtsp_errors.LocalProtocolError(f"{url!r} is not a URL: {exc}") from exc
        target = endpoint(bare, tunnel)
        session = ClientSession(bare, credentials=credentials or url_credentials,
                                config=config.session, redirect_count=redirect_count)
        connection = cls(session, config)
        loop = connection._loop
        await dial(connection, target, config.tls, config.session.user_agent,
                   config.connect_timeout)  # connection_made has set _transport
        try:
            connection._check_open()  # the server may have sent garbage or closed at once
            session.start(loop.time())
        except BaseException:
            connection.close()
            raise
        connection._after_step()
        return connection

    @property
    def finished(self) -> bool:
        return self._closed.done()

    # --- the caller's steps ---------------------------------------------------------------

    async def describe(self) -> SessionDescription:
        """Wait for DESCRIBE's answer; ``Redirect`` if the server sent us elsewhere."""
        event = await self._next_control()
        if isinstance(event, Redirected):
            raise Redirect(event.location, event.count)
        if not isinstance(event, Described):
            raise rtsp_errors.RemoteProtocolError(f"unexpected {type(event).__name__}")
        return event.description

    async def play(self, media: Sequence[int], delivery: Delivery,
                   handler: MediaHandler) -> Playing:
        """SETUP ``media`` (RTP/UDP, multicast or interleaved) and PLAY; packets go to
        ``handler``."""
        self._handler = handler
        selections = []
        for index in media:
            transport = Transport.tcp()
            if delivery is Delivery.UDP:
                transport = Transport.udp(self._bind(index).ports)
            elif delivery is Delivery.MULTICAST:
                transport = Transport.udp_multicast()
            selections.append(MediaSelection(index, transport))
        self._check_open()
        self.session.setup(selections, self._loop.time())
        self._after_step()
        event = await self._next_control()
        if not isinstance(event, Playing):
            raise rtsp_errors.RemoteProtocolError(f"unexpected {type(event).__name__}")
        return event

    async def wait_closed(self) -> BaseException | None:
        """Wait for the end of the connection: the error that ended it, or None."""
        return await asyncio.shield(self._closed)

    async def teardown(self) -> None:
        """Orderly end: TEARDOWN, wait (bounded) for the answer, close."""
        if self.finished:
            return
        if self._send_teardown():
            await asyncio.wait({self._closed}, timeout=self.config.teardown_timeout)
        self._finish(None)

    def close(self) -> None:
        """End now; a playing session still gets its TEARDOWN written, unanswered."""
        if not self.finished:
            self._send_teardown()
        self._finish(None)

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # asyncio's, or a TunnelTransport
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.finished:
            self.session.receive_data(data, self._loop.time())
            self._pump()

    def eof_received(self) -> bool:
        self.data_received(b"")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self.finished:
            self.session.receive_data(b"", self._loop.time())
            self._pump()
        self._finish(exc or rtsp_errors.ConnectionClosedByPeer("the connection was lost"))

    # --- events ---------------------------------------------------------------------------

    def _pump(self) -> None:
        session, handler = self.session, self._handler
        now = self._loop.time()
        control = False
        try:
            while True:
                if handler is not None:  # all the frames of the read at once, then events
                    for media_index, rtcp, packets in session.take_media():
                        self._deliver_many(media_index, rtcp, packets, now)
                event = session.next_event()
                if event is NEED_DATA or self.finished:
                    break
                if type(event) is MediaData and handler is not None:
                    self._deliver_many(event.media_index, event.rtcp, [event.data], now)
                else:
                    control = True
                    self._on_control(event)
                    handler = self._handler
        except rtsp_errors.ProtocolError as exc:
            self._finish(exc)
        self._after_step(control)

    def _on_control(self, event: SessionEvent) -> None:
        if isinstance(event, Closed):
            self._finish(None)
        elif isinstance(event, ServerRequest):
            if event.request.method in ("TEARDOWN", "REDIRECT"):
                self._finish(EndedByServer(f"the server sent {event.request.method}"))
        elif isinstance(event, Playing):
            try:
                self._start_playing(event)
            except OSError as exc:  # a multicast group we cannot join
                self._finish(exc)
                return
            self._control.put_nowait(event)
        elif not isinstance(event, MediaData):
            self._control.put_nowait(event)

    async def _next_control(self) -> SessionEvent:
        event = await self._control.get()
        if isinstance(event, BaseException):
            raise event
        return event

    def _check_open(self) -> None:
        if self.finished:
            error = self._closed.result()
            raise error or rtsp_errors.ConnectionClosedByPeer("the connection is closed")

    # --- writing and the session timer ------------------------------------------------------

    def _after_step(self, rearm: bool = True) -> None:
        """Write what the session queued; follow its deadline. A deadline only moves
        earlier when a request goes out or the state changes (a control event), so after
        media alone (``rearm`` False, nothing written) the timer is left as it is."""
        if self.finished:
            return
        data = self.session.data_to_send()
        if data and self._transport is not None:
            self._transport.write(data)
        if not (data or rearm):
            return
        deadline = self.session.next_deadline()
        if deadline != self._session_deadline:
            self._session_deadline = deadline
            self._set_timer("session", deadline, self._on_session_timer)

    def _on_session_timer(self) -> None:
        self._session_deadline = None
        if self.finished:
            return
        try:
            self.session.handle_timer(self._loop.time())
        except rtsp_errors.ProtocolError as exc:
            self._finish(exc)
        self._after_step()

    def _send_teardown(self) -> bool:
        if self._transport is None or self.session.state not in _TEARDOWN_STATES:
            return False
        try:
            self.session.teardown(self._loop.time())
        except rtsp_errors.ProtocolError:
            return False
        self._after_step()
        return self.session.state is State.TEARDOWN

    def _set_timer(self, name: str, when: float | None, callback: Callable[[], None]) -> None:
        old = self._timers.pop(name, None)
        if old is not None:
            old.cancel()
        if when is not None and not self.finished:
            self._timers[name] = self._loop.call_at(when, callback)

    # --- playing: UDP, receiver reports, watchdog -------------------------------------------

    def _bind(self, media_index: int) -> UdpPair:
        self._check_open()
        return self._media.bind(media_index, *self._addresses(), self._deliver)

    def _addresses(self) -> tuple[str, str]:
        """The local and the server's address of the RTSP connection."""
        assert self._transport is not None
        return (str(self._transport.get_extra_info("sockname")[0]),
                str(self._transport.get_extra_info("peername")[0]))

    def _deliver(self, media_index: int, rtcp: bool, packets: list[bytes]) -> None:
        if not self.finished:
            self._deliver_many(media_index, rtcp, packets, self._loop.time())

    def _deliver_many(self, media_index: int, rtcp: bool, packets: list[bytes],
                      now: float) -> None:
        handler = self._handler
        if handler is None:
            return
        if rtcp:
            for data in packets:
                handler.rtcp(media_index, data, now)
        else:
            self.last_rtp = now
            handler.rtp_batch(media_index, packets, now)

    def _start_playing(self, playing: Playing) -> None:
        assert self._transport is not None and self._handler is not None
        self._media.start(playing.streams, *self._addresses(), self._deliver)
        self._handler.on_playing(playing)
        now = self._loop.time()
        self.last_rtp = now
        self._set_timer("watchdog", now + self.config.media_timeout, self._on_watchdog)
        self._set_timer("rtcp", now + self._report_interval(), self._on_report_timer)

    def _report_interval(self) -> float:
        return self.config.rtcp_interval * (0.5 + random.random())

    def _on_report_timer(self) -> None:
        handler, now = self._handler, self._loop.time()
        if handler is None or self.finished:
            return
        self._media.send_reports(handler.report, now, self.session.send_interleaved)
        self._after_step()
        self._set_timer("rtcp", now + self._report_interval(), self._on_report_timer)

    def _on_watchdog(self) -> None:
        quiet_until = self.last_rtp + self.config.media_timeout
        if self._loop.time() >= quiet_until:
            self._finish(MediaTimeout(self.config.media_timeout))
        else:
            self._set_timer("watchdog", quiet_until, self._on_watchdog)

    # --- the end ----------------------------------------------------------------------------

    def _finish(self, error: BaseException | None) -> None:
        if self.finished:
            return
        if error is not None:
            forget_tracebacks(error)  # they would hold this connection's frames: a cycle
        self._closed.set_result(error)
        self._control.put_nowait(error or rtsp_errors.ConnectionClosedByPeer("closed"))
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        # Nothing of a finished connection may point back at it (the pairs' deliver, the
        # handler): it must be freed by reference counting alone, not wait for the GC.
        self._media.close()
        self._handler = None
        if self._transport is not None:
            self._transport.close()  # writes what is buffered (a TEARDOWN) first
