"""tt:RecordingJobConfiguration and tt:RecordingJobStateInformation."""

from __future__ import annotations

import re

from lxml import etree

from onvif_recorder.domain.errors import BadConfiguration
from onvif_recorder.domain.job import (
    EventFilterEntry,
    JobMode,
    JobSource,
    JobTrack,
    RecordingEventFilter,
    RecordingJob,
    RecordingJobConfiguration,
    RecordingJobStateInformation,
    SourceJobState,
    SourceReference,
    TrackJobState,
)
from onvif_recorder.soap.mapping.primitives import TOKEN_MAX_LENGTH, Reader, parse_enum, sub
from onvif_recorder.soap.namespaces import TT, qname


def _tt(name: str) -> str:
    return qname(TT, name)


def read_source_reference(reader: Reader) -> SourceReference:
    # The ONVIF test tool sends a SourceToken without Token together with
    # AutoCreateReceiver (conformance Annex J), so Token is optional here.
    token = reader.optional_text("Token", TOKEN_MAX_LENGTH) or ""
    return SourceReference(token=token.strip(), type=reader.attribute("Type"))


def read_job_track(reader: Reader) -> JobTrack:
    return JobTrack(source_tag=reader.text("SourceTag"), destination=reader.token("Destination"))


def read_job_source(reader: Reader) -> JobSource:
    token = reader.child("SourceToken")
    return JobSource(
        source_token=None if token is None else read_source_reference(token),
        tracks=tuple(read_job_track(t) for t in reader.children("Tracks")),
        auto_create_receiver=reader.boolean("AutoCreateReceiver"),
    )


def read_job_configuration(element: etree._Element) -> RecordingJobConfiguration:
    reader = Reader(element, BadConfiguration)
    event_filter = reader.child("EventFilter")
    return RecordingJobConfiguration(
        recording_token=reader.token("RecordingToken"),
        mode=read_mode(reader.text("Mode"), reader),
        priority=reader.integer("Priority"),
        sources=tuple(read_job_source(s) for s in reader.children("Source")),
        schedule_token=reader.attribute("ScheduleToken"),
        event_filter=None if event_filter is None else read_event_filter(event_filter),
    )


def read_event_filter(reader: Reader) -> RecordingEventFilter:
    """RC §5.3.4 EventFilter, kept as written; the prefixes a Topic uses are resolved
    from the declarations in scope of that element (requirements digest §3.1)."""
    entries = tuple(_read_filter_entry(f) for f in reader.children("Filter"))
    if not entries:
        raise reader.fail("an EventFilter needs at least one Filter")
    return RecordingEventFilter(entries, reader.optional_duration("Before"),
                                reader.optional_duration("After"))


def _read_filter_entry(reader: Reader) -> EventFilterEntry:
    topic = reader.required("Topic")
    text = topic.value.strip()
    used = set(re.findall(r"([A-Za-z_][\w.-]*):", text))
    in_scope = {str(k): str(v) for k, v in topic.element.nsmap.items() if k is not None}
    namespaces = tuple(sorted((p, in_scope[p]) for p in used if p in in_scope))
    source = reader.optional_text("Source")
    return EventFilterEntry(text, namespaces, None if source is None else source.strip())


def write_event_filter(parent: etree._Element, event_filter: RecordingEventFilter) -> None:
    element = sub(parent, _tt("EventFilter"))
    for entry in event_filter.filters:
        group = sub(element, _tt("Filter"))
        topic = etree.SubElement(group, _tt("Topic"), nsmap=dict(entry.namespaces))
        topic.text = entry.topic
        if entry.source is not None:
            sub(group, _tt("Source"), entry.source)
    if event_filter.before is not None:
        sub(element, _tt("Before"), event_filter.before.lexical)
    if event_filter.after is not None:
        sub(element, _tt("After"), event_filter.after.lexical)


def read_mode(text: str, reader: Reader) -> JobMode:
    return parse_enum(text, JobMode, reader, "Mode")


def write_source_reference(parent: etree._Element, tag: str, reference: SourceReference) -> None:
    element = sub(parent, tag)
    if reference.type is not None:
        element.set("Type", reference.type)
    sub(element, _tt("Token"), reference.token)


def write_job_configuration(
    parent: etree._Element, tag: str, configuration: RecordingJobConfiguration
) -> etree._Element:
    element = sub(parent, tag)
    if configuration.schedule_token is not None:
        element.set("ScheduleToken", configuration.schedule_token)
    sub(element, _tt("RecordingToken"), configuration.recording_token)
    sub(element, _tt("Mode"), configuration.mode.value)
    sub(element, _tt("Priority"), str(configuration.priority))
    for source in configuration.sources:
        source_element = sub(element, _tt("Source"))
        if source.source_token is not None:
            write_source_reference(source_element, _tt("SourceToken"), source.source_token)
        for track in source.tracks:
            track_element = sub(source_element, _tt("Tracks"))
            sub(track_element, _tt("SourceTag"), track.source_tag)
            sub(track_element, _tt("Destination"), track.destination)
    if configuration.event_filter is not None:
        write_event_filter(element, configuration.event_filter)
    return element


def write_job_item(parent: etree._Element, tag: str, job: RecordingJob) -> None:
    """tt:GetRecordingJobsResponseItem."""
    element = sub(parent, tag)
    sub(element, _tt("JobToken"), job.token)
    write_job_configuration(element, _tt("JobConfiguration"), job.configuration)


def _write_track_state(parent: etree._Element, track: TrackJobState) -> None:
    element = sub(parent, _tt("Track"))
    sub(element, _tt("SourceTag"), track.source_tag)
    sub(element, _tt("Destination"), track.destination)
    if track.error is not None:
        sub(element, _tt("Error"), track.error)
    sub(element, _tt("State"), track.state.value)


def _write_source_state(parent: etree._Element, source: SourceJobState) -> None:
    element = sub(parent, _tt("Sources"))
    write_source_reference(element, _tt("SourceToken"), source.source_token)
    sub(element, _tt("State"), source.state.value)
    tracks = sub(element, _tt("Tracks"))
    for track in source.tracks:
        _write_track_state(tracks, track)


def write_job_state(
    parent: etree._Element, tag: str, state: RecordingJobStateInformation
) -> etree._Element:
    element = sub(parent, tag)
    sub(element, _tt("RecordingToken"), state.recording_token)
    sub(element, _tt("State"), state.state.value)
    for source in state.sources:
        _write_source_state(element, source)
    return element
