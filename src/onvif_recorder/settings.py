"""Recorder settings: one object holding every limit and default the services use."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MediaRoot:
    """A directory local recordings go to, usually one per disk (storage.media_roots)."""

    path: Path
    reserve: float
    """Fraction of the root's file system kept free by deleting its oldest segments."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Device limits advertised in capabilities and enforced by the services."""

    max_recordings: int = 64
    max_tracks_per_type: int = 4  # per recording, for each of Video, Audio, Metadata
    max_recording_jobs: int = 128
    max_receivers: int = 128
    max_rate_kbit: int = 32_000  # per recording (RC §5.25 MaxRate)
    max_total_rate_kbit: int = 512_000  # all recordings (MaxTotalRate)
    max_users: int = 32
    max_username_length: int = 32
    max_password_length: int = 64
    max_storage_configurations: int = 16
    max_scopes: int = 32  # fixed and configurable together (Core ter:TooManyScopes)
    descriptive_max_length: int = 1024  # Location, Description, Content (RC §5.3.1 truncation)
    max_receiver_uri_length: int = 1024  # Receiver MaximumRTSPURILength
    # Event service (Core "Event handling"); README "Events" explains each.
    max_pull_points: int = 16  # MaxPullPoints: concurrent PullPoint subscriptions
    event_queue_limit: int = 1000  # notifications queued per subscription, oldest dropped
    max_pull_timeout_s: int = 60  # PullMessages Timeout; Core: at least one minute
    max_pull_messages: int = 100  # PullMessages returns at most this many messages
    default_subscription_s: int = 60  # termination when the client gives none
    max_subscription_s: int = 3600  # longest InitialTerminationTime or Renew accepted
    # Event recording (RC §5.25 BeforeEventLimit/AfterEventLimit; README "Event
    # recording"): Before is held in a pre-event buffer of at most pre_event_max_bytes of
    # samples per waiting job and source (30 s + a GOP at 8 Mbit/s).
    before_event_limit_s: int = 30
    after_event_limit_s: int = 300
    pre_event_max_bytes: int = 32 * 1024 * 1024
    # Recording Search (README "Search").
    max_search_sessions: int = 16  # concurrent search sessions; one more is ResourceProblem
    max_search_keep_alive_s: int = 3600  # longer KeepAliveTime values are adapted down
    max_search_results: int = 10_000  # results a session holds (MaxMatches adapted down)


@dataclass(frozen=True, slots=True)
class RecorderSettings:
    data_dir: Path = Path("data")
    listen_host: str = "0.0.0.0"
    listen_port: int = 8080
    # The replay RTSP server (README "Replay"); port 0 picks a free port.
    rtsp_listen_host: str = "0.0.0.0"
    rtsp_listen_port: int = 8554
    limits: Limits = field(default_factory=Limits)
    # Encodings the ingest and recording engine handle (RC §5.25 Encoding).
    encodings: tuple[str, ...] = ("H264", "H265", "G711", "AAC")
    allow_password_text: bool = False
    # Recording engine (README "Recording engine").
    segment_duration: float = 10.0  # seconds, for recordings without a Target (local storage)
    fsync_interval: float = 5.0  # seconds between fsyncs of a segment being written
    workers: int = 0  # worker processes that receive and record (serve); 0: one per core
    disk_reserve: float = 0.05  # fraction of the file system kept free by deleting old data
    # Several media roots; none: <data dir>/media with disk_reserve (README "Configuration").
    media_roots: tuple[MediaRoot, ...] = ()
    spool_max_bytes: int = 2 * 1024**3  # upload spool budget; over it the oldest are dropped
    upload_backoff_max: float = 30.0  # seconds: longest wait between upload retries
    # Every request to an object store (README "Uploads and the spool"): seconds to connect,
    # seconds without progress, and the slowest transfer (bytes/s) an upload may last at.
    upload_connect_timeout: float = 10.0
    upload_progress_timeout: float = 30.0
    upload_min_rate: float = 16 * 1024
    metrics_require_auth: bool = False  # GET /metrics: anonymous unless set (README "Metrics")
    manufacturer: str = "onvif-recorder project"
    model: str = "onvif-recorder"
    hardware_id: str = "python"
    # Device service (README "Discovery and device operations").
    discovery: bool = True  # WS-Discovery, run by ``onvif-recorder serve`` (engine/discovery)
    allow_hard_reset: bool = False  # SetSystemFactoryDefault Hard may delete recordings

    @property
    def database_path(self) -> Path:
        return self.data_dir / "recorder.sqlite3"

    @property
    def media_root(self) -> Path:
        """The default media root: where index rows without a root live."""
        return self.data_dir / "media"

    @property
    def all_media_roots(self) -> tuple[MediaRoot, ...]:
        return self.media_roots or (MediaRoot(self.media_root, self.disk_reserve),)
