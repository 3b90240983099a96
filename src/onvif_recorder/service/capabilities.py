"""Service capabilities, built once from settings and shared by GetServiceCapabilities
and GetServices(IncludeCapability) so the two always agree (RECORDING-1-1-3)."""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.domain.export import FILE_FORMATS
from onvif_recorder.service import encryption
from onvif_recorder.settings import RecorderSettings


@dataclass(frozen=True, slots=True)
class RecordingCapabilities:
    """trc:Capabilities (RC §5.25): only what this release really does."""

    dynamic_recordings: bool
    dynamic_tracks: bool
    encodings: tuple[str, ...]
    max_rate: int
    max_total_rate: int
    max_recordings: int
    max_recording_jobs: int
    options: bool
    metadata_recording: bool
    supported_target_formats: tuple[str, ...] = ()
    """RC §5.25: formats of recordings to object storage (Annex B)."""
    override_segment_duration: bool = False
    encryption_entry_limit: int = 0
    supported_encryption_modes: tuple[str, ...] = ()
    """RC §5.25 / B.8: the modes encrypted segments are really written in."""
    asymmetric_encryption_supported: bool = False
    scheduled_recording: bool = False
    event_recording: bool = False
    """RC §5.25 EventRecording, with BeforeEventLimit/AfterEventLimit in seconds."""
    before_event_limit_s: int = 0
    after_event_limit_s: int = 0
    supported_export_file_formats: tuple[str, ...] = ()
    """RC §5.25: ExportRecordedData FileFormats; only written when non-empty."""
    """RC §5.25 ScheduledRecording: jobs honour ScheduleToken (declared in the 26.06 WSDL,
    an anyAttribute in 25.12's)."""
    segment_export: bool = False
    """RC 26.06 SegmentExport: List/Export/StopExportRecordedSegments, StorageStrategy
    Local and Both."""
    onboard_storage: bool = True
    """RC 26.06 OnboardStorage: recordings can be kept on the recorder's own disk."""


@dataclass(frozen=True, slots=True)
class ReceiverCapabilities:
    """trv:Capabilities (Receiver spec)."""

    rtp_multicast: bool
    rtp_tcp: bool
    rtp_rtsp_tcp: bool
    supported_receivers: int
    maximum_rtsp_uri_length: int


@dataclass(frozen=True, slots=True)
class EventCapabilities:
    """tev:Capabilities (Core "Event handling", Capabilities).

    Only the Real-time PullPoint interface is offered: no WS-BaseNotification producer
    (MaxNotificationProducers 0 tells the test tool that Subscribe is not supported),
    no pausable subscription manager, no persistent notification storage (no Seek),
    no event brokers (MQTT).
    """

    ws_subscription_policy_support: bool
    ws_pausable_subscription_manager_interface_support: bool
    max_notification_producers: int
    max_pull_points: int
    persistent_notification_storage: bool


def event_capabilities(settings: RecorderSettings) -> EventCapabilities:
    return EventCapabilities(
        ws_subscription_policy_support=False,
        ws_pausable_subscription_manager_interface_support=False,
        max_notification_producers=0,
        max_pull_points=settings.limits.max_pull_points,
        persistent_notification_storage=False,
    )


def recording_capabilities(settings: RecorderSettings) -> RecordingCapabilities:
    limits = settings.limits
    return RecordingCapabilities(
        dynamic_recordings=True,
        dynamic_tracks=True,
        encodings=settings.encodings,
        max_rate=limits.max_rate_kbit,
        max_total_rate=limits.max_total_rate_kbit,
        max_recordings=limits.max_recordings,
        max_recording_jobs=limits.max_recording_jobs,
        options=True,
        metadata_recording=True,
        supported_target_formats=("MP4", "CMAF"),
        override_segment_duration=True,
        encryption_entry_limit=encryption.ENTRY_LIMIT,
        supported_encryption_modes=encryption.SUPPORTED_MODES,
        asymmetric_encryption_supported=encryption.ASYMMETRIC_SUPPORTED,
        scheduled_recording=True,
        event_recording=True,
        before_event_limit_s=limits.before_event_limit_s,
        after_event_limit_s=limits.after_event_limit_s,
        segment_export=True,
        onboard_storage=True,
        supported_export_file_formats=FILE_FORMATS,
    )


def receiver_capabilities(settings: RecorderSettings) -> ReceiverCapabilities:
    # Transports as the ingest engine implements them (README "Ingest"): RTP/UDP unicast
    # and multicast, RTP interleaved in RTSP (also tunnelled over HTTP, which the Receiver
    # spec requires and no flag announces). RTP_TCP is RTP/AVP/TCP without RTSP
    # interleaving (RFC 4571), which is not implemented.
    return ReceiverCapabilities(
        rtp_multicast=True,
        rtp_tcp=False,
        rtp_rtsp_tcp=True,
        supported_receivers=settings.limits.max_receivers,
        maximum_rtsp_uri_length=settings.limits.max_receiver_uri_length,
    )


@dataclass(frozen=True, slots=True)
class SearchCapabilities:
    """tse:Capabilities (Search §5.16): FindMetadata searches recorded metadata tracks."""

    metadata_search: bool = True


def search_capabilities(_: RecorderSettings) -> SearchCapabilities:
    return SearchCapabilities()
