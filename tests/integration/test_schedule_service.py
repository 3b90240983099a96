"""The Schedule service through a zeep client of the official schedule.wsdl, every answer
validated against the official XSD: the official test cases SCHEDULE-1..8 in spirit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from tests.conftest import RunningRecorder
from tests.integration.event_client import subscribe
from tests.integration.helpers import client, expect_fault
from tests.onvif_client import ResponseRecorder, onvif_service_with_recorder, validate_body

TSC = "http://www.onvif.org/ver10/schedule/wsdl"
WEEKDAYS = "MO,TU,WE,TH,FR,SA,SU"


def ical(*events: tuple[str, str, str | None]) -> str:
    """One VEVENT per (DTSTART, DTEND, RRULE)."""
    lines = ["BEGIN:VCALENDAR", "PRODID:VERSION:2.0"]
    for start, end, rule in events:
        lines += ["BEGIN:VEVENT", f"DTSTART:{start}", f"DTEND:{end}"]
        lines += [f"RRULE:{rule}"] if rule else []
        lines += ["END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR"])


OFFICE = ical(("19700101T080000", "19700101T180000", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"))


def schedule(name: str = "Office", standard: str = OFFICE, token: str = "",
             **extra: Any) -> dict[str, Any]:
    return {"token": token, "Name": name, "Description": "hours", "Standard": standard,
            **extra}


@pytest.fixture
def tsc(recorder: RunningRecorder) -> tuple[Any, ResponseRecorder]:
    return client(recorder, "schedule")


def test_capabilities_are_pre_auth_and_agree_with_get_services(recorder: RunningRecorder
                                                               ) -> None:
    anonymous, rec = onvif_service_with_recorder("schedule", recorder.service_url("schedule"))
    caps = anonymous.GetServiceCapabilities()
    validate_body(rec.last)
    device, device_rec = client(recorder, "device")
    [entry] = [s for s in device.GetServices(IncludeCapability=True) if s.Namespace == TSC]
    assert entry.XAddr == recorder.service_url("schedule")
    [listed] = etree.fromstring(device_rec.last).iter(f"{{{TSC}}}Capabilities")
    for name in ("MaxLimit", "MaxSchedules", "MaxTimePeriodsPerDay", "MaxSpecialDayGroups",
                 "MaxDaysInSpecialDayGroup", "MaxSpecialDaysSchedules",
                 "ExtendedRecurrenceSupported", "SpecialDaysSupported",
                 "StateReportingSupported", "ClientSuppliedTokenSupported"):
        assert str(listed.get(name)).lower() == str(getattr(caps, name)).lower(), name
    assert caps.StateReportingSupported and caps.SpecialDaysSupported


def test_create_read_modify_delete_with_events(recorder: RunningRecorder,
                                               tsc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tsc
    events = subscribe(recorder, "tns1:Configuration//.")
    token = svc.CreateSchedule(Schedule=schedule())
    validate_body(rec.last)
    [info] = svc.GetScheduleInfo(Token=[token])
    validate_body(rec.last)
    [full] = svc.GetSchedules(Token=[token])
    assert (info.token, info.Name, full.Standard) == (token, "Office", OFFICE)  # verbatim
    assert [s.token for s in svc.GetScheduleList().Schedule] == [token]
    svc.ModifySchedule(Schedule=schedule("Shop", token=token))
    assert svc.GetSchedules(Token=[token])[0].Name == "Shop"
    svc.DeleteSchedule(Token=token)
    validate_body(rec.last)
    assert svc.GetSchedules(Token=[token]) == []
    got = events.pull_until(lambda r: len(r) >= 3)
    assert [(e.topic, e.source) for e in got] == [
        ("tns1:Configuration/Schedule/Changed", {"ScheduleToken": token}),
        ("tns1:Configuration/Schedule/Changed", {"ScheduleToken": token}),
        ("tns1:Configuration/Schedule/Removed", {"ScheduleToken": token})]


def test_set_schedule_creates_and_replaces_with_a_client_token(
        tsc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tsc
    svc.SetSchedule(Schedule=schedule(token="night"))
    validate_body(rec.last)
    svc.SetSchedule(Schedule=schedule("Night shift", token="night"))
    [info] = svc.GetScheduleInfo(Token=["night"])
    assert info.Name == "Night shift"
    expect_fault(svc.SetSchedule, Schedule=schedule(token=""),
                 chain=["Sender", "InvalidArgs"], rec=rec)


def test_paging_never_exceeds_the_limit_and_walks_everything(
        tsc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tsc
    tokens = [svc.CreateSchedule(Schedule=schedule(f"S{i}")) for i in range(5)]
    seen: list[str] = []
    reference = None
    while True:
        page = svc.GetScheduleInfoList(Limit=2, StartReference=reference)
        validate_body(rec.last)
        assert len(page.ScheduleInfo) <= 2
        seen += [s.token for s in page.ScheduleInfo]
        reference = page.NextStartReference
        if reference is None:
            break
    assert seen == tokens
    svc.DeleteSchedule(Token=tokens[3])
    expect_fault(svc.GetScheduleList, Limit=2, StartReference=tokens[3],
                 chain=["Sender", "InvalidArgVal", "InvalidStartReference"], rec=rec)


def test_faults_named_by_the_spec(tsc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tsc
    caps = svc.GetServiceCapabilities()
    expect_fault(svc.GetScheduleInfo, Token=[f"t{i}" for i in range(caps.MaxLimit + 1)],
                 chain=["Sender", "InvalidArgs", "TooManyItems"], rec=rec)
    expect_fault(svc.CreateSchedule, Schedule=schedule(token="mine"),
                 chain=["Sender", "InvalidArgVal"], rec=rec)
    expect_fault(svc.ModifySchedule, Schedule=schedule(token="nobody"),
                 chain=["Sender", "InvalidArgVal", "NotFound"], rec=rec)
    expect_fault(svc.DeleteSchedule, Token="nobody",
                 chain=["Sender", "InvalidArgVal", "NotFound"], rec=rec)
    expect_fault(svc.GetScheduleState, Token="nobody",
                 chain=["Sender", "InvalidArgVal", "NotFound"], rec=rec)
    expect_fault(svc.CreateSchedule, Schedule=schedule(standard="BEGIN:VCALENDAR\nEND"),
                 chain=["Sender", "InvalidArgVal"], rec=rec)
    too_many = ical(*[(f"19700101T{h:02d}0000", f"19700101T{h:02d}3000", "FREQ=WEEKLY;BYDAY=MO")
                      for h in range(caps.MaxTimePeriodsPerDay + 1)])
    expect_fault(svc.CreateSchedule, Schedule=schedule(standard=too_many),
                 chain=["Sender", "CapabilityViolated", "MaxTimePeriodsPerDay"], rec=rec)
    just_enough = ical(*[(f"19700101T{h:02d}0000", f"19700101T{h:02d}3000", "FREQ=WEEKLY;BYDAY=MO")
                         for h in range(caps.MaxTimePeriodsPerDay)])
    assert svc.CreateSchedule(Schedule=schedule(standard=just_enough))
    expect_fault(svc.CreateSchedule, Schedule=schedule(SpecialDays=[{"GroupToken": "none"}]),
                 chain=["Sender", "InvalidArgVal", "ReferenceNotFound"], rec=rec)


def test_special_day_groups_and_their_use(recorder: RunningRecorder,
                                          tsc: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = tsc
    events = subscribe(recorder, "tns1:Configuration/SpecialDays//.")
    days = ical(("20261225T000000", "20261226T000000", None))
    group = svc.CreateSpecialDayGroup(SpecialDayGroup={"token": "", "Name": "Holidays",
                                                       "Days": days})
    validate_body(rec.last)
    [read] = svc.GetSpecialDayGroups(Token=[group])
    validate_body(rec.last)
    assert (read.Name, read.Days) == ("Holidays", days)
    assert [g.token for g in svc.GetSpecialDayGroupInfoList().SpecialDayGroupInfo] == [group]
    bad_range = {"GroupToken": group, "TimeRange": [{"From": "10:00:00", "Until": "09:00:00"}]}
    expect_fault(svc.CreateSchedule, Schedule=schedule(SpecialDays=[bad_range]),
                 chain=["Sender", "InvalidArgVal"], rec=rec)
    special = {"GroupToken": group, "TimeRange": [{"From": "09:00:00", "Until": "12:00:00"}]}
    token = svc.CreateSchedule(Schedule=schedule(SpecialDays=[special]))
    expect_fault(svc.DeleteSpecialDayGroup, Token=group,
                 chain=["Sender", "InvalidArgVal", "ReferenceInUse"], rec=rec)
    svc.DeleteSchedule(Token=token)
    svc.DeleteSpecialDayGroup(Token=group)
    expect_fault(svc.DeleteSpecialDayGroup, Token=group,
                 chain=["Sender", "InvalidArgVal", "NotFound"], rec=rec)
    expect_fault(svc.SetSpecialDayGroup, SpecialDayGroup={"token": "", "Name": "x"},
                 chain=["Sender", "InvalidArgVal", "MissingToken"], rec=rec)
    got = events.pull_until(lambda r: len(r) >= 2)
    assert [e.topic for e in got] == ["tns1:Configuration/SpecialDays/Changed",
                                      "tns1:Configuration/SpecialDays/Removed"]


def utc_ical(start: datetime, end: datetime) -> str:
    return ical((start.strftime("%Y%m%dT%H%M%SZ"), end.strftime("%Y%m%dT%H%M%SZ"), None))


def test_state_turns_active_at_the_edge_with_an_event(
        recorder: RunningRecorder, tsc: tuple[Any, ResponseRecorder]) -> None:
    """SCHEDULE-6-1-2 and 7-1-1: Initialized per schedule, Changed at the edge, and
    GetScheduleState agrees; SpecialDay is in the state iff the schedule has SpecialDays."""
    svc, rec = tsc
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    token = svc.CreateSchedule(Schedule=schedule("Soon", utc_ical(start, start + timedelta(
        hours=1))))
    events = subscribe(recorder, "tns1:Schedule/State/Active")
    initial = events.pull_until(lambda r: len(r) >= 1)
    assert (initial[0].operation, initial[0].source, initial[0].data) == (
        "Initialized", {"ScheduleToken": token, "Name": "Soon"},
        {"Active": "false", "SpecialDay": "false"})
    state = svc.GetScheduleState(Token=token)
    validate_body(rec.last)
    assert state.Active is False and state.SpecialDay is None
    changed = events.pull_until(lambda r: len(r) >= 1, within=10)
    arrived = datetime.now(UTC)
    assert (changed[0].operation, changed[0].data) == ("Changed",
                                                       {"Active": "true", "SpecialDay": "false"})
    assert start <= arrived < start + timedelta(seconds=3)
    assert svc.GetScheduleState(Token=token).Active is True
    svc.DeleteSchedule(Token=token)
    deleted = events.pull_until(lambda r: len(r) >= 1)
    assert deleted[0].operation == "Deleted"


def test_a_special_day_today_overrides_the_standard_schedule(
        tsc: tuple[Any, ResponseRecorder]) -> None:
    """SCHEDULE-6-1-3: make today a special day with an empty TimeRange: inactive."""
    svc, rec = tsc
    always = ical(("19700101T000000", "19700102T000000", f"FREQ=WEEKLY;BYDAY={WEEKDAYS}"))
    today = datetime.now(UTC).strftime("%Y%m%d")
    group = svc.CreateSpecialDayGroup(SpecialDayGroup={
        "token": "", "Name": "Today", "Days": ical((f"{today}T000000", f"{today}T235959", None))})
    token = svc.CreateSchedule(Schedule=schedule("Always", always,
                                                 SpecialDays=[{"GroupToken": group}]))
    state = svc.GetScheduleState(Token=token)
    validate_body(rec.last)
    assert (state.Active, state.SpecialDay) == (False, True)


def test_modify_refuses_what_create_refuses_and_lists_stay_consistent(
        recorder: RunningRecorder, tsc: tuple[Any, ResponseRecorder]) -> None:
    """SCHEDULE-3-1-14: ModifySchedule with MaxTimePeriodsPerDay periods a day is taken,
    one more is CapabilityViolated/MaxTimePeriodsPerDay; SCHEDULE-3-1-15: a special day's
    TimeRange ending before it starts is InvalidArgVal on Modify too; SCHEDULE-8-1-1: every
    special-day group a schedule names is in GetSpecialDayGroupInfoList. A refused Modify
    leaves the schedule as it was."""
    svc, rec = tsc
    caps = svc.GetServiceCapabilities()
    group = svc.CreateSpecialDayGroup(SpecialDayGroup={
        "token": "", "Name": "Holidays", "Days": ical(("20261225T000000", "20261226T000000",
                                                       None))})
    special = {"GroupToken": group, "TimeRange": [{"From": "09:00:00", "Until": "12:00:00"}]}
    token = svc.CreateSchedule(Schedule=schedule(SpecialDays=[special]))

    def periods(count: int) -> str:
        return ical(*[(f"19700101T{h:02d}0000", f"19700101T{h:02d}3000", "FREQ=WEEKLY;BYDAY=TU")
                      for h in range(count)])

    svc.ModifySchedule(Schedule=schedule(token=token, standard=periods(caps.MaxTimePeriodsPerDay),
                                         SpecialDays=[special]))
    validate_body(rec.last)
    expect_fault(svc.ModifySchedule,
                 Schedule=schedule(token=token, standard=periods(caps.MaxTimePeriodsPerDay + 1)),
                 chain=["Sender", "CapabilityViolated", "MaxTimePeriodsPerDay"], rec=rec)
    backwards = {"GroupToken": group, "TimeRange": [{"From": "10:00:00", "Until": "09:00:00"}]}
    expect_fault(svc.ModifySchedule, Schedule=schedule(token=token, SpecialDays=[backwards]),
                 chain=["Sender", "InvalidArgVal"], rec=rec)
    [kept] = svc.GetSchedules(Token=[token])
    validate_body(rec.last)
    assert kept.Standard == periods(caps.MaxTimePeriodsPerDay)
    listed = {g.token for g in svc.GetSpecialDayGroupInfoList().SpecialDayGroupInfo}
    validate_body(rec.last)
    named = {s.GroupToken for item in svc.GetScheduleList().Schedule
             for s in (item.SpecialDays or [])}
    assert named and named <= listed
    svc.DeleteSchedule(Token=token)
    svc.DeleteSpecialDayGroup(Token=group)
