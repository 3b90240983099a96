"""``GET /metrics``: the recorder in the Prometheus text format (``prometheus_client``).

Counters live where they already are kept (``ReceiverStats``, ``RecordingTask.stats``,
``UploadManager.failures``, the upload journal, ``EventBus``, job states); the
``RecorderCollector`` reads them at scrape time, so the hot paths carry no metric calls.
Only SOAP requests are counted as they happen (``SoapMetrics``, the ``SoapHandler``
observer), because nothing else keeps them. Every name starts with ``onvif_recorder_``;
the process collector's too (``onvif_recorder_process_cpu_seconds_total``...).

Credentials: anonymous by default (``[metrics] require_auth = false``); with
``require_auth`` a recorder user of any level (User and above) is needed, by HTTP Basic
(what Prometheus' ``basic_auth`` sends) or HTTP Digest. README "Metrics" lists the names.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Sized
from datetime import datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from onvif_recorder.domain.errors import OnvifError
from onvif_recorder.domain.job import JobState
from onvif_recorder.domain.receiver import ReceiverState
from onvif_recorder.domain.users import User
from onvif_recorder.engine.runtime import RunningEngine
from onvif_recorder.engine.statistics import Statistics
from onvif_recorder.events.pullpoint import SubscriptionManager
from onvif_recorder.service.events import EventBus
from onvif_recorder.service.job_states import JobStates
from onvif_recorder.service.state import StateHolder
from onvif_recorder.soap.authentication import Authenticator, Challenge
from onvif_recorder.soap.security.access import AccessClass
from onvif_recorder.soap.security.http_basic import basic_user
from onvif_recorder.upload_status import read_status

log = logging.getLogger(__name__)
PREFIX = "onvif_recorder_"
METRICS_PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The text format every Prometheus reads (``generate_latest`` writes it; our names
need none of the UTF-8 escaping of version 1.0.0)."""
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0, 60.0)
"""Seconds; PullMessages waits up to its Timeout (at most 60 s), hence the long tail."""


def service_label(path: str) -> str:
    """``/onvif/device_service`` → ``device_service``; a PullPoint → ``subscription``."""
    parts = [part for part in path.split("/") if part and "{" not in part]
    return parts[-1] if parts else path


