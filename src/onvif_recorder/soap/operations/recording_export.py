"""ExportRecordedData, StopExportRecordedData, GetExportRecordedDataState (RC 25.12
§5.21-5.23) on the recording service endpoint, and DeleteRecording's wait for exports
of the recording (§5.21)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from lxml import etree

from onvif_recorder.domain.errors import BadConfiguration
from onvif_recorder.domain.export import StorageDestination, safe_relative_path
from onvif_recorder.engine.exports import ExportRunner
from onvif_recorder.service.exports import (
    Caller,
    ExportOperation,
    ExportRequest,
    check_request,
    plan_jobs,
)
from onvif_recorder.service.search.service import SearchService
from onvif_recorder.service.state import StateHolder
from onvif_recorder.soap.dispatch import CallContext
from onvif_recorder.soap.mapping.operation_status import write_file_progress
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.mapping.search import read_optional_time, read_scope
from onvif_recorder.soap.namespaces import TRC, TT, qname
from onvif_recorder.storage.segment_index import SegmentIndex

PATH = "/onvif/recording_service"
DEVICE_PATH = "/onvif/device_service"
UNIT_NAME = "onvif-recorder"


def _response(name: str) -> etree._Element:
    return etree.Element(qname(TRC, name), nsmap={"trc": TRC, "tt": TT})


def read_export_request(request: etree._Element) -> ExportRequest:
    reader = Reader(request, BadConfiguration)
    destination = reader.required("StorageDestination")
    relative = destination.optional_text("RelativePath") or ""
    return ExportRequest(
        read_optional_time(reader, "StartPoint"), read_optional_time(reader, "EndPoint"),
        read_scope(Reader(request), "SearchScope"), reader.text("FileFormat").strip(),
        StorageDestination(destination.token("StorageToken"), relative.strip()))


class ExportHandlers:
    def __init__(self, holder: StateHolder, search: SearchService, runner: ExportRunner,
                 database: str) -> None:
        self.holder = holder
        self.search = search
        self.runner = runner
        self.database = database

    def export_recorded_data(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        parsed = read_export_request(request)
        state = self.holder.state
        storage = check_request(parsed, state)
        tokens = self.search.recordings_in_scope(parsed.scope)
        caller = Caller(UNIT_NAME, ctx.base_url + DEVICE_PATH,
                        ctx.user.username if ctx.user else "")
        jobs = plan_jobs(parsed, tokens, state, self._first_start(parsed),
                         caller, ctx.now.timestamp())
        operation = ExportOperation(self.runner.new_token(), ctx.base_url + PATH, jobs,
                                    storage,
                                    safe_relative_path(parsed.destination.relative_path))
        self.runner.start(operation)
        response = _response("ExportRecordedDataResponse")
        sub(response, qname(TRC, "OperationToken"), operation.token)
        for job in jobs:
            sub(response, qname(TRC, "FileNames"), operation.location(job.name))
        return response

    def _first_start(self, request: ExportRequest) -> Callable[[str], float | None]:
        """UTC of the first segment of a recording in the range; None when nothing is."""
        low = request.start if request.start is not None else 0.0
        high = request.end if request.end is not None else 1e11

        def first(token: str) -> float | None:
            index = SegmentIndex(self.database)
            try:
                rows = index.overlapping(token, low, high)
            finally:
                index.close()
            return rows[0].start_utc if rows else None

        return first

    async def stop_export_recorded_data(self, _: CallContext, request: etree._Element
                                        ) -> etree._Element:
        token = Reader(request, BadConfiguration).token("OperationToken")
        operation = await self.runner.stop(token)
        return _state_response("StopExportRecordedDataResponse", operation)

    def get_export_recorded_data_state(self, _: CallContext, request: etree._Element
                                       ) -> etree._Element:
        token = Reader(request, BadConfiguration).token("OperationToken")
        return _state_response("GetExportRecordedDataStateResponse",
                               self.runner.operation(token))

    def deleting(self, delete: Callable[[CallContext, etree._Element], etree._Element]
                 ) -> Callable[[CallContext, etree._Element], Awaitable[etree._Element]]:
        """DeleteRecording, deferred until exports of the recording finished (§5.21)."""
        async def handler(ctx: CallContext, request: etree._Element) -> etree._Element:
            token = Reader(request).token("RecordingToken")
            if token in self.holder.state.recordings:
                await self.runner.recording_released(token)
            return delete(ctx, request)

        return handler


def _state_response(name: str, operation: ExportOperation) -> etree._Element:
    response = _response(name)
    sub(response, qname(TRC, "Progress"), f"{operation.progress:.4f}")
    write_file_progress(response, qname(TRC, "FileProgressStatus"), operation.file_status())
    return response
