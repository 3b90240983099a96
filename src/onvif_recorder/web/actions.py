"""What an operator changes from the web page, through the same services as SOAP.

- ``POST /api/cameras`` (``uri``, ``name``, ``start``): the RTSP URI is probed first, as
  ``onvif-recorder probe`` does; only a camera that sent media gets a recording (RC
  §5.4, its default tracks), a job with an auto-created receiver (RC §5.13) and that
  receiver configured (Receiver ``ConfigureReceiver``, AutoConnect, RTP over RTSP);
  with ``start`` the job is set Active. A failure after the recording exists deletes it
  again, with its job and receiver.
- ``POST /api/recordings/{token}/mode`` (``mode`` Active or Idle): every job of the
  recording (RC §5.18, SetRecordingJobMode).
- ``POST /api/recordings/{token}/delete``: RC §5.5, with its jobs and their receivers.

All need ACTUATE (Operator and up) and the session's CSRF token. Answers are JSON; a
refusal is ``{"error": reason}`` with the HTTP status of the fault the service raised.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.engine.receiver_task import public_uri
from onvif_recorder.probe import count_samples
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.receivers import ReceiverService
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.web.auth import json_error
from onvif_recorder.web.session_auth import WebAuth

log = logging.getLogger(__name__)
RECEIVER_SOURCE = "http://www.onvif.org/ver10/schema/Receiver"
PROBE_SECONDS = 1.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class CameraProbeFailed(Exception):
    pass


async def probe_camera(uri: str) -> None:
    """Raise CameraProbeFailed unless the camera at ``uri`` sends media over RTSP/TCP."""
    counts, _, task = await count_samples(uri, PROBE_SECONDS, "rtsp", io.StringIO())
    if not any(count.samples for count in counts.values()):
        reason = task.stats.last_error or "no media arrived"
        raise CameraProbeFailed(f"the camera at {public_uri(uri)} sent no media: {reason}")


class Actions:
    def __init__(self, auth: WebAuth, recordings: RecordingService, jobs: JobService,
                 receivers: ReceiverService,
                 probe: Callable[[str], Awaitable[None]] = probe_camera) -> None:
        self.auth = auth
        self.recordings = recordings
        self.jobs = jobs
        self.receivers = receivers
        self.probe = probe

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/cameras", self.add_camera),
                web.post("/api/recordings/{token}/mode", self.set_mode),
                web.post("/api/recordings/{token}/delete", self.delete)]

    async def add_camera(self, request: web.Request) -> web.Response:
        caller = await self.auth.require_change(request)
        form = await request.post()
        uri, name = str(form.get("uri", "")).strip(), str(form.get("name", "")).strip()
        if not uri.lower().startswith(("rtsp://", "rtsps://")):
            raise json_error(web.HTTPBadRequest, "give the camera's rtsp:// or rtsps:// URI")
        try:
            await self.probe(uri)
        except CameraProbeFailed as failed:
            raise json_error(web.HTTPBadRequest, str(failed)) from None
        start = str(form.get("start", "")) in ("on", "true", "1")
        token = _applied(lambda: self._create(uri, name or public_uri(uri), start))
        log.info("web: %s added camera %s as %s", caller.user.username, public_uri(uri), token)
        return web.json_response({"recording": token}, status=201)

    def _create(self, uri: str, name: str, start: bool) -> str:
        source = RecordingSource(public_uri(uri), name, "", "added on the web page",
                                 public_uri(uri))
        recording = self.recordings.create_recording(
            RecordingConfiguration(source, "", XsDuration.parse("PT0S")))
        try:
            job = self.jobs.create_job(RecordingJobConfiguration(
                recording.token, JobMode.IDLE, 1,
                (JobSource(SourceReference("", RECEIVER_SOURCE), auto_create_receiver=True),)))
            receiver = job.configuration.sources[0].source_token
            assert receiver is not None
            self.receivers.configure_receiver(receiver.token, ReceiverConfiguration(
                ReceiverMode.AUTO_CONNECT, uri, StreamType.RTP_UNICAST,
                Transport(TransportProtocol.RTSP)))
            if start:
                self.jobs.set_job_mode(job.token, JobMode.ACTIVE)
        except errors.OnvifError:
            self.recordings.delete_recording(recording.token)
            raise
        return recording.token

    async def set_mode(self, request: web.Request) -> web.Response:
        caller = await self.auth.require_change(request)
        token = request.match_info["token"]
        mode = (await _fields(request)).get("mode", "")
        if mode not in (JobMode.ACTIVE.value, JobMode.IDLE.value):
            raise json_error(web.HTTPBadRequest, "mode is Active or Idle")
        jobs: list[str] = _applied(lambda: self._jobs_of(token))
        _applied(lambda: [self.jobs.set_job_mode(job, JobMode(mode)) for job in jobs])
        log.info("web: %s set the jobs of %s %s", caller.user.username, token, mode)
        return web.json_response({"recording": token, "jobs": jobs, "mode": mode})

    def _jobs_of(self, token: str) -> list[str]:
        self.recordings.recording(token)  # NoRecording if there is none
        jobs = [job.token for job in self.jobs.jobs()
                if job.configuration.recording_token == token]
        if not jobs:
            raise errors.BadConfiguration(f"recording {token} has no recording job")
        return jobs

    async def delete(self, request: web.Request) -> web.Response:
        caller = await self.auth.require_change(request)
        token = request.match_info["token"]
        _applied(lambda: self.recordings.delete_recording(token))
        log.info("web: %s deleted recording %s", caller.user.username, token)
        return web.json_response({"deleted": token})


def _applied(call: Callable[[], Any]) -> Any:
    """Run a service call; its fault becomes a JSON error with the fault's HTTP status."""
    try:
        return call()
    except errors.OnvifError as fault:
        status = web.HTTPBadRequest if fault.http_status < 500 else web.HTTPInternalServerError
        raise json_error(status, fault.reason) from None


async def _fields(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = await request.json()
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    return {k: str(v) for k, v in (await request.post()).items()}
