"""Schedule state: standard periods, special days overriding them, exact next edges."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from onvif_recorder.schedules.icalendar import parse_calendar
from onvif_recorder.schedules.posix_tz import PosixTimeZone
from onvif_recorder.schedules.state import Period, SpecialEntry, evaluate

BERLIN = PosixTimeZone("CET-1CEST,M3.5.0,M10.5.0/3")


def calendar(*lines: str) -> str:
    return "\n".join(["BEGIN:VCALENDAR", "BEGIN:VEVENT", *lines, "END:VEVENT", "END:VCALENDAR"])


EVERY_DAY_6_TO_18 = parse_calendar(calendar(
    "DTSTART:19700101T060000", "DTEND:19700101T180000",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"))
# Sched §5.2.2.3's example: a special day from Friday 2 PM to Saturday 10 AM, 8 AM-4 PM.
FRIDAY_TO_SATURDAY = SpecialEntry(
    parse_calendar(calendar("DTSTART:20261204T140000", "DTEND:20261205T100000")),
    (Period(time(8), time(16)),))


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> float:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(("moment", "active", "special", "next_change"), [
    (at(4, 5), False, False, at(4, 6)),
    (at(4, 7), True, False, at(4, 14)),
    (at(4, 15), True, True, at(4, 16)),   # special part of Friday: 8-16 applies
    (at(4, 17), False, True, at(5, 8)),
    (at(5, 9), True, True, at(5, 10)),    # Saturday 8-10 special
    (at(5, 11), True, False, at(5, 18)),  # special part over: the standard schedule again
])
def test_the_spec_example(moment: float, active: bool, special: bool,
                          next_change: float) -> None:
    state = evaluate(EVERY_DAY_6_TO_18, [FRIDAY_TO_SATURDAY], BERLIN, moment)
    assert (state.active, state.special_day, state.next_change) == (active, special,
                                                                      next_change)


def test_an_empty_time_range_is_inactive_all_special_day() -> None:
    holiday = SpecialEntry(parse_calendar(calendar("DTSTART;VALUE=DATE:20261225")), ())
    state = evaluate(EVERY_DAY_6_TO_18, [holiday], BERLIN, at(25, 12))
    assert (state.active, state.special_day, state.next_change) == (False, True, at(26, 0))


def test_entries_on_the_same_day_combine() -> None:
    days = parse_calendar(calendar("DTSTART;VALUE=DATE:20261225"))
    morning = SpecialEntry(days, (Period(time(8), time(9)),))
    evening = SpecialEntry(days, (Period(time(20)),))  # Until missing: midnight
    states = [evaluate(EVERY_DAY_6_TO_18, [morning, evening], BERLIN, at(25, h)).active
              for h in (8, 12, 21, 23)]
    assert states == [True, False, True, True]


def test_dst_night_periods_follow_local_time() -> None:
    night = parse_calendar(calendar("DTSTART:20260328T220000", "DTEND:20260329T060000"))
    state = evaluate(night, [], BERLIN, at(28, 23, month=3))
    assert state.active and state.next_change == at(29, 6, month=3)
    assert state.next_change - at(28, 22, month=3) == 7 * 3600  # the hour that never was


def test_utc_events_ignore_the_zone() -> None:
    utc = parse_calendar(calendar("DTSTART:20261204T120000Z", "DTEND:20261204T130000Z"))
    state = evaluate(utc, [], BERLIN, at(4, 13, 30))  # 12:30 UTC
    assert state.active and state.next_change == at(4, 14)


def test_nothing_ahead_means_no_next_change_but_a_recheck() -> None:
    once = parse_calendar(calendar("DTSTART:20200101T000000", "DTEND:20200102T000000"))
    state = evaluate(once, [], BERLIN, at(4, 12))
    assert not state.active and state.next_change is None and state.recheck > at(4, 12)


def test_weekly_recurrence_across_midnight() -> None:
    friday_night = parse_calendar(calendar(
        "DTSTART:19700102T220000", "DTEND:19700103T020000", "RRULE:FREQ=WEEKLY;BYDAY=FR"))
    saturday_1am = evaluate(friday_night, [], BERLIN, at(5, 1))  # 5 Dec 2026 is a Saturday
    assert saturday_1am.active and saturday_1am.next_change == at(5, 2)
    assert not evaluate(friday_night, [], BERLIN, at(5, 23)).active
    assert evaluate(friday_night, [], BERLIN, at(4, 21)).next_change == at(4, 22)
