"""Object keys against RC 25.12 Annex B.4/B.5 and every B.10 example."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.storage.object_key import (
    KEY_PATTERN,
    KeyLayout,
    KeyTime,
    parse_key,
    segment_key,
    span_end_key,
)

SITE = KeyLayout(prefix="site-2", postfix="camera-5")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        micro: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=datetime.UTC)


# (kind, extension, time, counter, expected key): RC 25.12 B.10, verbatim.
B10 = [
    ("segment", "mp4", utc(2022, 11, 8, 15, 8, 23, 547000), 0,
     "site-2/2022-11-08/camera-5/15/08-23.547Z.0.mp4"),
    ("end", "mp4", utc(2022, 11, 8, 16, 34, 11, 421000), 85,
     "site-2/2022-11-08/camera-5/16/34-11.421Z.85.mp4_end"),
    ("segment", "m4v", utc(2022, 11, 8, 15, 8, 23, 547000), 0,
     "site-2/2022-11-08/camera-5/15/08-23.547Z.0.m4v"),
    ("end", "m4v", utc(2022, 11, 8, 16, 34, 11, 421000), 1020,
     "site-2/2022-11-08/camera-5/16/34-11.421Z.1020.m4v_end"),
    ("segment", "m4a", utc(2022, 11, 8, 15, 8, 23, 989000), 0,
     "site-2/2022-11-08/camera-5/15/08-23.989Z.0.m4a"),
    ("end", "m4a", utc(2022, 11, 8, 16, 34, 11, 779000), 1020,
     "site-2/2022-11-08/camera-5/16/34-11.779Z.1020.m4a_end"),
    ("segment", "m4m", utc(2022, 11, 8, 15, 8, 23, 692000), 0,
     "site-2/2022-11-08/camera-5/15/08-23.692Z.0.m4m"),
    ("end", "m4m", utc(2022, 11, 8, 16, 34, 11, 871000), 1020,
     "site-2/2022-11-08/camera-5/16/34-11.871Z.1020.m4m_end"),
]


@pytest.mark.parametrize(("kind", "extension", "moment", "counter", "expected"), B10)
def test_b10_examples(kind: str, extension: str, moment: datetime.datetime, counter: int,
                      expected: str) -> None:
    make = segment_key if kind == "segment" else span_end_key
    assert make(SITE, moment, counter, extension) == expected
    assert make(SITE, moment.timestamp(), counter, extension) == expected  # POSIX float
    parsed = parse_key(expected, SITE)
    assert parsed.time == KeyTime.from_datetime(moment)
    assert (parsed.counter, parsed.span_end) == (counter, kind == "end")
    assert KEY_PATTERN.fullmatch(expected)


def test_b10_span_end_counter_is_last_plus_one() -> None:
    """85 segments (counters 0..84) → span end counter 85."""
    last_segment_counter = 84
    key = span_end_key(SITE, utc(2022, 11, 8, 16, 34, 11, 421000), last_segment_counter + 1,
                       "mp4")
    assert parse_key(key).counter == 85


def test_leap_second() -> None:
    moment = KeyTime(2016, 12, 31, 23, 59, 60, 250000)
    key = segment_key(SITE, moment, 3, "mp4")
    assert key == "site-2/2016-12-31/camera-5/23/59-60.250Z.3.mp4"
    assert parse_key(key).time == moment
    with pytest.raises(ValueError):
        KeyTime(2016, 12, 31, 23, 59, 61)


def test_midnight_and_new_year_rollover() -> None:
    """Float noise just before midnight rounds to the next day; truncation never rolls."""
    before = utc(2022, 12, 31, 23, 59, 59, 999999).timestamp()
    assert segment_key(KeyLayout(), before, 0, "mp4") == "2022-12-31/23/59-59.999Z.0.mp4"
    after = utc(2023, 1, 1).timestamp() - 1e-7
    assert segment_key(KeyLayout(), after, 0, "mp4") == "2023-01-01/00/00-00.000Z.0.mp4"


@pytest.mark.parametrize(("digits", "expected"), [
    (0, "15/08-23Z"), (1, "15/08-23.5Z"), (2, "15/08-23.54Z"), (3, "15/08-23.547Z"),
    (4, "15/08-23.5471Z"), (5, "15/08-23.54712Z"), (6, "15/08-23.547123Z")])
def test_fraction_digits(digits: int, expected: str) -> None:
    moment = utc(2022, 11, 8, 15, 8, 23, 547123)
    key = segment_key(KeyLayout(fraction_digits=digits), moment, 0, "mp4")
    assert key == f"2022-11-08/{expected}.0.mp4"
    assert parse_key(key).fraction_digits == digits


def test_empty_prefix_and_postfix() -> None:
    moment = utc(2022, 11, 8, 15, 8, 23, 547000)
    assert segment_key(KeyLayout(), moment, 7, "m4a") == "2022-11-08/15/08-23.547Z.7.m4a"
    prefix_only = segment_key(KeyLayout(prefix="p"), moment, 0, "mp4")
    assert prefix_only == "p/2022-11-08/15/08-23.547Z.0.mp4"
    postfix_only = segment_key(KeyLayout(postfix="q"), moment, 0, "mp4")
    assert postfix_only == "2022-11-08/q/15/08-23.547Z.0.mp4"
    parsed = parse_key("2022-11-08/15/08-23.547Z.7.m4a")
    assert (parsed.prefix, parsed.postfix) == ("", "")


def test_nested_prefix() -> None:
    key = segment_key(KeyLayout(prefix="a/b", postfix="c/d"), utc(2024, 2, 29), 1, "mp4")
    assert key == "a/b/2024-02-29/c/d/00/00-00.000Z.1.mp4"
    assert parse_key(key, KeyLayout(prefix="a/b", postfix="c/d")).counter == 1


@pytest.mark.parametrize("bad", [
    "site/2022-13-08/15/08-23Z.0.mp4", "site/2022-11-32/15/08-23Z.0.mp4",
    "2022-11-08/24/08-23Z.0.mp4", "2022-11-08/15/60-23Z.0.mp4", "2022-11-08/15/08-61Z.0.mp4",
    "2022-11-08/15/08-23.1234567Z.0.mp4", "2022-11-08/15/08-23.Z.0.mp4",
    "2022-11-08/15/08-23Z.-1.mp4", "2022-11-08/15/08-23.547.0.mp4", "2022-11-8/15/08-23Z.0.mp4"])
def test_pattern_rejects_what_the_abnf_does(bad: str) -> None:
    assert KEY_PATTERN.fullmatch(bad) is None
    with pytest.raises(ValueError):
        parse_key(bad)


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError):
        segment_key(KeyLayout(), 0.0, -1, "mp4")
    with pytest.raises(ValueError):
        segment_key(KeyLayout(), 0.0, 0, "avi")
    with pytest.raises(ValueError):
        segment_key(KeyLayout(), 0.0, 0, "mp4_end")
    with pytest.raises(ValueError):
        KeyLayout(prefix="/x")
    with pytest.raises(ValueError):
        KeyLayout(fraction_digits=7)
    with pytest.raises(ValueError):
        KeyTime.from_datetime(datetime.datetime(2022, 1, 1))  # naive
    with pytest.raises(ValueError):
        parse_key("p/2022-11-08/15/08-23Z.0.mp4", KeyLayout(prefix="other"))


_SEGMENT_CHARS = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Nd"),
                                                whitelist_characters="-_"), min_size=1,
                         max_size=8)


@given(st.datetimes(min_value=datetime.datetime(1970, 1, 2),
                    max_value=datetime.datetime(9998, 1, 1), timezones=st.just(datetime.UTC)),
       st.integers(0, 10**9), st.sampled_from(["mp4", "m4v", "m4a", "m4m"]), st.booleans(),
       st.one_of(st.just(""), _SEGMENT_CHARS), st.one_of(st.just(""), _SEGMENT_CHARS),
       st.integers(0, 6))
def test_generated_keys_match_the_abnf_and_round_trip(
        moment: datetime.datetime, counter: int, extension: str, end: bool, prefix: str,
        postfix: str, digits: int) -> None:
    layout = KeyLayout(prefix, postfix, digits)
    make = span_end_key if end else segment_key
    key = make(layout, moment, counter, extension)
    assert KEY_PATTERN.fullmatch(key)
    parsed = parse_key(key, layout)
    micro = int(f"{moment.microsecond:06d}"[:digits].ljust(6, "0")) if digits else 0
    assert parsed.time == KeyTime.from_datetime(moment.replace(microsecond=micro))
    assert (parsed.counter, parsed.extension) == (counter, extension + ("_end" if end else ""))
    assert re.fullmatch(r"[\w\-/.]+", key)


def test_layout_disambiguates_date_like_prefix() -> None:
    layout = KeyLayout(prefix="2020-01-01", postfix="2021-02-02")
    key = segment_key(layout, utc(2022, 11, 8, 15, 8, 23), 4, "m4v")
    assert key == "2020-01-01/2022-11-08/2021-02-02/15/08-23.000Z.4.m4v"
    parsed = parse_key(key, layout)
    assert parsed.time == KeyTime(2022, 11, 8, 15, 8, 23)
