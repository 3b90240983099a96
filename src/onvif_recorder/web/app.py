"""The operator's web page on the SOAP listener: its routes, wired to the services.

``GET /`` the recordings, ``GET /recordings/{token}`` one recording with its timeline and
player, ``/login`` and ``/logout``, ``/static/`` the scripts and hls.js, and the JSON API
under ``/api/`` (``web.actions``, ``web.live``). The playback routes
(``/recordings/{token}/timeline.json``, ``hls/``, ``clip.mp4``) come from
``web.playback`` and are authorized by the same sessions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from onvif_recorder.service.job_states import JobStates
from onvif_recorder.service.receivers import ReceiverService
from onvif_recorder.service.state import StateHolder
from onvif_recorder.soap.security.access import AccessClass
from onvif_recorder.storage.segment_index import SegmentIndex, StoredTotals
from onvif_recorder.web.actions import Actions
from onvif_recorder.web.live import LiveRecordings
from onvif_recorder.web.pages import Pages
from onvif_recorder.web.session_auth import WebAuth
from onvif_recorder.web.sessions import LoginThrottle, Sessions
from onvif_recorder.web.view import recordings_view

STATIC = Path(__file__).parent / "static"


class RecordingsSnapshot:
    """The recordings list as the page shows it, read from the services and the index."""

    def __init__(self, holder: StateHolder, job_states: JobStates, receivers: ReceiverService,
                 database: Path) -> None:
        self.holder = holder
        self.job_states = job_states
        self.receivers = receivers
        self.database = database
        self.index: SegmentIndex | None = None

    def __call__(self) -> list[dict[str, Any]]:
        states = {token: info.state.value for token, info in self.job_states.current.items()}
        return recordings_view(self.holder.state, states,
                               lambda token: self.receivers.receiver_state(token)[0],
                               self._totals())

    def _totals(self) -> dict[str, StoredTotals]:
        if self.index is None:
            if not self.database.exists():
                return {}
            self.index = SegmentIndex(self.database)
        return self.index.stored_totals()

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None


def add_web_routes(app: web.Application, services: Any, database: Path) -> WebAuth:
    """Add the page, its API and static files to ``app`` (before the SOAP fallback, which
    takes every other POST); ``services`` is ``app.Services``. Returns the sessions'
    authority, which the playback routes use."""
    auth = WebAuth(services.users.lookup, Sessions(), LoginThrottle())
    snapshot = RecordingsSnapshot(services.holder, services.job_states, services.receivers,
                                  database)
    live = LiveRecordings(auth, services.events, snapshot)
    actions = Actions(auth, services.recordings, services.jobs, services.receivers)
    pages = Pages(auth, lambda token: token in services.holder.state.recordings)

    async def recordings(request: web.Request) -> web.Response:
        auth.require(request, AccessClass.READ_MEDIA)
        return web.json_response({"recordings": snapshot()})

    app.router.add_routes([*pages.routes(), *actions.routes(),
                           web.get("/api/recordings", recordings),
                           web.get("/api/events", live.handle)])
    app.router.add_static("/static", STATIC, follow_symlinks=False)

    async def end_streams(_: web.Application) -> None:
        live.close()

    async def close(_: web.Application) -> AsyncIterator[None]:
        yield
        snapshot.close()

    app.on_shutdown.append(end_streams)
    app.cleanup_ctx.append(close)
    return auth
