"""The iCalendar subset: parsing (lenient where the spec's examples are) and recurrence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from onvif_recorder.schedules.icalendar import CalendarError, parse_calendar
from onvif_recorder.schedules.recurrence import occurrences


def calendar(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "BEGIN:VEVENT", *lines, "END:VEVENT",
                        "END:VCALENDAR"])


def starts(text: str, begin: datetime, end: datetime) -> list[datetime]:
    (event,) = parse_calendar(text)
    return list(occurrences(event, begin, end))


D = datetime
# (event lines, window, expected starts)
RECURRENCES = [
    # The official tests' 1970 trick: the weekday of the date is ignored (Friday 4 Dec 2026).
    (("DTSTART:19700101T090000", "DTEND: 19700101T170000",
      "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"), (D(2026, 12, 4), D(2026, 12, 9)),
     [D(2026, 12, 4, 9), D(2026, 12, 7, 9), D(2026, 12, 8, 9)]),
    (("DTSTART:20261201T090000", "DTEND:20261201T100000", "RRULE:FREQ=DAILY;INTERVAL=2"),
     (D(2026, 12, 1), D(2026, 12, 8)),
     [D(2026, 12, 1, 9), D(2026, 12, 3, 9), D(2026, 12, 5, 9), D(2026, 12, 7, 9)]),
    (("DTSTART:20260101T080000", "DURATION:PT1H", "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"),
     (D(2026, 1, 1), D(2027, 1, 1)),
     [D(2026, 1, 30, 8), D(2026, 2, 27, 8), D(2026, 3, 27, 8)]),
    (("DTSTART:20260131T120000", "DURATION:PT1H", "RRULE:FREQ=MONTHLY"),  # skips short months
     (D(2026, 1, 1), D(2026, 6, 1)), [D(2026, 1, 31, 12), D(2026, 3, 31, 12),
                                     D(2026, 5, 31, 12)]),
    (("DTSTART:20240229T000000", "DURATION:P1D", "RRULE:FREQ=YEARLY"),
     (D(2024, 1, 1), D(2029, 1, 1)), [D(2024, 2, 29), D(2028, 2, 29)]),
    (("DTSTART:20261101T100000", "DURATION:PT30M", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"),
     (D(2026, 1, 1), D(2028, 1, 1)), [D(2026, 11, 26, 10), D(2027, 11, 25, 10)]),
    (("DTSTART:20141201T140000", "DTEND:20141201T150000",
      "RRULE:FREQ=WEEKLY;UNTIL:20141209T140000"),  # Sched §4's colon
     (D(2014, 1, 1), D(2015, 1, 1)), [D(2014, 12, 1, 14), D(2014, 12, 8, 14)]),
    (("DTSTART:20261201T000000", "DURATION:PT15M", "RRULE:FREQ=HOURLY;INTERVAL=6",
      "EXDATE:20261201T060000"), (D(2026, 12, 1), D(2026, 12, 2)),
     [D(2026, 12, 1, 0), D(2026, 12, 1, 12), D(2026, 12, 1, 18)]),
    (("DTSTART;VALUE=DATE:20261225",), (D(2026, 12, 25, 12), D(2026, 12, 26)),
     [D(2026, 12, 25)]),
    (("DTSTART:20261201T000000", "DURATION:PT1M", "RRULE:FREQ=MINUTELY;BYMONTHDAY=-1"),
     (D(2026, 12, 31, 23, 58), D(2027, 1, 1)), [D(2026, 12, 31, 23, 58),
                                                D(2026, 12, 31, 23, 59)]),
    # An occurrence that began before the window but lasts into it.
    (("DTSTART:20261204T090000", "DTEND:20261211T180000", "RRULE:FREQ=DAILY"),
     (D(2026, 12, 6), D(2026, 12, 7)),
     [D(2026, 12, 4, 9), D(2026, 12, 5, 9), D(2026, 12, 6, 9)]),
]


@pytest.mark.parametrize(("lines", "window", "expected"), RECURRENCES)
def test_recurrence(lines: tuple[str, ...], window: tuple[datetime, datetime],
                    expected: list[datetime]) -> None:
    assert starts(calendar(*lines), *window) == expected


def test_a_rule_from_1970_jumps_to_the_window() -> None:
    text = calendar("DTSTART:19700101T000000", "DURATION:PT1S", "RRULE:FREQ=SECONDLY")
    found = starts(text, D(2026, 12, 4, 12), D(2026, 12, 4, 12, 0, 3))
    assert found == [D(2026, 12, 4, 12), D(2026, 12, 4, 12, 0, 1), D(2026, 12, 4, 12, 0, 2)]


def test_folded_lines_and_unknown_properties() -> None:
    text = ("BEGIN:VCALENDAR\nPRODID:VERSION:2.0\nBEGIN:VEVENT\nUID:x\nSUMMARY:a long\n"
            " summary\nDTSTART:20261204T\n 090000\nDTEND:20261204T100000\nEND:VEVENT\n"
            "END:VCALENDAR\n")
    (event,) = parse_calendar(text)
    assert event.start.at == D(2026, 12, 4, 9) and event.duration == timedelta(hours=1)


@pytest.mark.parametrize("text", [
    "",
    "BEGIN:VEVENT\nEND:VEVENT",
    "BEGIN:VCALENDAR\nEND:VCALENDAR",
    calendar("DTEND:20261204T100000"),
    calendar("DTSTART:20261204T100000", "DTEND:20261204T090000"),
    calendar("DTSTART:20261204T100000Z", "DTEND:20261204T110000"),
    calendar("DTSTART;TZID=Europe/Berlin:20261204T100000", "DURATION:PT1H"),
    calendar("DTSTART:20261204T100000", "DURATION:PT1H", "RRULE:FREQ=FORTNIGHTLY"),
    calendar("DTSTART:20261204T100000", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101"),
    calendar("DTSTART:20261204T100000", "DURATION:PT1H", "RRULE:FREQ=DAILY;BYSETPOS=1"),
    calendar("DTSTART:20261204T100000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=2MO"),
    calendar("DTSTART:2026-12-04", "DURATION:PT1H"),
    "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261204T100000\nEND:VCALENDAR",
])
def test_outside_the_subset_is_refused(text: str) -> None:
    with pytest.raises(CalendarError):
        parse_calendar(text)
