"""Recording Control service endpoint (trc): one row per operation of RC §5."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import BadDuration, BadMode, NotImplementedFault
from onvif_recorder.domain.job import JobMode
from onvif_recorder.service.capabilities import RecordingCapabilities
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.capabilities import (
    write_recording_capabilities,
    write_recording_options,
)
from onvif_recorder.soap.mapping.job import (
    read_job_configuration,
    write_job_configuration,
    write_job_item,
    write_job_state,
)
from onvif_recorder.soap.mapping.primitives import Reader, parse_enum, sub
from onvif_recorder.soap.mapping.recording import (
    read_recording_configuration,
    read_track_configuration,
    write_recording_configuration,
    write_recording_item,
    write_track_configuration,
)
from onvif_recorder.soap.namespaces import TRC, qname
from onvif_recorder.soap.operations.recording_export import ExportHandlers
from onvif_recorder.soap.operations.recording_segments import SegmentHandlers
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/recording_service"
# RC 25.12 recording.wsdl plus the 26.06 segment operations: declared, so that
# unimplemented ones answer ActionNotSupported rather than UnknownAction.
DECLARED = (
    "ExportRecordedData",
    "StopExportRecordedData",
    "GetExportRecordedDataState",
    "OverrideSegmentDuration",
    "ListRecordedSegments",
    "ExportRecordedSegments",
    "StopExportRecordedSegments",
)

READ = AccessClass.READ_MEDIA
WRITE = AccessClass.ACTUATE


def _trc(name: str) -> str:
    return qname(TRC, name)


def _response(name: str) -> etree._Element:
    return etree.Element(_trc(name), nsmap={"trc": TRC, "tt": "http://www.onvif.org/ver10/schema"})


def _token(request: etree._Element, name: str) -> str:
    return Reader(request).token(name)


def _required(request: etree._Element, name: str) -> etree._Element:
    return Reader(request).required(name).element


class RecordingHandlers:
    def __init__(
        self, recordings: RecordingService, jobs: JobService, caps: RecordingCapabilities
    ) -> None:
        self.recordings = recordings
        self.jobs = jobs
        self.caps = caps

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_recording_capabilities(response, self.caps)
        return response

    def create_recording(self, _: CallContext, request: etree._Element) -> etree._Element:
        configuration = read_recording_configuration(_required(request, "RecordingConfiguration"))
        recording = self.recordings.create_recording(configuration)
        response = _response("CreateRecordingResponse")
        sub(response, _trc("RecordingToken"), recording.token)
        return response

    def delete_recording(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.recordings.delete_recording(_token(request, "RecordingToken"))
        return _response("DeleteRecordingResponse")

    def get_recordings(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetRecordingsResponse")
        for recording in self.recordings.recordings():
            write_recording_item(response, _trc("RecordingItem"), self.recordings.shown(recording))
        return response

    def set_recording_configuration(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        token = _token(request, "RecordingToken")
        self.recordings.recording(token)  # NoRecording before BadConfiguration
        configuration = read_recording_configuration(_required(request, "RecordingConfiguration"))
        self.recordings.set_recording_configuration(token, configuration)
        return _response("SetRecordingConfigurationResponse")

    def get_recording_configuration(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        recording = self.recordings.shown(
            self.recordings.recording(_token(request, "RecordingToken")))
        response = _response("GetRecordingConfigurationResponse")
        write_recording_configuration(
            response, _trc("RecordingConfiguration"), recording.configuration
        )
        return response

    def get_recording_options(self, _: CallContext, request: etree._Element) -> etree._Element:
        options = self.recordings.recording_options(_token(request, "RecordingToken"))
        response = _response("GetRecordingOptionsResponse")
        write_recording_options(response, options)
        return response

    def create_track(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = _token(request, "RecordingToken")
        self.recordings.recording(token)
        configuration = read_track_configuration(_required(request, "TrackConfiguration"))
        track = self.recordings.create_track(token, configuration)
        response = _response("CreateTrackResponse")
        sub(response, _trc("TrackToken"), track.token)
        return response

    def delete_track(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.recordings.delete_track(
            _token(request, "RecordingToken"), _token(request, "TrackToken")
        )
        return _response("DeleteTrackResponse")

    def get_track_configuration(self, _: CallContext, request: etree._Element) -> etree._Element:
        track = self.recordings.track(
            _token(request, "RecordingToken"), _token(request, "TrackToken")
        )
        response = _response("GetTrackConfigurationResponse")
        write_track_configuration(response, _trc("TrackConfiguration"), track.configuration)
        return response

    def set_track_configuration(self, _: CallContext, request: etree._Element) -> etree._Element:
        recording_token = _token(request, "RecordingToken")
        track_token = _token(request, "TrackToken")
        self.recordings.track(recording_token, track_token)
        configuration = read_track_configuration(_required(request, "TrackConfiguration"))
        self.recordings.set_track_configuration(recording_token, track_token, configuration)
        return _response("SetTrackConfigurationResponse")

    def create_recording_job(self, _: CallContext, request: etree._Element) -> etree._Element:
        job = self.jobs.create_job(read_job_configuration(_required(request, "JobConfiguration")))
        response = _response("CreateRecordingJobResponse")
        sub(response, _trc("JobToken"), job.token)
        write_job_configuration(response, _trc("JobConfiguration"), job.configuration)
        return response

    def delete_recording_job(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.jobs.delete_job(_token(request, "JobToken"))
        return _response("DeleteRecordingJobResponse")

    def get_recording_jobs(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetRecordingJobsResponse")
        for job in self.jobs.jobs():
            write_job_item(response, _trc("JobItem"), job)
        return response

    def set_recording_job_configuration(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        token = _token(request, "JobToken")
        self.jobs.job(token)
        configuration = read_job_configuration(_required(request, "JobConfiguration"))
        job = self.jobs.set_job_configuration(token, configuration)
        response = _response("SetRecordingJobConfigurationResponse")
        write_job_configuration(response, _trc("JobConfiguration"), job.configuration)
        return response

    def get_recording_job_configuration(
        self, _: CallContext, request: etree._Element
    ) -> etree._Element:
        job = self.jobs.job(_token(request, "JobToken"))
        response = _response("GetRecordingJobConfigurationResponse")
        write_job_configuration(response, _trc("JobConfiguration"), job.configuration)
        return response

    def set_recording_job_mode(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = _token(request, "JobToken")
        self.jobs.job(token)
        reader = Reader(request, BadMode)
        self.jobs.set_job_mode(token, parse_enum(reader.text("Mode"), JobMode, reader, "Mode"))
        return _response("SetRecordingJobModeResponse")

    def get_recording_job_state(self, _: CallContext, request: etree._Element) -> etree._Element:
        state = self.jobs.job_state(_token(request, "JobToken"))
        response = _response("GetRecordingJobStateResponse")
        write_job_state(response, _trc("State"), state)
        return response

    def override_segment_duration(self, _: CallContext, request: etree._Element
                                  ) -> etree._Element:
        token = _token(request, "RecordingConfiguration")
        self.recordings.recording(token)  # NoRecording before BadDuration
        reader = Reader(request, BadDuration)
        self.recordings.override_segment_duration(
            token, reader.duration("TargetSegmentDuration"), reader.duration("Expiration"))
        return _response("OverrideSegmentDurationResponse")

    def not_implemented(self, _: CallContext, request: etree._Element) -> etree._Element:
        name = etree.QName(request).localname
        raise NotImplementedFault(f"{name} is not implemented in this release")


def recording_endpoint(handlers: RecordingHandlers,
                       exports: ExportHandlers | None = None,
                       segments: SegmentHandlers | None = None) -> ServiceEndpoint:
    h = handlers
    state_version = h.recordings.holder_version
    operations = [
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("CreateRecording", WRITE, h.create_recording),
        Operation("DeleteRecording", WRITE,
                  exports.deleting(h.delete_recording) if exports else h.delete_recording),
        Operation("GetRecordings", READ, h.get_recordings, cache_version=state_version),
        Operation("SetRecordingConfiguration", WRITE, h.set_recording_configuration),
        Operation("GetRecordingConfiguration", READ, h.get_recording_configuration),
        Operation("GetRecordingOptions", READ, h.get_recording_options),
        Operation("CreateTrack", WRITE, h.create_track),
        Operation("DeleteTrack", WRITE, h.delete_track),
        Operation("GetTrackConfiguration", READ, h.get_track_configuration),
        Operation("SetTrackConfiguration", WRITE, h.set_track_configuration),
        Operation("CreateRecordingJob", WRITE, h.create_recording_job),
        Operation("DeleteRecordingJob", WRITE, h.delete_recording_job),
        Operation("GetRecordingJobs", READ, h.get_recording_jobs, cache_version=state_version),
        Operation("SetRecordingJobConfiguration", WRITE, h.set_recording_job_configuration),
        Operation("GetRecordingJobConfiguration", READ, h.get_recording_job_configuration),
        Operation("SetRecordingJobMode", WRITE, h.set_recording_job_mode),
        Operation("GetRecordingJobState", READ, h.get_recording_job_state),
        Operation("OverrideSegmentDuration", WRITE, h.override_segment_duration),
        # RC §5.21-5.23 (soap/operations/recording_export.py).
        Operation("ExportRecordedData", READ,
                  exports.export_recorded_data if exports else h.not_implemented),
        Operation("StopExportRecordedData", READ,
                  exports.stop_export_recorded_data if exports else h.not_implemented),
        Operation("GetExportRecordedDataState", READ,
                  exports.get_export_recorded_data_state if exports else h.not_implemented),
        # RC 26.06 §5.26-5.28 (soap/operations/recording_segments.py)
        Operation("ListRecordedSegments", READ,
                  segments.list_recorded_segments if segments else h.not_implemented),
        Operation("ExportRecordedSegments", READ,
                  segments.export_recorded_segments if segments else h.not_implemented),
        Operation("StopExportRecordedSegments", READ,
                  segments.stop_export_recorded_segments if segments else h.not_implemented),
    ]
    return ServiceEndpoint.build(PATH, TRC, operations, DECLARED)
