"""The RC 26.06 segment operations of the Recording Control endpoint (§5.26-5.28):
ListRecordedSegments, ExportRecordedSegments, StopExportRecordedSegments (READ_MEDIA).

Semantics in ``service.recorded_segments``, the uploads in ``engine.segment_exports``.
Answers follow the 26.06 recording.wsdl: ``ListRecordedSegmentsResponse/Results`` holds
the ``Segment``s and ``HasMoreResults`` (the text leaves ``Results`` out).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from onvif_recorder.domain.errors import BadDuration, InvalidArgVal, OnvifError
from onvif_recorder.engine.segment_exports import SegmentExports
from onvif_recorder.service.recorded_segments import ExportRequest, RecordedSegments
from onvif_recorder.soap.dispatch import CallContext
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.namespaces import TRC, TT, qname

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _trc(name: str) -> str:
    return qname(TRC, name)


def read_micros(reader: Reader, name: str) -> int:
    """xs:dateTime as whole microseconds since the epoch; no zone means UTC."""
    text = reader.required(name).value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise reader.fail(f"{name} {text[:40]!r} is not an xs:dateTime") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return (moment - _EPOCH) // _MICROSECOND


def write_micros(micros: int) -> str:
    """xs:dateTime in UTC, fraction to the microsecond (at least milliseconds)."""
    moment = _EPOCH + timedelta(microseconds=micros)
    fraction = f"{moment.microsecond:06d}".rstrip("0").ljust(3, "0")
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + fraction + "Z"


def _time_range(request: etree._Element, error: type[OnvifError]) -> tuple[int, int]:
    time = Reader(request).required("Time")
    reader = Reader(time.element, error)
    return read_micros(reader, "From"), read_micros(reader, "Until")


class SegmentHandlers:
    def __init__(self, segments: RecordedSegments, exports: SegmentExports,
                 service_path: str) -> None:
        self.segments = segments
        self.exports = exports
        self.service_path = service_path

    def list_recorded_segments(self, _: CallContext, request: etree._Element
                               ) -> etree._Element:
        reader = Reader(request)
        token = reader.token("RecordingToken")
        start, end = _time_range(request, InvalidArgVal)  # §5.26 names no time fault
        limit = reader.integer("MaxResults") if reader.child("MaxResults") is not None else None
        page = self.segments.list(token, start, end, limit)
        response = etree.Element(_trc("ListRecordedSegmentsResponse"),
                                 nsmap={"trc": TRC, "tt": TT})
        results = sub(response, _trc("Results"))
        for segment in page.segments:
            element = sub(results, _trc("Segment"))
            sub(element, _trc("StartTime"), write_micros(segment.start_us))
            sub(element, _trc("EndTime"), write_micros(segment.end_us))
            sub(element, _trc("MediaType"), segment.media_type)
        sub(results, _trc("HasMoreResults"), "true" if page.has_more else "false")
        return response

    def export_recorded_segments(self, ctx: CallContext, request: etree._Element
                                 ) -> etree._Element:
        reader = Reader(request)
        token = reader.token("RecordingToken")
        self.segments.recording(token)  # NoRecording before BadDuration
        start, end = _time_range(request, BadDuration)
        storage = reader.child("StorageToken")
        export = ExportRequest(token, start, end, reader.optional_text("Alias"),
                               None if storage is None else reader.token("StorageToken"),
                               reader.optional_text("Track"))
        job = self.segments.plan_export(export, ctx.base_url + self.service_path)
        self.exports.submit(job)
        response = etree.Element(_trc("ExportRecordedSegmentsResponse"), nsmap={"trc": TRC})
        sub(response, _trc("OperationToken"), job.token)
        return response

    def stop_export_recorded_segments(self, _: CallContext, request: etree._Element
                                      ) -> etree._Element:
        self.exports.stop(Reader(request).token("OperationToken"))
        return etree.Element(_trc("StopExportRecordedSegmentsResponse"), nsmap={"trc": TRC})
