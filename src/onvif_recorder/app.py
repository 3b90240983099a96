"""Composition root: builds the store, services, SOAP endpoints and the aiohttp app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from onvif_recorder.clock import utc_now
from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.engine.condition_clock import ConditionClock
from onvif_recorder.engine.exports import ExportRunner
from onvif_recorder.engine.runtime import RunningEngine
from onvif_recorder.engine.segment_exports import ExportSettings, SegmentExports
from onvif_recorder.events.camera_topics import CameraTopics
from onvif_recorder.events.long_poll import expire_forever
from onvif_recorder.events.pullpoint import PullPointLimits, SubscriptionManager
from onvif_recorder.events.triggers import check_filter
from onvif_recorder.hostinfo import LinuxHost
from onvif_recorder.metrics import (
    METRICS_PATH,
    MetricsEndpoint,
    RecorderCollector,
    SoapMetrics,
    new_registry,
)
from onvif_recorder.persistence import replay_document
from onvif_recorder.persistence.device_file import DeviceFile
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.capabilities import (
    event_capabilities,
    receiver_capabilities,
    recording_capabilities,
    search_capabilities,
)
from onvif_recorder.service.device import DeviceService
from onvif_recorder.service.events import EventBus
from onvif_recorder.service.job_states import EngineEvents, JobStates
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.keystore import KeystoreService
from onvif_recorder.service.live_track_parameters import LiveTrackParameters
from onvif_recorder.service.media_flow import MediaFlow, NoMediaFlow
from onvif_recorder.service.receivers import ReceiverService
from onvif_recorder.service.recorded_segments import RecordedSegments
from onvif_recorder.service.recording_history import LiveRecordingHistory
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.service.replay import ReplayService, RtspAddress
from onvif_recorder.service.schedule_states import ScheduleStates
from onvif_recorder.service.schedules import ScheduleService
from onvif_recorder.service.search.service import SearchService
from onvif_recorder.service.state import StateHolder
from onvif_recorder.service.storage import StorageService
from onvif_recorder.service.system import Lifecycle, LogSource, SystemService
from onvif_recorder.service.users import UserService
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.soap.authentication import Authenticator
from onvif_recorder.soap.dispatch import ServiceEndpoint
from onvif_recorder.soap.http import SoapHandler, add_endpoint, add_fallback
from onvif_recorder.soap.mapping.ptz_vector import recorded_ptz_positions
from onvif_recorder.soap.mapping.recorded_events import (
    metadata_document,
    recorded_notifications,
)
from onvif_recorder.soap.operations.device import DeviceHandlers, device_endpoint
from onvif_recorder.soap.operations.device_system import SystemHandlers
from onvif_recorder.soap.operations.events import (
    EventHandlers,
    PullPointHandlers,
    event_endpoint,
    subscription_endpoint,
)
from onvif_recorder.soap.operations.keystore import KeystoreHandlers, keystore_endpoint
from onvif_recorder.soap.operations.receiver import ReceiverHandlers, receiver_endpoint
from onvif_recorder.soap.operations.recording import PATH as RECORDING_PATH
from onvif_recorder.soap.operations.recording import RecordingHandlers, recording_endpoint
from onvif_recorder.soap.operations.recording_export import ExportHandlers
from onvif_recorder.soap.operations.recording_segments import SegmentHandlers
from onvif_recorder.soap.operations.replay import ReplayHandlers, replay_endpoint
from onvif_recorder.soap.operations.schedule import ScheduleHandlers, schedule_endpoint
from onvif_recorder.soap.operations.search import SearchHandlers, search_endpoint
from onvif_recorder.soap.security.http_digest import DigestAuthenticator
from onvif_recorder.soap.security.username_token import UsernameTokenVerifier
from onvif_recorder.storage.local_segments import LocalSegments, export_key
from onvif_recorder.storage.media_roots import local_path
from onvif_recorder.storage.object_store import StoreTimeouts
from onvif_recorder.storage.search_data import SegmentIndexRecordedData
from onvif_recorder.storage.segment_index import SegmentIndex
from onvif_recorder.web.app import add_web_routes
from onvif_recorder.web.auth import Authorize, onvif_user_authorizer
from onvif_recorder.web.playback import PLAYBACK_SOURCES, PlaybackSources, add_playback_routes
from onvif_recorder.web.segment_reader import SegmentReader

REALM = "onvif-recorder"


@dataclass
class Services:
    holder: StateHolder
    recordings: RecordingService
    jobs: JobService
    receivers: ReceiverService
    users: UserService
    storage: StorageService
    device: DeviceService
    system: SystemService
    events: EventBus
    camera_topics: CameraTopics  # topics cameras' metadata events brought (engine)
    job_states: JobStates
    engine: EngineEvents  # how the ingest engine reports receiver and media-flow changes
    schedules: ScheduleService
    schedule_states: ScheduleStates
    keystore: KeystoreService
    search: SearchService
    replay: ReplayService
    segments: RecordedSegments  # RC 26.06 segment listing and export
    segment_exports: SegmentExports
    exports: ExportRunner  # ExportRecordedData operations (RC §5.21)
    live_parameters: LiveTrackParameters  # Track/Video-, AudioParameters live (polled)


def build_services(
    settings: RecorderSettings,
    media: MediaFlow | None = None,
    clock: Callable[[], datetime] = utc_now,
    lifecycle: Lifecycle | None = None,
    log: LogSource | None = None,
) -> Services:
    """``lifecycle`` restarts the process (SystemReboot, SetSystemFactoryDefault) and
    ``log`` is the process's in-memory log (GetSystemLog); ``onvif-recorder serve`` gives
    both. Without them, as in-process, those operations answer ActionNotSupported and
    ter:SystemlogUnavailable."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    bus = EventBus(clock, settings.limits.event_queue_limit)
    holder = StateHolder(SqliteStore(settings.database_path), bus)
    media = media or NoMediaFlow()
    job_states = JobStates(holder, media, bus)
    LiveRecordingHistory(holder, job_states, bus)
    device = DeviceService(settings, DeviceFile(settings.data_dir), LinuxHost())
    return Services(
        holder=holder,
        recordings=RecordingService(holder, settings.limits, _local_medium(settings)),
        jobs=JobService(holder, settings.limits, media, check_filter),
        receivers=ReceiverService(holder, settings.limits, media),
        users=UserService(holder, settings.limits),
        storage=StorageService(holder, settings.limits),
        device=device,
        system=SystemService(settings, holder, log, lifecycle),
        events=bus,
        camera_topics=CameraTopics(),
        job_states=job_states,
        engine=EngineEvents(bus, job_states),
        schedules=ScheduleService(holder),
        # Schedules are evaluated in the Device TimeZone (Sched §4.1).
        schedule_states=ScheduleStates(holder, bus, device.time_zone),
        keystore=KeystoreService(holder),
        search=SearchService(holder, media, _recorded_data(settings), settings.limits,
                             recorded_notifications, metadata_document,
                             lambda: clock().timestamp(), recorded_ptz_positions),
        replay=ReplayService(
            holder, RtspAddress(settings.rtsp_listen_host, settings.rtsp_listen_port),
            lambda: replay_document.load(settings.data_dir),
            lambda values: replay_document.save(settings.data_dir, values)),
        segments=RecordedSegments(holder, _local_segments(settings), export_key),
        segment_exports=SegmentExports(bus, lambda token: _storage_data(holder, token),
                                       _export_settings(settings)),
        exports=ExportRunner(settings.data_dir, settings.database_path, bus),
        live_parameters=LiveTrackParameters(holder, job_states, bus, _recorded_data(settings)),
    )


