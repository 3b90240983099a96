"""FindPTZPosition and GetPTZPositionSearchResults (Search §5.11, §5.12): the rows the
search endpoint (``soap.operations.search``) adds for PTZ positions recorded in
metadata tracks."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.service.search.ptz import PtzQuery
from onvif_recorder.service.search.service import SearchService
from onvif_recorder.soap.dispatch import CallContext
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.mapping.ptz_vector import read_ptz_vector, write_ptz_vector
from onvif_recorder.soap.mapping.search import (
    read_optional_int,
    read_optional_time,
    read_scope,
    read_time,
    write_result,
)
from onvif_recorder.soap.namespaces import TSE, TT, qname


def _response(name: str) -> etree._Element:
    return etree.Element(qname(TSE, name), nsmap={"tse": TSE, "tt": TT})


def _query(reader: Reader) -> PtzQuery:
    search_filter = reader.required("SearchFilter")
    enter_or_exit = search_filter.boolean("EnterOrExit")
    if enter_or_exit is None:
        raise search_filter.fail("PTZPositionFilter has no EnterOrExit")
    return PtzQuery(read_time(reader, "StartPoint"), read_optional_time(reader, "EndPoint"),
                    read_ptz_vector(search_filter, "MinPosition"),
                    read_ptz_vector(search_filter, "MaxPosition"), enter_or_exit)


class PtzSearchHandlers:
    def __init__(self, search: SearchService) -> None:
        self.search = search

    def find_ptz_position(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        reader = Reader(request)
        token = self.search.find_ptz_position(
            _query(reader), read_scope(reader), read_optional_int(reader, "MaxMatches"),
            float(reader.duration("KeepAliveTime").seconds), ctx.now.timestamp())
        response = _response("FindPTZPositionResponse")
        sub(response, qname(TSE, "SearchToken"), token)
        return response

    def get_ptz_position_search_results(self, ctx: CallContext, request: etree._Element
                                        ) -> etree._Element:
        reader = Reader(request)
        read_optional_int(reader, "MinResults")  # never waited for: every result exists
        reader.optional_duration("WaitTime")
        page = self.search.ptz_results(reader.text("SearchToken"), ctx.now.timestamp(),
                                       read_optional_int(reader, "MaxResults"))
        response = _response("GetPTZPositionSearchResultsResponse")
        results = sub(response, qname(TSE, "ResultList"))
        sub(results, qname(TT, "SearchState"), page.state.value)
        for found in page.results:
            result = write_result(results, found.recording, found.track, found.time)
            write_ptz_vector(result, qname(TT, "Position"), found.position)
        return response
