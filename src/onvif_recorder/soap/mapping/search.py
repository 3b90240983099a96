"""Recording Search XML (search.wsdl, tt: search types): scopes in, results out."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from onvif_recorder.service.capabilities import SearchCapabilities
from onvif_recorder.service.search.history import EventResult
from onvif_recorder.service.search.information import (
    MediaAttributes,
    RecordingInformation,
    RecordingSummary,
    TrackInformation,
)
from onvif_recorder.service.search.recorded import AudioFacts, MetadataFacts, VideoFacts
from onvif_recorder.service.search.scope import SearchScope, xs_datetime
from onvif_recorder.service.search.xpath import parse_filter
from onvif_recorder.soap.mapping.primitives import Reader, sub, xs_boolean
from onvif_recorder.soap.mapping.recording import write_source
from onvif_recorder.soap.namespaces import TSE, TT, qname


def _tt(name: str) -> str:
    return qname(TT, name)


def write_search_capabilities(parent: etree._Element, caps: SearchCapabilities
                              ) -> etree._Element:
    element = sub(parent, qname(TSE, "Capabilities"))
    element.set("MetadataSearch", xs_boolean(caps.metadata_search))
    return element


def write_legacy_search(parent: etree._Element, xaddr: str, caps: SearchCapabilities) -> None:
    """tt:SearchCapabilities of the legacy GetCapabilities."""
    element = sub(parent, _tt("Search"))
    sub(element, _tt("XAddr"), xaddr)
    sub(element, _tt("MetadataSearch"), xs_boolean(caps.metadata_search))


def read_time(reader: Reader, name: str) -> float:
    """xs:dateTime as POSIX seconds; no zone means UTC (Search §5.2.6)."""
    text = reader.required(name).value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise reader.fail(f"{name} is not an xs:dateTime") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.timestamp()


def read_optional_time(reader: Reader, name: str) -> float | None:
    return None if reader.child(name) is None else read_time(reader, name)


def read_optional_int(reader: Reader, name: str) -> int | None:
    return None if reader.child(name) is None else reader.integer(name)


def read_scope(reader: Reader, name: str = "Scope") -> SearchScope:
    scope = reader.required(name)
    sources = tuple(s.token("Token") for s in scope.children("IncludedSources"))
    recordings = tuple(r.value.strip() for r in scope.children("IncludedRecordings"))
    found = scope.child("RecordingInformationFilter")
    text = found.value.strip() if found is not None else ""
    return SearchScope(sources, recordings, parse_filter(text) if text else None)


def write_summary(parent: etree._Element, summary: RecordingSummary) -> None:
    element = sub(parent, qname(TSE, "Summary"))
    sub(element, _tt("DataFrom"), xs_datetime(summary.data_from))
    sub(element, _tt("DataUntil"), xs_datetime(summary.data_until))
    sub(element, _tt("NumberRecordings"), str(summary.number_recordings))


def _write_track(parent: etree._Element, tag: str, track: TrackInformation) -> None:
    element = sub(parent, tag)
    sub(element, _tt("TrackToken"), track.token)
    sub(element, _tt("TrackType"), track.track_type.value)
    sub(element, _tt("Description"), track.description)
    sub(element, _tt("DataFrom"), xs_datetime(track.data_from))
    sub(element, _tt("DataTo"), xs_datetime(track.data_to))


def write_information(parent: etree._Element, tag: str, info: RecordingInformation) -> None:
    element = sub(parent, tag)
    sub(element, _tt("RecordingToken"), info.token)
    write_source(element, info.source)
    if info.earliest is not None and info.latest is not None:
        sub(element, _tt("EarliestRecording"), xs_datetime(info.earliest))
        sub(element, _tt("LatestRecording"), xs_datetime(info.latest))
    sub(element, _tt("Content"), info.content)
    for track in info.tracks:
        _write_track(element, _tt("Track"), track)
    sub(element, _tt("RecordingStatus"), info.status.value)


def write_media_attributes(parent: etree._Element, attributes: MediaAttributes) -> None:
    element = sub(parent, qname(TSE, "MediaAttributes"))
    sub(element, _tt("RecordingToken"), attributes.token)
    for track in attributes.tracks:
        node = sub(element, _tt("TrackAttributes"))
        _write_track(node, _tt("TrackInformation"), track.information)
        match track.facts:
            case VideoFacts():
                video = sub(node, _tt("VideoAttributes"))
                if track.facts.bitrate_kbps is not None:
                    sub(video, _tt("Bitrate"), str(track.facts.bitrate_kbps))
                sub(video, _tt("Width"), str(track.facts.width))
                sub(video, _tt("Height"), str(track.facts.height))
                sub(video, _tt("Encoding"), track.facts.encoding)
                sub(video, _tt("Framerate"), str(track.facts.framerate))
            case AudioFacts():
                audio = sub(node, _tt("AudioAttributes"))
                if track.facts.bitrate_kbps is not None:
                    sub(audio, _tt("Bitrate"), str(track.facts.bitrate_kbps))
                sub(audio, _tt("Encoding"), track.facts.encoding)
                sub(audio, _tt("Samplerate"), str(track.facts.samplerate_khz))
            case MetadataFacts():
                metadata = sub(node, _tt("MetadataAttributes"))
                sub(metadata, _tt("CanContainPTZ"), xs_boolean(track.facts.can_contain_ptz))
                sub(metadata, _tt("CanContainAnalytics"),
                    xs_boolean(track.facts.can_contain_analytics))
                sub(metadata, _tt("CanContainNotifications"),
                    xs_boolean(track.facts.can_contain_notifications))
    sub(element, _tt("From"), xs_datetime(attributes.valid_from))
    sub(element, _tt("Until"), xs_datetime(attributes.valid_until))


def write_result(parent: etree._Element, recording: str, track: str,
                 time: float) -> etree._Element:
    """A ``tt:Result`` of FindEvents, FindMetadata or FindPTZPosition: where and when it
    was found (tt:FindEventResult, FindMetadataResult, FindPTZPositionResult); the
    caller adds what was found."""
    element = sub(parent, _tt("Result"))
    sub(element, _tt("RecordingToken"), recording)
    sub(element, _tt("TrackToken"), track)
    sub(element, _tt("Time"), xs_datetime(time))
    return element


def write_event_result(parent: etree._Element, result: EventResult,
                       notification: etree._Element) -> None:
    element = write_result(parent, result.recording, result.track, result.time)
    notification.tag = _tt("Event")  # a wsnt:NotificationMessageHolderType named tt:Event
    element.append(notification)
    sub(element, _tt("StartStateEvent"), xs_boolean(result.start_state))