def _local_medium(settings: RecorderSettings) -> Callable[[], bool]:
    """RC 26.06 NoLocalRecording: the media root (or the data directory that will hold
    it) must be a writable directory."""
    def available() -> bool:
        media = settings.data_dir / "media"
        where = media if media.exists() else settings.data_dir
        return where.is_dir() and os.access(where, os.W_OK)
    return available


def _local_segments(settings: RecorderSettings) -> LocalSegments:
    return LocalSegments(SegmentIndex(settings.database_path), settings.data_dir / "media")


def _storage_data(holder: StateHolder, token: str) -> StorageConfigurationData | None:
    storage = holder.state.storage.get(token)
    return None if storage is None else storage.data


def _export_settings(settings: RecorderSettings) -> ExportSettings:
    return ExportSettings(timeouts=StoreTimeouts(settings.upload_connect_timeout,
                                                 settings.upload_progress_timeout,
                                                 settings.upload_min_rate))


def _recorded_data(settings: RecorderSettings) -> SegmentIndexRecordedData:
    """The Search service reads the segment index through a connection of its own."""
    return SegmentIndexRecordedData(SegmentIndex(settings.database_path),
                                    lambda row: local_path(settings.media_root, row.root,
                                                           row.key))


def build_endpoints(settings: RecorderSettings, services: Services) -> list[ServiceEndpoint]:
    recording = recording_endpoint(
        RecordingHandlers(services.recordings, services.jobs, recording_capabilities(settings)),
        ExportHandlers(services.holder, services.search, services.exports,
                       str(settings.database_path)),
        SegmentHandlers(services.segments, services.segment_exports, RECORDING_PATH),
    )
    receiver = receiver_endpoint(
        ReceiverHandlers(services.receivers, receiver_capabilities(settings))
    )
    device = device_endpoint(
        DeviceHandlers(settings, services.device, services.users, services.storage),
        SystemHandlers(services.device, services.system),
    )
    schedule = schedule_endpoint(ScheduleHandlers(services.schedules, services.schedule_states))
    search = search_endpoint(SearchHandlers(services.search, search_capabilities(settings)))
    replay = replay_endpoint(ReplayHandlers(services.replay))
    keystore = keystore_endpoint(KeystoreHandlers(services.keystore))
    return [device, recording, receiver, schedule, search, replay, keystore]


def build_event_endpoints(
    settings: RecorderSettings,
    services: Services,
    manager: SubscriptionManager,
    clock: Callable[[], datetime],
) -> list[ServiceEndpoint]:
    events = event_endpoint(EventHandlers(manager, event_capabilities(settings),
                                          services.camera_topics))
    pull_points = PullPointHandlers(manager, services.events, settings.limits, clock)
    return [events, subscription_endpoint(pull_points)]


