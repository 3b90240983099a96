"""Object keys of segments and span ends (ONVIF RC 25.12 Annex B.4, B.5): pure.

B.4 ABNF (RFC 5234)::

    key      = lead "/" time "." counter "." extension
    lead     = [prefix "/" ] date [ "/" postfix]
    counter  = 1*DIGIT
    date     = year "-" month "-" day
    time     = hour "/" minute "-" second [secfrac] "Z"
    year     = 4DIGIT
    month    = 2DIGIT ; 01-12
    day      = 2DIGIT ; 01-31
    hour     = 2DIGIT ; 00-23
    minute   = 2DIGIT ; 00-59
    second   = 2DIGIT ; 00-60 (due to leap second rules)
    secfrac  = "." 1*6DIGIT

and B.5: ``extension = span-extension "_end"`` for the empty object marking a span's
end, whose counter is the last segment's + 1 and whose time is the end of the last
sample. Times are UTC; the fraction is *truncated* to the configured digits, so a key
never names a moment after the first sample and never rolls into the next second,
day or year. ``KeyTime`` can hold second 60, which POSIX time cannot express.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

SPAN_EXTENSIONS = frozenset({"mp4", "m4v", "m4a", "m4m"})
END_SUFFIX = "_end"
MAX_FRACTION_DIGITS = 6

# The ABNF above as a regular expression; ranges follow the ABNF comments.
_LEAD = r"(?:(?P<prefix>{prefix})/)?{date}(?:/(?P<postfix>{postfix}))?"
_DATE = r"(?P<date>(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01]))"
_TAIL = (r"/(?P<hour>[01]\d|2[0-3])/(?P<minute>[0-5]\d)-(?P<second>[0-5]\d|60)"
         r"(?:\.(?P<secfrac>\d{1,6}))?Z"
         r"\.(?P<counter>\d+)"
         r"\.(?P<extension>[A-Za-z0-9]+(?:_end)?)")


def key_pattern(prefix: str | None = None, postfix: str | None = None) -> re.Pattern[str]:
    """The ABNF as a regex; ``prefix``/``postfix`` pin those parts (else any text)."""
    def part(value: str | None) -> str:
        return ".+" if value is None else re.escape(value) if value else "(?!)"
    lead = _LEAD.format(prefix=part(prefix), postfix=part(postfix), date=_DATE)
    return re.compile(lead + _TAIL)


KEY_PATTERN = key_pattern()


@dataclass(frozen=True, slots=True)
class KeyTime:
    """A UTC instant at microsecond precision, second 60 allowed (leap second)."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    microsecond: int = 0

    def __post_init__(self) -> None:
        datetime.date(self.year, self.month, self.day)  # validates the calendar date
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59 and 0 <= self.second <= 60
                and 0 <= self.microsecond <= 999_999):
            raise ValueError(f"not a UTC time of day: {self}")

    @classmethod
    def from_posix(cls, seconds: float) -> KeyTime:
        """POSIX seconds, rounded to the microsecond first (floats carry ~0.2 µs noise)."""
        micros = round(seconds * 1_000_000)
        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            microseconds=micros)
        return cls.from_datetime(moment)

    @classmethod
    def from_datetime(cls, moment: datetime.datetime) -> KeyTime:
        if moment.tzinfo is None:
            raise ValueError("key times must be timezone-aware (UTC)")
        utc = moment.astimezone(datetime.UTC)
        return cls(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second,
                   utc.microsecond)


@dataclass(frozen=True, slots=True)
class KeyLayout:
    """The recording target's ``Prefix`` and ``Postfix`` (RC §5.3.1) and key precision."""

    prefix: str = ""
    postfix: str = ""
    fraction_digits: int = 3
    """0 leaves ``secfrac`` out; 1-6 digits otherwise (B.10 uses 3)."""

    def __post_init__(self) -> None:
        if not 0 <= self.fraction_digits <= MAX_FRACTION_DIGITS:
            raise ValueError(f"secfrac has 1 to {MAX_FRACTION_DIGITS} digits")
        for name in ("prefix", "postfix"):
            value = getattr(self, name)
            if value.startswith("/") or value.endswith("/") or "//" in value:
                raise ValueError(f"{name} {value!r} would make an empty key path segment")


def _time_of(moment: KeyTime | float | datetime.datetime) -> KeyTime:
    if isinstance(moment, KeyTime):
        return moment
    if isinstance(moment, datetime.datetime):
        return KeyTime.from_datetime(moment)
    return KeyTime.from_posix(moment)


def format_time(moment: KeyTime, digits: int) -> tuple[str, str]:
    """(``date``, ``time``) ABNF productions for ``moment``, fraction truncated."""
    date = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    time = f"{moment.hour:02d}/{moment.minute:02d}-{moment.second:02d}"
    if digits:
        time += "." + f"{moment.microsecond:06d}"[:digits]
    return date, time + "Z"


def object_key(layout: KeyLayout, moment: KeyTime | float | datetime.datetime,
               counter: int, extension: str) -> str:
    """``key`` (B.4) for the given time, counter and extension (validated, not trusted)."""
    if counter < 0:
        raise ValueError("counter is 1*DIGIT: never negative")
    base = extension.removesuffix(END_SUFFIX)
    if base not in SPAN_EXTENSIONS:
        raise ValueError(f"unknown span extension {extension!r}")
    date, time = format_time(_time_of(moment), layout.fraction_digits)
    lead = "/".join(part for part in (layout.prefix, date, layout.postfix) if part)
    return f"{lead}/{time}.{counter}.{extension}"


def segment_key(layout: KeyLayout, first_sample: KeyTime | float | datetime.datetime,
                counter: int, extension: str) -> str:
    """Key of a segment object: time of its first sample, counter within the span (B.4)."""
    if extension.endswith(END_SUFFIX):
        raise ValueError("segment extensions have no _end suffix")
    return object_key(layout, first_sample, counter, extension)


def span_end_key(layout: KeyLayout, span_end: KeyTime | float | datetime.datetime,
                 end_counter: int, extension: str) -> str:
    """Key of a span end object: end of the last sample, last counter + 1 (B.5)."""
    return object_key(layout, span_end, end_counter, extension + END_SUFFIX)


@dataclass(frozen=True, slots=True)
class ParsedKey:
    prefix: str
    postfix: str
    time: KeyTime
    fraction_digits: int
    counter: int
    extension: str

    @property
    def span_end(self) -> bool:
        return self.extension.endswith(END_SUFFIX)


def parse_key(key: str, layout: KeyLayout | None = None) -> ParsedKey:
    """Split a key back into its parts; with ``layout`` the prefix/postfix must match it.

    Without a layout, a prefix or postfix that itself looks like a date is ambiguous;
    the regular expression then prefers the longest prefix. With a layout, the
    configured prefix and postfix are matched literally.
    """
    pattern = KEY_PATTERN if layout is None else key_pattern(layout.prefix, layout.postfix)
    match = pattern.fullmatch(key)
    if match is None:
        raise ValueError(f"{key!r} does not follow the RC Annex B.4 key ABNF (or the layout)")
    parts = match.groupdict()
    prefix, postfix = parts["prefix"] or "", parts["postfix"] or ""
    fraction = parts["secfrac"] or ""
    moment = KeyTime(int(parts["year"]), int(parts["month"]), int(parts["day"]),
                     int(parts["hour"]), int(parts["minute"]), int(parts["second"]),
                     int(fraction.ljust(6, "0")) if fraction else 0)
    return ParsedKey(prefix, postfix, moment, len(fraction), int(parts["counter"]),
                     parts["extension"])
