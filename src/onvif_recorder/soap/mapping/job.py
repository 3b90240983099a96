"""tt:RecordingJobConfiguration and tt:RecordingJobStateInformation."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import BadConfiguration
from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    JobTrack,
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
    # EventRecording is not advertised (RC §5.25): a job with an event filter would
    # silently record around the clock, so refuse it instead. ScheduleToken is honoured
    # (ScheduledRecording): the job records only while its schedule is active.
    if reader.child("EventFilter") is not None:
        raise reader.fail("event recording (EventFilter) is not supported")
    return RecordingJobConfiguration(
        recording_token=reader.token("RecordingToken"),
        mode=read_mode(reader.text("Mode"), reader),
        priority=reader.integer("Priority"),
        sources=tuple(read_job_source(s) for s in reader.children("Source")),
        schedule_token=reader.attribute("ScheduleToken"),
    )


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
