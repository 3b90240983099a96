"""The RTSP client session as a state machine (RFC 2326 §A.1, ONVIF Streaming §5.2).

Theory of operation
-------------------
Everything that changes ``ClientSession.state`` goes through ``TRANSITIONS`` (in
``rtsp.session_state``), a table from (state, trigger) to the next state; a pair missing
from it raises ``LocalProtocolError`` for a caller trigger and ``RemoteProtocolError``
for a peer's, naming both the state and the trigger (h11's ``_state.py`` rule). The
normal path is:

    IDLE --start--> OPTIONS --ok--> DESCRIBE --ok--> DESCRIBED --setup()--> SETUP
    SETUP --ok_more--> SETUP (next media) --ok--> PLAY --ok--> PLAYING
    {SETUP, PLAY, PLAYING} --teardown()--> TEARDOWN --closed--> CLOSED
    {OPTIONS, DESCRIBE} --redirect--> REDIRECTED

Not transitions, as the state stays: a 401 resends the request once with credentials
(twice for ``stale=true``), keep-alives, and server requests (answered at once). Any
failure - a non-2xx final answer, a malformed message, no answer before
``request_timeout``, the connection closing early - moves to ERROR and raises a
``RemoteProtocolError`` with the details; ERROR refuses further calls.

The session never reads a clock or touches a socket (aioquic's pattern): bytes go in
with ``receive_data(data, now)`` (``b""`` is end of stream), events come out of
``next_event()`` until ``NEED_DATA`` (media frames may be taken first, all at once,
with ``take_media()``), bytes to write come from ``data_to_send()``, and
the driver calls ``handle_timer(now)`` at ``next_deadline()`` for keep-alives
(GET_PARAMETER when the server's Public lists it, else OPTIONS) and request timeouts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal, NoReturn

from onvif_recorder.rtsp import auth, headers
from onvif_recorder.rtsp import errors as err
from onvif_recorder.rtsp import events as ev
from onvif_recorder.rtsp.interleaved import InterleavedFrame
from onvif_recorder.rtsp.message import (
    NEED_DATA,
    ConnectionClosed,
    MessageParser,
    Request,
    Response,
    Sentinel,
)
from onvif_recorder.rtsp.requests import (
    PendingRequest,
    RequestTracker,
    answer_server_request,
    play_headers,
)
from onvif_recorder.rtsp.sdp import SessionDescription, content_base, parse_sdp
from onvif_recorder.rtsp.session_state import TERMINAL, State, Trigger, next_state


class ClientSession:
    """One RTSP client session over one connection (see the module docstring)."""

    def __init__(self, url: str, *, credentials: auth.Credentials | None = None,
                 config: ev.SessionConfig | None = None, redirect_count: int = 0,
                 cnonce: Callable[[], str] | None = None) -> None:
        try:
            if not url or any(c.isspace() or ord(c) < 0x20 for c in url):
                raise ValueError("empty, or has spaces or control characters")
            self.url, url_credentials = auth.split_userinfo(url)
        except ValueError as exc:
            raise err.LocalProtocolError(f"{url!r} is not a URL to request: {exc}") from exc
        self.credentials = credentials or url_credentials
        self.config = config or ev.SessionConfig()
        self.redirect_count = redirect_count
        self.state = State.IDLE
        self.description: SessionDescription | None = None
        self.session_id: str | None = None
        self.session_timeout = self.config.default_session_timeout
        self.public: frozenset[str] = frozenset()
        self.ignored_frames = 0
        self._cnonce = cnonce
        self._auth: auth.Authenticator | None = None
        self._parser = MessageParser(self.config.limits)
        self._out = bytearray()
        self._events: deque[ev.SessionEvent] = deque()
        self._requests = RequestTracker(self.config.user_agent, self.config.request_timeout)
        self._now = 0.0
        self._selections: list[ev.MediaSelection] = []
        self._setups: list[ev.StreamSetup] = []
        self._channels: dict[int, tuple[int, bool]] = {}

    # --- the table ------------------------------------------------------------------------

    def _transition(self, trigger: Trigger) -> None:
        self.state = next_state(self.state, trigger)

    def _fail(self, error: err.ProtocolError) -> NoReturn:
        self.state = State.ERROR
        raise error

    def _check_usable(self) -> None:
        if self.state is State.ERROR:
            raise err.LocalProtocolError("the session failed earlier; start a new one")

    # --- caller API -----------------------------------------------------------------------

    def start(self, now: float) -> None:
        """Queue OPTIONS, the first request."""
        self._check_usable()
        self._now = now
        self._transition(Trigger.START)
        self._send("OPTIONS", self.url, "options")

    def setup(self, selections: Sequence[ev.MediaSelection], now: float) -> None:
        """SETUP the chosen media in order, then PLAY (after ``Described``)."""
        self._check_usable()
        count = 0 if self.description is None else len(self.description.media)
        if not selections or any(not 0 <= s.media_index < count for s in selections):
            raise err.LocalProtocolError(f"setup needs media indexes among the {count} described")
        self._now = now
        self._transition(Trigger.SETUP)
        self._selections = [s.with_channels(2 * i) for i, s in enumerate(selections)]
        self._send_setup(0)

    def teardown(self, now: float) -> None:
        """Release the session; ``Closed`` follows the server's answer."""
        self._check_usable()
        self._now = now
        had_session = self.session_id is not None
        self._transition(Trigger.TEARDOWN)
        if self.state is State.CLOSED or not had_session:
            self.state = State.CLOSED
            self._events.append(ev.Closed())
            return
        url = self.description.control if self.description else self.url
        self._send("TEARDOWN", url, "teardown")

    def send_interleaved(self, channel: int, payload: bytes) -> None:
        """Queue an RTCP packet (e.g. a receiver report) on an interleaved channel."""
        self._check_usable()
        self._out += bytes(InterleavedFrame(channel, payload))

    def receive_data(self, data: bytes, now: float) -> None:
        """Buffer bytes from the server; ``b""`` means the connection closed."""
        self._now = now
        if data:
            self._parser.feed(data)
        else:
            self._parser.feed_eof()

    def data_to_send(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out

    def next_event(self) -> ev.SessionEvent | Literal[Sentinel.NEED_DATA]:
        """The next event, or NEED_DATA; a protocol error is raised (state ERROR)."""
        while not self._events:
            try:
                event = self._parser.next_event()
            except err.RemoteProtocolError as exc:
                self._fail(exc)
            if event is NEED_DATA:
                return NEED_DATA
            try:
                self._dispatch(event)
            except err.ProtocolError:
                self.state = State.ERROR
                raise
        return self._events.popleft()

    def take_media(self) -> list[tuple[int, bool, list[bytes]]]:
        """The media frames at the head of what was received, in one call: runs of
        consecutive packets of one media as ``(media_index, rtcp, packets)``, in order.
        Empty while an event is pending, so media and events keep their order; the
        rest comes out of ``next_event`` as ever (``MediaData`` one by one)."""
        if self._events or self.state is State.ERROR:
            return []
        runs: list[tuple[int, bool, list[bytes]]] = []
        last: tuple[int, bool] | None = None
        for channel, payload in self._parser.take_frames():
            target = self._channels.get(channel)
            if target is None:
                self.ignored_frames += 1
            elif target == last:
                runs[-1][2].append(payload)
            else:
                runs.append((target[0], target[1], [payload]))
                last = target
        return runs

    def next_deadline(self) -> float | None:
        """When ``handle_timer`` must run next (a request timeout or a keep-alive)."""
        deadlines = [self._requests.next_deadline()]
        if self.state is State.PLAYING:
            deadlines.append(self._keepalive_due())
        return min((d for d in deadlines if d is not None), default=None)

    def handle_timer(self, now: float) -> None:
        self._check_usable()
        self._now = now
        late = self._requests.expired(now)
        if late is not None:
            self._fail(err.ResponseTimeout(late.method, late.cseq, self.config.request_timeout))
        if self.state is State.PLAYING and now >= self._keepalive_due():
            method = "GET_PARAMETER" if "GET_PARAMETER" in self.public else "OPTIONS"
            self._send(method, self._control_url(), "keepalive")

    # --- sending --------------------------------------------------------------------------

    def _send(self, method: str, url: str, purpose: str,
              extra: tuple[tuple[str, str], ...] = (), auth_attempts: int = 0) -> None:
        authorization = None if self._auth is None else self._auth.authorize(method, url)
        self._out += self._requests.build(method, url, purpose, self._now,
                                          session_id=self.session_id,
                                          authorization=authorization, extra=extra,
                                          auth_attempts=auth_attempts)

    def _send_setup(self, index: int) -> None:
        assert self.description is not None
        selection = self._selections[index]
        media = self.description.media[selection.media_index]
        transport = headers.format_transport(selection.transport)
        self._send("SETUP", media.control, f"setup:{index}", (("Transport", transport),))

    def _control_url(self) -> str:
        return self.description.control if self.description is not None else self.url

    def _keepalive_due(self) -> float:
        interval = max(1.0, self.session_timeout * self.config.keepalive_fraction)
        return self._requests.last_sent + interval

    # --- receiving ------------------------------------------------------------------------

    def _dispatch(self, event: Response | Request | InterleavedFrame | ConnectionClosed) -> None:
        if isinstance(event, InterleavedFrame):
            self._on_frame(event)
        elif isinstance(event, Response):
            self._on_response(event)
        elif isinstance(event, Request):
            self._on_server_request(event)
        else:
            self._on_eof()

    def _on_frame(self, frame: InterleavedFrame) -> None:
        target = self._channels.get(frame.channel)
        if target is None:
            self.ignored_frames += 1  # e.g. a stream we did not SETUP
            return
        self._events.append(ev.MediaData(target[0], target[1], frame.payload))

    def _on_server_request(self, request: Request) -> None:
        self._out += answer_server_request(request)
        self._events.append(ev.ServerRequest(request))

    def _on_eof(self) -> None:
        if self.state in (State.TEARDOWN, State.CLOSED, State.REDIRECTED):
            self.state = State.CLOSED
            self._requests.clear()
            self._events.append(ev.Closed())
            return
        self._fail(err.ConnectionClosedByPeer(f"server closed the connection in state "
                                          f"{self.state.value}"))

    def _on_response(self, response: Response) -> None:
        pending = self._requests.match(response)
        if pending is None or self.state in TERMINAL:
            return  # an answer to nothing we asked, or arriving after the end: ignore it
        if response.status == 401 and pending.purpose != "teardown":
            self._authenticate(pending, response)
        elif 300 <= response.status < 400 and pending.purpose in ("options", "describe"):
            self._redirect(pending, response)
        elif 200 <= response.status < 300 or self._tolerated(pending, response):
            self._handle_success(pending, response)
        else:
            self._fail(err.RequestFailed(pending.method, pending.url, response.status,
                                     response.reason))

    def _tolerated(self, pending: PendingRequest, response: Response) -> bool:
        """Failures we go on from: an OPTIONS or TEARDOWN refused, a keep-alive method
        refused (then OPTIONS is used from now on)."""
        if pending.purpose == "keepalive" and response.status in (405, 501):
            self.public = self.public - {"GET_PARAMETER"}
            return True
        return pending.purpose in ("options", "teardown")

    def _handle_success(self, pending: PendingRequest, response: Response) -> None:
        if pending.purpose.startswith("setup:"):
            self._on_setup(int(pending.purpose[6:]), response)
            return
        handlers = {"options": self._on_options, "describe": self._on_describe,
                    "play": self._on_play, "keepalive": _keepalive_answered,
                    "teardown": self._on_teardown}
        handlers[pending.purpose](response)

    def _authenticate(self, pending: PendingRequest, response: Response) -> None:
        self._auth = auth.answer_challenge(self._auth, self.credentials,
                                           response.headers.get_all("WWW-Authenticate"),
                                           pending.auth_attempts, self._cnonce)
        if self._auth is None:
            self._fail(err.AuthenticationFailed(pending.method, pending.url, 401, response.reason))
        self._send(pending.method, pending.url, pending.purpose, pending.extra,
                   pending.auth_attempts + 1)

    def _redirect(self, pending: PendingRequest, response: Response) -> None:
        location = (response.headers.get("Location") or "").strip()
        if not location:
            self._fail(err.RequestFailed(pending.method, pending.url, response.status,
                                     "redirect without Location"))
        if self.redirect_count >= self.config.max_redirects:
            self._fail(err.TooManyRedirects(location, self.config.max_redirects))
        self._transition(Trigger.REDIRECT)
        self._events.append(ev.Redirected(location, self.redirect_count + 1))

    # --- per-request handlers (called from _handle_success) -------------------------

    def _on_options(self, response: Response) -> None:
        self.public = headers.parse_public(response.headers.get("Public") or "")
        self._transition(Trigger.OK)
        self._send("DESCRIBE", self.url, "describe", (("Accept", "application/sdp"),))

    def _on_describe(self, response: Response) -> None:
        base = content_base(response.headers, self.url)
        self.description = parse_sdp(response.body, base)
        self._transition(Trigger.OK)
        self._events.append(ev.Described(self.description, response))

    def _on_setup(self, index: int, response: Response) -> None:
        session = headers.parse_session(response.headers.get("Session") or "")
        if self.session_id not in (None, session.session_id):
            self._fail(err.RemoteProtocolError(f"SETUP changed the session id from "
                                           f"{self.session_id} to {session.session_id}"))
        self.session_id = session.session_id
        self.session_timeout = session.timeout or self.config.default_session_timeout
        selection = self._selections[index]
        reply = self._agreed_transport(selection, response)
        assert self.description is not None
        media = self.description.media[selection.media_index]
        self._setups.append(ev.StreamSetup(selection.media_index, media, reply))
        if reply.interleaved is not None:
            self._channels[reply.interleaved[0]] = (selection.media_index, False)
            self._channels[reply.interleaved[1]] = (selection.media_index, True)
        more = index + 1 < len(self._selections)
        self._transition(Trigger.OK_MORE if more else Trigger.OK)
        if more:
            self._send_setup(index + 1)
        else:
            # ONVIF Streaming, "RTSP audio and video synchronization": live PLAY asks for
            # npt=now-. npt=0.000- asks for a seek, which gst-rtsp-server 1.22 performs on
            # the shared live pipeline and can fail (503) while another client prepares it.
            self._send("PLAY", self._control_url(), "play", (("Range", "npt=now-"),))

    def _agreed_transport(self, selection: ev.MediaSelection, response: Response
                          ) -> headers.Transport:
        value = response.headers.get("Transport")
        reply = headers.parse_transport(value)[0] if value else selection.transport
        mismatch = headers.transport_mismatch(selection.transport, reply)
        if mismatch is not None:
            self._fail(err.RemoteProtocolError(mismatch))
        return reply

    def _on_play(self, response: Response) -> None:
        rtp_info, play_range = play_headers(response)
        setups = tuple(replace(s, rtp_info=headers.match_rtp_info(rtp_info, s.media.control))
                       for s in self._setups)
        self._transition(Trigger.OK)
        self._events.append(ev.Playing(setups, play_range, self.session_timeout))

    def _on_teardown(self, response: Response) -> None:
        self._transition(Trigger.CLOSED)
        self._requests.clear()
        self._events.append(ev.Closed())


def _keepalive_answered(response: Response) -> None:
    """Nothing to do: the keep-alive deadline moved when the request was sent."""
