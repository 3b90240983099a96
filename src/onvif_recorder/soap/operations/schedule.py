"""Schedule service endpoint (tsc, Sched §5): every operation of schedule.wsdl."""

from __future__ import annotations

import time
from collections.abc import Callable

from lxml import etree

from onvif_recorder.domain.errors import InvalidArgs
from onvif_recorder.domain.schedule import Schedule, SpecialDayGroup
from onvif_recorder.service.schedule_states import ScheduleStates
from onvif_recorder.service.schedules import ScheduleService
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.mapping.schedule import (
    read_group,
    read_page,
    read_schedule,
    read_tokens,
    tsc,
    write_capabilities,
    write_group,
    write_group_info,
    write_schedule,
    write_schedule_info,
    write_state,
)
from onvif_recorder.soap.namespaces import PT, TSC
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/schedule_service"
READ = AccessClass.READ_SYSTEM
WRITE = AccessClass.WRITE_SYSTEM


def _response(name: str) -> etree._Element:
    return etree.Element(tsc(name), nsmap={"tsc": TSC, "pt": PT})


class ScheduleHandlers:
    def __init__(self, schedules: ScheduleService, states: ScheduleStates,
                 clock: Callable[[], float] = time.time) -> None:
        self.schedules = schedules
        self.states = states
        self.clock = clock

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_capabilities(response, self.schedules.capabilities)
        return response

    def get_schedule_info(self, _: CallContext, request: etree._Element) -> etree._Element:
        response = _response("GetScheduleInfoResponse")
        for schedule in self.schedules.schedules(read_tokens(request)):
            write_schedule_info(response, schedule)
        return response

    def get_schedule_info_list(self, _: CallContext, request: etree._Element
                               ) -> etree._Element:
        following, page = self.schedules.schedule_list(*read_page(request))
        response = _next(_response("GetScheduleInfoListResponse"), following)
        for schedule in page:
            write_schedule_info(response, schedule)
        return response

    def get_schedules(self, _: CallContext, request: etree._Element) -> etree._Element:
        response = _response("GetSchedulesResponse")
        for schedule in self.schedules.schedules(read_tokens(request)):
            write_schedule(response, "Schedule", schedule)
        return response

    def get_schedule_list(self, _: CallContext, request: etree._Element) -> etree._Element:
        following, page = self.schedules.schedule_list(*read_page(request))
        response = _next(_response("GetScheduleListResponse"), following)
        for schedule in page:
            write_schedule(response, "Schedule", schedule)
        return response

    def create_schedule(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = self.schedules.create_schedule(_schedule(request))
        response = _response("CreateScheduleResponse")
        sub(response, tsc("Token"), token)
        return response

    def set_schedule(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.schedules.set_schedule(_schedule(request))
        return _response("SetScheduleResponse")

    def modify_schedule(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.schedules.modify_schedule(_schedule(request))
        return _response("ModifyScheduleResponse")

    def delete_schedule(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.schedules.delete_schedule(Reader(request).token("Token"))
        return _response("DeleteScheduleResponse")

    def get_group_info(self, _: CallContext, request: etree._Element) -> etree._Element:
        response = _response("GetSpecialDayGroupInfoResponse")
        for group in self.schedules.groups(read_tokens(request)):
            write_group_info(response, group)
        return response

    def get_group_info_list(self, _: CallContext, request: etree._Element) -> etree._Element:
        following, page = self.schedules.group_list(*read_page(request))
        response = _next(_response("GetSpecialDayGroupInfoListResponse"), following)
        for group in page:
            write_group_info(response, group)
        return response

    def get_groups(self, _: CallContext, request: etree._Element) -> etree._Element:
        response = _response("GetSpecialDayGroupsResponse")
        for group in self.schedules.groups(read_tokens(request)):
            write_group(response, "SpecialDayGroup", group)
        return response

    def get_group_list(self, _: CallContext, request: etree._Element) -> etree._Element:
        following, page = self.schedules.group_list(*read_page(request))
        response = _next(_response("GetSpecialDayGroupListResponse"), following)
        for group in page:
            write_group(response, "SpecialDayGroup", group)
        return response

    def create_group(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = self.schedules.create_group(_group(request))
        response = _response("CreateSpecialDayGroupResponse")
        sub(response, tsc("Token"), token)
        return response

    def set_group(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.schedules.set_group(_group(request))
        return _response("SetSpecialDayGroupResponse")

    def modify_group(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.schedules.modify_group(_group(request))
        return _response("ModifySpecialDayGroupResponse")

    def delete_group(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.schedules.delete_group(Reader(request).token("Token"))
        return _response("DeleteSpecialDayGroupResponse")

    def get_schedule_state(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = Reader(request).token("Token")
        state = self.states.state(token, self.clock())
        schedule = self.schedules.schedules([token])[0]
        response = _response("GetScheduleStateResponse")
        write_state(response, state, bool(schedule.special_days))
        return response


def _schedule(request: etree._Element) -> Schedule:
    return read_schedule(Reader(request, InvalidArgs).required("Schedule").element)


def _group(request: etree._Element) -> SpecialDayGroup:
    return read_group(Reader(request, InvalidArgs).required("SpecialDayGroup").element)


def _next(response: etree._Element, following: str | None) -> etree._Element:
    if following is not None:
        sub(response, tsc("NextStartReference"), following)
    return response


def schedule_endpoint(handlers: ScheduleHandlers) -> ServiceEndpoint:
    h = handlers
    operations = [
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("GetScheduleInfo", READ, h.get_schedule_info),
        Operation("GetScheduleInfoList", READ, h.get_schedule_info_list),
        Operation("GetSchedules", READ, h.get_schedules),
        Operation("GetScheduleList", READ, h.get_schedule_list),
        Operation("CreateSchedule", WRITE, h.create_schedule),
        Operation("SetSchedule", WRITE, h.set_schedule),
        Operation("ModifySchedule", WRITE, h.modify_schedule),
        Operation("DeleteSchedule", WRITE, h.delete_schedule),
        Operation("GetSpecialDayGroupInfo", READ, h.get_group_info),
        Operation("GetSpecialDayGroupInfoList", READ, h.get_group_info_list),
        Operation("GetSpecialDayGroups", READ, h.get_groups),
        Operation("GetSpecialDayGroupList", READ, h.get_group_list),
        Operation("CreateSpecialDayGroup", WRITE, h.create_group),
        Operation("SetSpecialDayGroup", WRITE, h.set_group),
        Operation("ModifySpecialDayGroup", WRITE, h.modify_group),
        Operation("DeleteSpecialDayGroup", WRITE, h.delete_group),
        Operation("GetScheduleState", AccessClass.READ_SYSTEM_SENSITIVE, h.get_schedule_state),
    ]
    return ServiceEndpoint.build(PATH, TSC, operations, ())
