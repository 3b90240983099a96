"""Probe matching (WS-Discovery 2005/04 §5.1 "Matching Types and Scopes").

Types: every QName of the Probe is one of the target's. Scopes: every scope of the Probe
matches one of the target's by the Probe's MatchBy rule. Core "Probe and Probe Match":
a device shall support the RFC 3986 rule (``…/discovery/rfc3986``), which is also what an
absent MatchBy and the older ``rfc2396`` name mean here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

D = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
RFC3986 = D + "/rfc3986"
RFC2396 = D + "/rfc2396"
STRCMP0 = D + "/strcmp0"
SUPPORTED_RULES = (RFC3986, RFC2396, STRCMP0)

QName = tuple[str, str]  # (namespace, local name)


class UnsupportedMatchingRule(ValueError):
    """The Probe names a MatchBy rule this target does not implement."""


def types_match(wanted: Iterable[QName], offered: Sequence[QName]) -> bool:
    return all(qname in offered for qname in wanted)


def _segments(path: str) -> list[str]:
    """Path segments, ignoring empty ones from leading, trailing or doubled slashes, with
    percent-escapes in one case (RFC 3986 §6.2.2.1)."""
    return [_normal_escapes(s) for s in path.split("/") if s]


def _normal_escapes(segment: str) -> str:
    parts = segment.split("%")
    return parts[0] + "".join(p[:2].upper() + p[2:] for p in parts[1:])


def rfc3986_match(probe: str, target: str) -> bool:
    """Scheme and authority equal ignoring case; the probe's path segments a prefix of
    the target's, segment by segment and case-sensitively. Query and fragment must be
    absent from the probe or equal."""
    a, b = urlsplit(probe), urlsplit(target)
    if a.scheme.lower() != b.scheme.lower() or a.netloc.lower() != b.netloc.lower():
        return False
    if (a.query and a.query != b.query) or (a.fragment and a.fragment != b.fragment):
        return False
    wanted, have = _segments(a.path), _segments(b.path)
    return have[: len(wanted)] == wanted


def scope_matches(probe: str, target: str, rule: str) -> bool:
    if rule == STRCMP0:
        return probe == target
    return rfc3986_match(probe, target)


def scopes_match(wanted: Iterable[str], offered: Sequence[str], rule: str | None) -> bool:
    rule = rule or RFC3986
    if rule not in SUPPORTED_RULES:
        raise UnsupportedMatchingRule(rule)
    return all(any(scope_matches(w, o, rule) for o in offered) for w in wanted)
