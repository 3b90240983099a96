"""xs:duration values keep the client's spelling (RC conformance 3-1-10 compares PT0S)."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.domain.duration import XsDuration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0S", 0),
        ("P0D", 0),
        ("PT0.000S", 0),
        ("P1D", 86400),
        ("PT1H30M", 5400),
        ("P1Y", 365 * 86400),
        ("P1M", 30 * 86400),
        ("PT0.5S", Decimal("0.5")),
        ("-PT10S", -10),
        ("P1DT2H3M4.25S", Decimal("93784.25")),
        ("P10000000D", 864000000000),
    ],
)
def test_valid_spellings_keep_their_text(text: str, seconds: int | Decimal) -> None:
    duration = XsDuration.parse(text)
    assert duration.lexical == text and str(duration) == text
    assert duration.seconds == Decimal(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "1D",
        "PT1.S",
        "P-1D",
        "PT1S1M",
        "P1.5D",
        "PT1,5S",
        "p1d",
        "P1H",
        "garbage",
        "P" + "1" * 100 + "D",
    ],
)
def test_invalid_spellings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        XsDuration.parse(text)


def test_surrounding_whitespace_is_collapsed() -> None:
    assert XsDuration.parse("  PT5S\n").lexical == "PT5S"


@given(st.integers(0, 10**6), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_component_sums(days: int, hours: int, minutes: int, seconds: int) -> None:
    duration = XsDuration.parse(f"P{days}DT{hours}H{minutes}M{seconds}S")
    assert duration.seconds == days * 86400 + hours * 3600 + minutes * 60 + seconds


@given(st.text(max_size=40))
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(ValueError):
        XsDuration.parse(text)
