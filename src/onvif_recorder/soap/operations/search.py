"""Recording Search service endpoint (tse): one row per operation of search.wsdl (the
PTZ position search's handlers live in ``soap.operations.search_ptz``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lxml import etree

from onvif_recorder.domain.errors import InvalidFilterFault
from onvif_recorder.events.errors import EventServiceError
from onvif_recorder.events.filters import EventFilter
from onvif_recorder.events.item_filter import ContentFilter, parse_item_filter
from onvif_recorder.events.topic_expression import (
    CONCRETE_SET,
    TopicExpression,
    parse_topic_expression,
)
from onvif_recorder.events.topics import TOPIC_NAMESPACE, Message, Topic
from onvif_recorder.service.capabilities import SearchCapabilities
from onvif_recorder.service.events import DomainEvent, Notification, PropertyOperation
from onvif_recorder.service.search.history import EventQuery
from onvif_recorder.service.search.recorded import RecordedNotification, whole_ms
from onvif_recorder.service.search.scope import xs_datetime
from onvif_recorder.service.search.service import MetadataQuery, SearchService
from onvif_recorder.service.search.xpath import parse_filter
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.events import notification_element
from onvif_recorder.soap.mapping.primitives import Reader, local_name, sub
from onvif_recorder.soap.mapping.search import (
    read_optional_int,
    read_optional_time,
    read_scope,
    read_time,
    write_event_result,
    write_information,
    write_media_attributes,
    write_result,
    write_search_capabilities,
    write_summary,
)
from onvif_recorder.soap.namespaces import TSE, TT, qname
from onvif_recorder.soap.operations.search_ptz import PtzSearchHandlers
from onvif_recorder.soap.security.access import AccessClass
from onvif_recorder.soap.xmlparse import parse_document

PATH = "/onvif/search_service"
READ = AccessClass.READ_MEDIA


def _tse(name: str) -> str:
    return qname(TSE, name)


def _response(name: str) -> etree._Element:
    return etree.Element(_tse(name), nsmap={"tse": TSE, "tt": TT})


def _now(ctx: CallContext) -> float:
    return ctx.now.timestamp()


def _keep_alive(reader: Reader) -> float:
    return float(reader.duration("KeepAliveTime").seconds)


def _paging(reader: Reader) -> int | None:
    """MinResults and WaitTime are checked for type only: results never need waiting for
    (sessions.py); MaxResults bounds the answer."""
    read_optional_int(reader, "MinResults")
    reader.optional_duration("WaitTime")
    return read_optional_int(reader, "MaxResults")


def _component(element: etree._Element) -> tuple[TopicExpression | None, ContentFilter | None]:
    """One filter component; topic expressions may name any topic (metadata tracks
    record whatever events the camera sends)."""
    if any(isinstance(child.tag, str) for child in element):
        raise InvalidFilterFault("a filter expression must be text")
    namespaces = element.nsmap
    resolve: Callable[[str], str | None] = lambda p: namespaces.get(p or None)  # noqa: E731
    text, dialect = element.text or "", element.get("Dialect", "").strip()
    if local_name(element) == "TopicExpression":
        return parse_topic_expression(text, dialect or CONCRETE_SET, resolve, None), None
    if local_name(element) == "MessageContent":
        return None, parse_item_filter(text, dialect, resolve)
    raise InvalidFilterFault(f"unsupported filter component {local_name(element)!r}")


def _recorded_message(event: RecordedNotification) -> Message:
    operations = {o.value: o for o in PropertyOperation}
    operation = operations.get(event.operation or "")
    # Topic expressions match ONVIF topics only (events.topic_expression); a vendor
    # topic gets a path no expression can name.
    path = event.topic if event.topic_namespace == TOPIC_NAMESPACE \
        else (f"{{{event.topic_namespace}}}", *event.topic)
    return Message(Topic(path, operation is not None, ()), event.source, event.data, operation)


def _recorded_filter(topics: list[TopicExpression], contents: list[ContentFilter]
                     ) -> Callable[[RecordedNotification], bool]:
    def accepts(event: RecordedNotification) -> bool:
        message = _recorded_message(event)
        return all(t.matches(message.topic) for t in topics) and all(
            content(message) for content in contents)

    return accepts


def read_search_filter(reader: Reader) -> tuple[Callable[[DomainEvent], bool],
                                                Callable[[RecordedNotification], bool]]:
    """tt:EventFilter (wsnt:FilterType): topic expressions and ItemFilter content
    filters (the event service's) over the recording history and over the events
    recorded in metadata tracks; empty means every event (§5.9)."""
    found = reader.child("SearchFilter")
    topics, contents = [], []
    try:
        for element in ([] if found is None else found.element):
            if not isinstance(element.tag, str):
                continue
            topic, content = _component(element)
            topics += [topic] if topic is not None else []
            contents += [content] if content is not None else []
    except EventServiceError as error:
        raise InvalidFilterFault(str(error)) from None
    return EventFilter(tuple(topics), tuple(contents)).accepts, _recorded_filter(topics,
                                                                                  contents)


class SearchHandlers:
    def __init__(self, search: SearchService, caps: SearchCapabilities) -> None:
        self.search = search
        self.caps = caps

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_search_capabilities(response, self.caps)
        return response

    def get_recording_summary(self, ctx: CallContext, _: etree._Element) -> etree._Element:
        response = _response("GetRecordingSummaryResponse")
        write_summary(response, self.search.summary(_now(ctx)))
        return response

    def get_recording_information(self, _: CallContext, request: etree._Element
                                  ) -> etree._Element:
        info = self.search.information(Reader(request).token("RecordingToken"))
        response = _response("GetRecordingInformationResponse")
        write_information(response, _tse("RecordingInformation"), info)
        return response

    def get_media_attributes(self, _: CallContext, request: etree._Element) -> etree._Element:
        reader = Reader(request)
        tokens = [r.value.strip() for r in reader.children("RecordingTokens")]
        response = _response("GetMediaAttributesResponse")
        for attributes in self.search.media_attributes(tokens, read_time(reader, "Time")):
            write_media_attributes(response, attributes)
        return response

    def find_recordings(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        reader = Reader(request)
        token = self.search.find_recordings(
            read_scope(reader), read_optional_int(reader, "MaxMatches"), _keep_alive(reader),
            _now(ctx))
        response = _response("FindRecordingsResponse")
        sub(response, _tse("SearchToken"), token)
        return response

    def get_recording_search_results(self, ctx: CallContext, request: etree._Element
                                     ) -> etree._Element:
        reader = Reader(request)
        page = self.search.recording_results(reader.text("SearchToken"), _now(ctx),
                                             _paging(reader))
        response = _response("GetRecordingSearchResultsResponse")
        results = sub(response, _tse("ResultList"))
        sub(results, qname(TT, "SearchState"), page.state.value)
        for info in page.results:
            write_information(results, qname(TT, "RecordingInformation"), info)
        return response

    def find_events(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        reader = Reader(request)
        include = reader.boolean("IncludeStartState")
        if include is None:
            raise reader.fail("FindEvents has no IncludeStartState")
        history, recorded = read_search_filter(reader)
        query = EventQuery(read_time(reader, "StartPoint"), read_optional_time(reader, "EndPoint"),
                           include, history, recorded)
        token = self.search.find_events(query, read_scope(reader),
                                        read_optional_int(reader, "MaxMatches"),
                                        _keep_alive(reader), _now(ctx))
        response = _response("FindEventsResponse")
        sub(response, _tse("SearchToken"), token)
        return response

    def get_event_search_results(self, ctx: CallContext, request: etree._Element
                                 ) -> etree._Element:
        reader = Reader(request)
        page = self.search.event_results(reader.text("SearchToken"), _now(ctx), _paging(reader))
        response = _response("GetEventSearchResultsResponse")
        results = sub(response, _tse("ResultList"))
        sub(results, qname(TT, "SearchState"), page.state.value)
        producer = ctx.base_url + PATH
        for result in page.results:
            # UtcTime equals the result's Time, at the answers' millisecond precision.
            moment = datetime.fromtimestamp(0, UTC) + timedelta(milliseconds=whole_ms(result.time))
            if isinstance(result.event, RecordedNotification):
                holder = parse_document(result.event.xml)  # as recorded
            else:
                holder = notification_element(Notification(result.event, moment, 0), producer)
            write_event_result(results, result, holder)
        return response

    def find_metadata(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        reader = Reader(request)
        stream_filter = reader.required("MetadataFilter").required("MetadataStreamFilter")
        text = stream_filter.value.strip()
        query = MetadataQuery(read_time(reader, "StartPoint"),
                              read_optional_time(reader, "EndPoint"),
                              parse_filter(text) if text else None)
        token = self.search.find_metadata(query, read_scope(reader),
                                          read_optional_int(reader, "MaxMatches"),
                                          _keep_alive(reader), _now(ctx))
        response = _response("FindMetadataResponse")
        sub(response, _tse("SearchToken"), token)
        return response

    def get_metadata_search_results(self, ctx: CallContext, request: etree._Element
                                    ) -> etree._Element:
        reader = Reader(request)
        page = self.search.metadata_results(reader.text("SearchToken"), _now(ctx),
                                            _paging(reader))
        response = _response("GetMetadataSearchResultsResponse")
        results = sub(response, _tse("ResultList"))
        sub(results, qname(TT, "SearchState"), page.state.value)
        for found in page.results:
            write_result(results, found.recording, found.track, found.time)
        return response

    def end_search(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        endpoint = self.search.end_search(Reader(request).text("SearchToken"), _now(ctx))
        response = _response("EndSearchResponse")
        sub(response, _tse("Endpoint"), xs_datetime(endpoint))  # search.wsdl spelling
        return response

    def get_search_state(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        state = self.search.search_state(Reader(request).text("SearchToken"), _now(ctx))
        response = _response("GetSearchStateResponse")
        sub(response, _tse("State"), state.value)
        return response


def search_endpoint(handlers: SearchHandlers) -> ServiceEndpoint:
    h, ptz = handlers, PtzSearchHandlers(handlers.search)
    operations = [
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("GetRecordingSummary", READ, h.get_recording_summary),
        Operation("GetRecordingInformation", READ, h.get_recording_information),
        Operation("GetMediaAttributes", READ, h.get_media_attributes),
        Operation("FindRecordings", READ, h.find_recordings),
        Operation("GetRecordingSearchResults", READ, h.get_recording_search_results),
        Operation("FindEvents", READ, h.find_events),
        Operation("GetEventSearchResults", READ, h.get_event_search_results),
        Operation("FindMetadata", READ, h.find_metadata),
        Operation("GetMetadataSearchResults", READ, h.get_metadata_search_results),
        Operation("FindPTZPosition", READ, ptz.find_ptz_position),
        Operation("GetPTZPositionSearchResults", READ, ptz.get_ptz_position_search_results),
        Operation("EndSearch", READ, h.end_search),
        Operation("GetSearchState", READ, h.get_search_state),
    ]
    return ServiceEndpoint.build(PATH, TSE, operations, ())