def _expiry(
    manager: SubscriptionManager, clock: Callable[[], datetime]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Cleanup context: expires abandoned pull points while the app runs. (Closing them
    all on shutdown, before connections close, ends waiting PullMessages at once.)"""

    async def run(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(expire_forever(manager, clock))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return run


def _condition_clock(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    """Cleanup context: schedules and event triggers gate the jobs, on time."""

    async def run(_: web.Application) -> AsyncIterator[None]:
        clock = ConditionClock(services.schedule_states, services.holder, services.events)
        clock.start()
        yield
        await clock.stop()

    return run


def _segment_exports(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    """Cleanup context: the ExportRecordedSegments worker."""

    async def run(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(services.segment_exports.run_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return run


LIVE_PARAMETERS_POLL_S = 1.0


def _live_parameters(services: Services) -> Callable[[web.Application], AsyncIterator[None]]:
    """Cleanup context: the parameters history topics, polled from the segment index
    (the engine may write it from other processes) off the event loop."""
    live = services.live_parameters

    async def forever() -> None:
        while True:
            await asyncio.sleep(LIVE_PARAMETERS_POLL_S)
            try:
                await asyncio.to_thread(live.poll)
            except (sqlite3.Error, OSError):
                logging.getLogger(__name__).exception("live track parameters: poll failed")

    async def run(_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        live.data.close()

    return run


def build_app(
    settings: RecorderSettings,
    services: Services,
    clock: Callable[[], datetime] = utc_now,
    running: RunningEngine | None = None,
) -> web.Application:
    """The SOAP endpoints, ``/metrics`` and the web page; ``running`` is filled by the
    engine context (``engine.runtime``) when there is one, so its counters are exported
    too."""
    authenticator = _authenticator(settings, services)
    app = web.Application(client_max_size=2 * 1024 * 1024)
    manager = SubscriptionManager(services.events, PullPointLimits.from_limits(settings.limits))
    endpoints = [
        *build_endpoints(settings, services),
        *build_event_endpoints(settings, services, manager, clock),
    ]
    registry = new_registry(RecorderCollector(
        services.holder, services.job_states, services.events, manager,
        running or RunningEngine(), settings.database_path, services.search.sessions))
    soap_metrics = SoapMetrics(registry)
    for endpoint in endpoints:
        add_endpoint(app, SoapHandler(endpoint, authenticator, clock, soap_metrics.observe))
    metrics = MetricsEndpoint(registry, authenticator, services.users.lookup,
                              settings.metrics_require_auth, clock)
    app.router.add_get(METRICS_PATH, metrics.handle)
    sessions = add_web_routes(app, services, settings.database_path)  # the operator's page
    _add_playback(app, settings, services, sessions.media_authorizer(
        onvif_user_authorizer(authenticator, services.users.lookup, clock)))
    add_fallback(app)
    _add_lifecycle(app, services, manager, clock)
    return app


def _authenticator(settings: RecorderSettings, services: Services) -> Authenticator:
    """HTTP Digest and WS-UsernameToken against the ONVIF users."""
    return Authenticator(
        DigestAuthenticator(REALM, services.users.lookup, secrets.token_bytes(32)),
        UsernameTokenVerifier(
            services.users.lookup, allow_password_text=settings.allow_password_text
        ),
    )


def _add_lifecycle(app: web.Application, services: Services, manager: SubscriptionManager,
                   clock: Callable[[], datetime]) -> None:
    """What runs beside the app (pull point expiry, the condition clock, the export
    worker), and what its shutdown closes."""
    app.cleanup_ctx.append(_expiry(manager, clock))
    app.cleanup_ctx.append(_condition_clock(services))
    app.cleanup_ctx.append(_segment_exports(services))
    app.cleanup_ctx.append(_live_parameters(services))

    async def close_pull_points(_: web.Application) -> None:
        manager.close()

    app.on_shutdown.append(close_pull_points)

    async def close_store(_: web.Application) -> None:
        await services.exports.close()
        services.holder.store.close()
        services.search.data.close()
        services.segments.source.close()
        app[PLAYBACK_SOURCES].index.close()
        await app[PLAYBACK_SOURCES].reader.close()

    app.on_cleanup.append(close_store)


def _add_playback(app: web.Application, settings: RecorderSettings, services: Services,
                  authorize: Authorize) -> None:
    """``/recordings/...`` (web.playback): the web page's session, or (tools) an ONVIF
    user's Digest or Basic."""
    def storage(token: str) -> StorageConfigurationData | None:
        found = services.holder.state.storage.get(token)
        return None if found is None else found.data

    reader = SegmentReader(settings.data_dir / "media", settings.data_dir / "spool", storage)
    services.exports.read_remote = reader.read  # exports of uploaded segments too
    app[PLAYBACK_SOURCES] = PlaybackSources(
        SegmentIndex(settings.database_path), reader,
        lambda token: token in services.holder.state.recordings)
    add_playback_routes(app, authorize)
