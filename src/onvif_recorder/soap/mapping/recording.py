"""tt:RecordingConfiguration, tt:RecordingTargetConfiguration and tt:TrackConfiguration."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import BadConfiguration
from onvif_recorder.domain.recording import (
    AsymmetricEncryption,
    Recording,
    RecordingConfiguration,
    RecordingEncryption,
    RecordingSource,
    RecordingTarget,
    SegmentDurationOverride,
    Track,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.namespaces import TT, qname

NAME_MAX_LENGTH = 64  # tt:Name
URI_MAX_LENGTH = 1024  # SourceId/Address: kept exactly up to this length (RC §5.3.1)


def read_source(reader: Reader) -> RecordingSource:
    return RecordingSource(
        source_id=reader.uri("SourceId", URI_MAX_LENGTH),
        name=reader.text("Name", NAME_MAX_LENGTH),
        location=reader.text("Location"),
        description=reader.text("Description"),
        address=reader.uri("Address", URI_MAX_LENGTH),
    )


def read_encryption(reader: Reader) -> RecordingEncryption:
    mode = reader.attribute("Mode")
    if mode is None:
        raise reader.fail("Encryption has no Mode attribute")
    asymmetric = reader.child("AsymmetricEncryption")
    return RecordingEncryption(
        mode=mode,
        kid=reader.optional_text("KID"),
        key=reader.optional_text("Key"),
        tracks=tuple(t.value for t in reader.children("Track")),
        asymmetric=None if asymmetric is None else read_asymmetric(asymmetric),
    )


def read_asymmetric(reader: Reader) -> AsymmetricEncryption:
    certificates = tuple(c.value for c in reader.children("CertificateID"))
    if not certificates:
        raise reader.fail("AsymmetricEncryption has no CertificateID")
    return AsymmetricEncryption(certificates, reader.optional_duration("KeyRotationDuration"),
                                reader.optional_text("AdditionalInfo"))


def read_override(reader: Reader) -> SegmentDurationOverride:
    return SegmentDurationOverride(reader.duration("Duration"), reader.duration("Expiration"))


def read_target(reader: Reader) -> RecordingTarget:
    override = reader.child("SegmentDurationOverride")
    return RecordingTarget(
        storage=reader.token("Storage"),
        format=reader.text("Format"),
        segment_duration=reader.duration("SegmentDuration"),
        prefix=reader.optional_text("Prefix"),
        postfix=reader.optional_text("Postfix"),
        span_duration=reader.optional_duration("SpanDuration"),
        encryption=tuple(read_encryption(e) for e in reader.children("Encryption")),
        segment_duration_override=None if override is None else read_override(override),
        storage_strategy=reader.optional_text("StorageStrategy"),
    )


def read_recording_configuration(element: etree._Element) -> RecordingConfiguration:
    reader = Reader(element, BadConfiguration)
    target = reader.child("Target")
    return RecordingConfiguration(
        source=read_source(reader.required("Source")),
        content=reader.text("Content"),
        maximum_retention_time=reader.duration("MaximumRetentionTime"),
        target=None if target is None else read_target(target),
    )


def read_track_configuration(element: etree._Element) -> TrackConfiguration:
    reader = Reader(element, BadConfiguration)
    return TrackConfiguration(
        track_type=reader.enum("TrackType", TrackType),
        description=reader.text("Description"),
    )


def _tt(name: str) -> str:
    return qname(TT, name)


def write_source(parent: etree._Element, source: RecordingSource) -> None:
    element = sub(parent, _tt("Source"))
    sub(element, _tt("SourceId"), source.source_id)
    sub(element, _tt("Name"), source.name)
    sub(element, _tt("Location"), source.location)
    sub(element, _tt("Description"), source.description)
    sub(element, _tt("Address"), source.address)


def write_encryption(parent: etree._Element, encryption: RecordingEncryption) -> None:
    element = sub(parent, _tt("Encryption"))
    element.set("Mode", encryption.mode)
    if encryption.kid is not None:
        sub(element, _tt("KID"), encryption.kid)
    # onvif.xsd RecordingEncryption/Key: "The device shall not include this parameter
    # when reading." The key is stored for the encrypting writer only.
    for track in encryption.tracks:
        sub(element, _tt("Track"), track)
    if encryption.asymmetric is not None:
        asymmetric = sub(element, _tt("AsymmetricEncryption"))
        for certificate in encryption.asymmetric.certificate_ids:
            sub(asymmetric, _tt("CertificateID"), certificate)
        if encryption.asymmetric.key_rotation_duration is not None:
            rotation = encryption.asymmetric.key_rotation_duration.lexical
            sub(asymmetric, _tt("KeyRotationDuration"), rotation)
        # AdditionalInfo (26.06) is applied but not returned: in the 25.12 schema this
        # service answers with, a tt: element after KeyRotationDuration does not validate.


def write_target(parent: etree._Element, target: RecordingTarget) -> None:
    element = sub(parent, _tt("Target"))
    sub(element, _tt("Storage"), target.storage)
    sub(element, _tt("Format"), target.format)
    if target.prefix is not None:
        sub(element, _tt("Prefix"), target.prefix)
    if target.postfix is not None:
        sub(element, _tt("Postfix"), target.postfix)
    if target.span_duration is not None:
        sub(element, _tt("SpanDuration"), target.span_duration.lexical)
    sub(element, _tt("SegmentDuration"), target.segment_duration.lexical)
    for encryption in target.encryption:
        write_encryption(element, encryption)
    if target.segment_duration_override is not None:
        override = sub(element, _tt("SegmentDurationOverride"))
        sub(override, _tt("Duration"), target.segment_duration_override.duration.lexical)
        sub(override, _tt("Expiration"), target.segment_duration_override.expiration.lexical)
    if target.storage_strategy is not None:  # 26.06; in 25.12 it falls to the xs:any
        sub(element, _tt("StorageStrategy"), target.storage_strategy)


def write_recording_configuration(
    parent: etree._Element, tag: str, configuration: RecordingConfiguration
) -> etree._Element:
    element = sub(parent, tag)
    write_source(element, configuration.source)
    sub(element, _tt("Content"), configuration.content)
    sub(element, _tt("MaximumRetentionTime"), configuration.maximum_retention_time.lexical)
    if configuration.target is not None:
        write_target(element, configuration.target)
    return element


def write_track_configuration(
    parent: etree._Element, tag: str, configuration: TrackConfiguration
) -> etree._Element:
    element = sub(parent, tag)
    sub(element, _tt("TrackType"), configuration.track_type.value)
    sub(element, _tt("Description"), configuration.description)
    return element


def write_track_item(parent: etree._Element, track: Track) -> None:
    element = sub(parent, _tt("Track"))
    sub(element, _tt("TrackToken"), track.token)
    write_track_configuration(element, _tt("Configuration"), track.configuration)


def write_recording_item(parent: etree._Element, tag: str, recording: Recording) -> None:
    """tt:GetRecordingsResponseItem."""
    element = sub(parent, tag)
    sub(element, _tt("RecordingToken"), recording.token)
    write_recording_configuration(element, _tt("Configuration"), recording.configuration)
    tracks = sub(element, _tt("Tracks"))
    for track in recording.tracks:
        write_track_item(tracks, track)
