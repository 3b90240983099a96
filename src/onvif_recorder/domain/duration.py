"""xs:duration values that keep the client's spelling.

Clients write the same duration in several spellings (zeep sends ``PT0S`` as
``P0D``); ONVIF conformance tests compare what they sent with what they read
back, so a duration is stored as the lexical form the client used plus its
validated value (XML Schema Part 2 §3.2.6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<d>\d+)D)?"
    r"(?:T(?!$)(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
# Months and years have no fixed length; for limits (retention, segment length)
# the service uses these conventional lengths.
_SECONDS_PER = {
    "y": Decimal(365 * 86400),
    "mo": Decimal(30 * 86400),
    "d": Decimal(86400),
    "h": Decimal(3600),
    "mi": Decimal(60),
    "s": Decimal(1),
}
MAX_LEXICAL_LENGTH = 64


@dataclass(frozen=True, slots=True)
class XsDuration:
    """A validated xs:duration: ``lexical`` is returned to clients unchanged."""

    lexical: str
    seconds: Decimal

    @classmethod
    def parse(cls, text: str) -> XsDuration:
        """Parse ``text``; raise ValueError if it is not a valid xs:duration."""
        lexical = text.strip()
        match = _DURATION.match(lexical) if len(lexical) <= MAX_LEXICAL_LENGTH else None
        if match is None:
            raise ValueError(f"not an xs:duration: {text[:MAX_LEXICAL_LENGTH]!r}")
        total = sum(
            (Decimal(match[part]) * factor for part, factor in _SECONDS_PER.items() if match[part]),
            Decimal(0),
        )
        return cls(lexical, -total if match["sign"] else total)

    @classmethod
    def from_seconds(cls, seconds: int) -> XsDuration:
        return cls(f"PT{seconds}S", Decimal(seconds))

    @property
    def is_negative(self) -> bool:
        return self.seconds < 0

    def __str__(self) -> str:
        return self.lexical


ZERO = XsDuration("PT0S", Decimal(0))