class SoapMetrics:
    """SOAP requests by service, operation and outcome, and their latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            PREFIX + "soap_requests", "SOAP requests answered",
            ["service", "operation", "outcome"], registry=registry)
        self.latency = Histogram(
            PREFIX + "soap_request_duration_seconds", "time to answer a SOAP request",
            ["service", "operation"], buckets=LATENCY_BUCKETS, registry=registry)

    def observe(self, path: str, operation: str, outcome: str, seconds: float) -> None:
        service = service_label(path)
        self.requests.labels(service, operation, outcome).inc()
        self.latency.labels(service, operation).observe(seconds)


class RecorderCollector(Collector):
    """Reads the recorder's own counters at every scrape."""

    def __init__(self, holder: StateHolder, job_states: JobStates, bus: EventBus,
                 pull_points: SubscriptionManager, running: RunningEngine,
                 database: Path, search_sessions: Sized = ()) -> None:
        self.holder = holder
        self.job_states = job_states
        self.bus = bus
        self.pull_points = pull_points
        self.running = running
        self.database = database
        self.search_sessions = search_sessions

    def collect(self) -> Iterator[Metric]:
        counted = self.running.statistics()  # once per scrape: it walks every task
        yield from self._workers(counted)
        yield from self._receivers(counted)
        yield from self._recordings(counted)
        yield from self._jobs(counted)
        yield from self._uploads()
        yield from self._events()

    def _workers(self, counted: Statistics) -> Iterator[Metric]:
        cpu = _counter("worker_cpu_seconds", "CPU seconds (user + system) of each worker "
                       "process since it started", "worker")
        resident = _gauge("worker_resident_memory_bytes", "resident memory of each worker "
                          "process", "worker")
        restarts = _counter("worker_restarts", "worker processes started again after they "
                            "died", "worker")
        for worker, (seconds, size, count) in sorted(counted.workers.items()):
            cpu.add_metric([worker], seconds)
            resident.add_metric([worker], size)
            restarts.add_metric([worker], count)
        yield from (cpu, resident, restarts)

    def _receivers(self, counted: Statistics) -> Iterator[Metric]:
        states = self.running.receiver_states
        current = {token: states.get(token) if states else ReceiverState.NOT_CONNECTED
                   for token in self.holder.state.receivers}
        by_state = Tally(state.value for state in current.values())
        yield _by_label(PREFIX + "receivers", "configured receivers by connection state",
                        "state", {s.value: by_state[s.value] for s in ReceiverState})
        each = _gauge("receiver_state", "1 for each receiver's connection state", "receiver",
                      "state")
        for token, now in current.items():
            for state in ReceiverState:
                each.add_metric([token, state.value], int(state is now))
        yield each
        packets = _counter("receiver_rtp_packets_received", "RTP packets received")
        samples = _counter("receiver_samples_received", "samples (access units) received")
        lost = _counter("receiver_rtp_packets_lost",
                        "RTP packets never received (sequence gaps, RFC 3550)")
        totals = counted.receivers
        for token in sorted(self.holder.state.receivers):
            if token in totals:
                received, received_samples, missing = totals[token]
                packets.add_metric([token], received)
                samples.add_metric([token], received_samples)
                lost.add_metric([token], missing)
        yield from (packets, samples, lost)

    def _recordings(self, counted: Statistics) -> Iterator[Metric]:
        yield GaugeMetricFamily(PREFIX + "recordings", "configured recordings",
                                value=len(self.holder.state.recordings))
        samples = _counter("recording_samples_written", "samples written", "recording")
        size = _counter("recording_bytes_written", "sample bytes written", "recording")
        segments = _counter("recording_segments_written", "segments completed", "recording")
        for token, (written, written_bytes, completed) in sorted(
                counted.recordings.items()):
            samples.add_metric([token], written)
            size.add_metric([token], written_bytes)
            segments.add_metric([token], completed)
        yield from (samples, size, segments)

    def _jobs(self, counted: Statistics) -> Iterator[Metric]:
        current = self.job_states.current
        states = Tally(info.state.value for info in current.values())
        yield _by_label(PREFIX + "jobs", "recording jobs by state (RC §5.19)", "state",
                        {s.value: states[s.value] for s in JobState})
        each = _gauge("job_state", "1 for each recording job's state (RC §5.19)", "job",
                      "state")
        for token, info in current.items():
            for state in JobState:
                each.add_metric([token, state.value], int(state is info.state))
        yield each
        held = _gauge("job_pre_event_buffer_bytes",
                      "sample bytes a waiting event job holds for Before (RC §5.3.4)", "job")
        for token, size in sorted(counted.pre_event.items()):
            held.add_metric([token], size)
        yield held

    def _uploads(self) -> Iterator[Metric]:
        pending = _gauge("upload_pending_objects", "objects waiting in the upload spool",
                         "storage")
        pending_bytes = _gauge("upload_pending_bytes", "bytes waiting in the upload spool",
                               "storage")
        uploaded = _counter("uploads", "objects the store confirmed", "storage")
        dropped = _counter("upload_dropped_objects",
                           "objects given up (spool budget, retention)", "storage")
        failed = _counter("uploads_failed", "failed upload attempts (objects) since start",
                          "storage")
        statuses = read_status(self.database)
        for status in statuses:
            pending.add_metric([status.storage], status.pending_objects)
            pending_bytes.add_metric([status.storage], status.pending_bytes)
            uploaded.add_metric([status.storage], status.uploaded_objects)
            dropped.add_metric([status.storage], status.dropped_objects)
        uploads = self.running.uploads
        for storage, count in sorted(uploads.failures.items()) if uploads else ():
            failed.add_metric([storage], count)
        yield from (pending, pending_bytes, uploaded, dropped, failed)

    def _events(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(PREFIX + "pull_point_subscriptions",
                                "PullPoint subscriptions open", value=len(self.pull_points))
        yield GaugeMetricFamily(PREFIX + "search_sessions",
                                "Search service sessions kept (until EndSearch or KeepAlive)",
                                value=len(self.search_sessions))
        yield GaugeMetricFamily(PREFIX + "replay_connections",
                                "replay RTSP server connections open (Replay service)",
                                value=len(self.running.replay_connections))
        yield CounterMetricFamily(PREFIX + "event_notifications_dropped",
                                  "notifications dropped from full subscription queues",
                                  value=self.bus.dropped_total)


def _counter(name: str, documentation: str, label: str = "receiver") -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, documentation, labels=[label])


def _gauge(name: str, documentation: str, *labels: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, labels=list(labels))


def _by_label(name: str, documentation: str, label: str,
              values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in values.items():
        family.add_metric([value], count)
    return family


def new_registry(collector: RecorderCollector) -> CollectorRegistry:
    """A registry per app (not the global one: tests build many apps in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    ProcessCollector(namespace="onvif_recorder", registry=registry)
    return registry


class MetricsEndpoint:
    """The aiohttp handler of ``GET /metrics``."""

    def __init__(self, registry: CollectorRegistry, authenticator: Authenticator,
                 lookup: Callable[[str], User | None], require_auth: bool,
                 clock: Callable[[], datetime]) -> None:
        self.registry = registry
        self.authenticator = authenticator
        self.lookup = lookup
        self.require_auth = require_auth
        self.clock = clock

    async def handle(self, request: web.Request) -> web.Response:
        if self.require_auth:
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return web.Response(body=generate_latest(self.registry),
                            headers={"Content-Type": CONTENT_TYPE})

    def _refusal(self, request: web.Request) -> web.Response | None:
        """None when a user of any level called (HTTP Basic or Digest), else 401 or 403."""
        authorization = request.headers.get("Authorization", "")
        if authorization[:6].lower() == "basic ":
            if basic_user(self.lookup, authorization[6:]) is not None:
                return None
            log.warning("login refused (HTTP Basic) from %s to %s", request.remote, METRICS_PATH)
            return _unauthorized(self.authenticator.digest.challenge(self.clock()))
        try:
            outcome = self.authenticator.authenticate(request, None, AccessClass.READ_SYSTEM,
                                                      self.clock())
        except OnvifError as error:
            return web.Response(status=403, text=f"{error}\n")
        if isinstance(outcome, Challenge):
            return _unauthorized(outcome.headers)
        return None


def _unauthorized(digest_challenges: Iterable[str]) -> web.Response:
    response = web.Response(status=401, text="authentication required\n")
    response.headers.add("WWW-Authenticate", 'Basic realm="onvif-recorder", charset="UTF-8"')
    for value in digest_challenges:
        response.headers.add("WWW-Authenticate", value)
    return response
