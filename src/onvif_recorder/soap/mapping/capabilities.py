"""trc:Capabilities, trv:Capabilities, tev:Capabilities and trc:RecordingOptions."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.service.capabilities import (
    EventCapabilities,
    ReceiverCapabilities,
    RecordingCapabilities,
)
from onvif_recorder.service.recordings import RecordingOptions
from onvif_recorder.soap.mapping.primitives import sub, xs_boolean
from onvif_recorder.soap.namespaces import TEV, TRC, TRV, qname


def write_recording_capabilities(
    parent: etree._Element, caps: RecordingCapabilities
) -> etree._Element:
    element = sub(parent, qname(TRC, "Capabilities"))
    element.set("DynamicRecordings", xs_boolean(caps.dynamic_recordings))
    element.set("DynamicTracks", xs_boolean(caps.dynamic_tracks))
    element.set("Encoding", " ".join(caps.encodings))
    element.set("MaxRate", str(caps.max_rate))
    element.set("MaxTotalRate", str(caps.max_total_rate))
    element.set("MaxRecordings", str(caps.max_recordings))
    element.set("MaxRecordingJobs", str(caps.max_recording_jobs))
    element.set("Options", xs_boolean(caps.options))
    element.set("MetadataRecording", xs_boolean(caps.metadata_recording))
    if caps.supported_target_formats:
        element.set("SupportedTargetFormats", " ".join(caps.supported_target_formats))
    if caps.supported_encryption_modes:
        element.set("EncryptionEntryLimit", str(caps.encryption_entry_limit))
        element.set("SupportedEncryptionModes", " ".join(caps.supported_encryption_modes))
        element.set("AsymmetricEncryptionSupported",
                    xs_boolean(caps.asymmetric_encryption_supported))
    if caps.override_segment_duration:
        element.set("OverrideSegmentDuration", "true")
    if caps.scheduled_recording:
        element.set("ScheduledRecording", "true")
    if caps.event_recording:
        element.set("EventRecording", "true")
        element.set("BeforeEventLimit", f"PT{caps.before_event_limit_s}S")
        element.set("AfterEventLimit", f"PT{caps.after_event_limit_s}S")
    # RC 26.06 (anyAttributes in 25.12's schema)
    element.set("OnboardStorage", xs_boolean(caps.onboard_storage))
    if caps.segment_export:
        element.set("SegmentExport", "true")
    if caps.supported_export_file_formats:
        element.set("SupportedExportFileFormats", " ".join(caps.supported_export_file_formats))
    return element


def write_receiver_capabilities(
    parent: etree._Element, caps: ReceiverCapabilities
) -> etree._Element:
    element = sub(parent, qname(TRV, "Capabilities"))
    element.set("RTP_Multicast", xs_boolean(caps.rtp_multicast))
    element.set("RTP_TCP", xs_boolean(caps.rtp_tcp))
    element.set("RTP_RTSP_TCP", xs_boolean(caps.rtp_rtsp_tcp))
    element.set("SupportedReceivers", str(caps.supported_receivers))
    element.set("MaximumRTSPURILength", str(caps.maximum_rtsp_uri_length))
    return element


def write_event_capabilities(parent: etree._Element, caps: EventCapabilities) -> etree._Element:
    element = sub(parent, qname(TEV, "Capabilities"))
    element.set("WSSubscriptionPolicySupport", xs_boolean(caps.ws_subscription_policy_support))
    element.set(
        "WSPausableSubscriptionManagerInterfaceSupport",
        xs_boolean(caps.ws_pausable_subscription_manager_interface_support),
    )
    element.set("MaxNotificationProducers", str(caps.max_notification_producers))
    element.set("MaxPullPoints", str(caps.max_pull_points))
    element.set("PersistentNotificationStorage", xs_boolean(caps.persistent_notification_storage))
    return element


def write_recording_options(parent: etree._Element, options: RecordingOptions) -> None:
    element = sub(parent, qname(TRC, "Options"))
    job = sub(element, qname(TRC, "Job"))
    job.set("Spare", str(options.spare_jobs))
    if options.compatible_sources:
        job.set("CompatibleSources", " ".join(options.compatible_sources))
    track = sub(element, qname(TRC, "Track"))
    track.set("SpareTotal", str(options.tracks.spare_total))
    track.set("SpareVideo", str(options.tracks.spare_video))
    track.set("SpareAudio", str(options.tracks.spare_audio))
    track.set("SpareMetadata", str(options.tracks.spare_metadata))
