"""The WS-Discovery target service (WS-Discovery 2005/04 §4 to §6, Core "Device
discovery"): what to send at start and stop, and what to answer to each datagram.

The caller says whether a datagram came by multicast: errors in multicast requests are
ignored silently (Core "SOAP Fault Messages"), a unicast Probe with an unknown MatchBy
rule gets the MatchingRuleNotSupported fault. Multicast answers go out after a random
delay of up to ``APP_MAX_DELAY`` (§3.1.3), which the caller applies.
"""

from __future__ import annotations

import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from onvif_recorder.discovery import messages
from onvif_recorder.discovery.matching import (
    D,
    UnsupportedMatchingRule,
    scopes_match,
    types_match,
)
from onvif_recorder.discovery.messages import Announcement, Header, Probe, Resolve
from onvif_recorder.soap.xmlparse import XmlRefused

APP_MAX_DELAY = 0.5  # seconds
# SOAP-over-UDP §3.1: clients repeat each datagram (typically 2-4 times) under one
# MessageID; a request seen among the last REMEMBERED is a repeat and gets no answer.
REMEMBERED = 64


@dataclass(frozen=True, slots=True)
class Reply:
    data: bytes
    delayed: bool  # answer to a multicast request: wait up to APP_MAX_DELAY first


def new_message_id() -> str:
    return uuid.uuid4().urn


class DiscoveryTarget:
    """``instance_id`` must grow with every start of the device (§7: AppSequence)."""

    def __init__(
        self, instance_id: int, message_id: Callable[[], str] = new_message_id
    ) -> None:
        self.instance_id = instance_id
        self.message_id = message_id
        self.message_number = 0
        self.counters: Counter[str] = Counter()  # answered, ignored, and dropped by reason
        self._seen: OrderedDict[str, None] = OrderedDict()

    def _header(self, action: str, relates_to: str | None = None) -> Header:
        """A new header; ``action`` is the name under the discovery namespace, or a URI."""
        action = action if ":" in action else f"{D}/{action}"
        self.message_number += 1
        return Header(
            message_id=self.message_id(),
            action=action,
            instance_id=self.instance_id,
            message_number=self.message_number,
            relates_to=relates_to,
            to=messages.ANONYMOUS if relates_to else messages.MULTICAST_TO,
        )

    def hello(self, a: Announcement) -> bytes:
        return messages.hello(self._header("Hello"), a)

    def bye(self, a: Announcement) -> bytes:
        return messages.bye(self._header("Bye"), a)

    def answer(self, datagram: bytes, a: Announcement, multicast: bool) -> Reply | None:
        """The reply to ``datagram``, or None (not for us, or dropped and counted)."""
        try:
            request = messages.read_request(datagram)
        except XmlRefused as refused:
            self.counters[f"dropped_{refused.kind}"] += 1
            return None
        except messages.NotDiscovery:
            self.counters["ignored"] += 1  # Hello, Bye, ProbeMatches of others…
            return None
        if self._repeated(request.message_id):
            self.counters["repeated"] += 1
            return None
        if isinstance(request, Probe):
            return self._probe(request, a, multicast)
        return self._resolve(request, a, multicast)

    def _repeated(self, message_id: str) -> bool:
        if message_id in self._seen:
            return True
        self._seen[message_id] = None
        if len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        return False

    def _probe(self, probe: Probe, a: Announcement, multicast: bool) -> Reply | None:
        try:
            found = types_match(probe.types, a.types) and scopes_match(
                probe.scopes, a.scopes, probe.match_by
            )
        except UnsupportedMatchingRule:
            self.counters["unsupported_rule"] += 1
            if multicast:
                return None
            header = self._header(messages.FAULT_ACTION, probe.message_id)
            return Reply(messages.matching_rule_fault(header), delayed=False)
        if not found:
            self.counters["no_match"] += 1
            return None
        self.counters["probe_matches"] += 1
        header = self._header("ProbeMatches", probe.message_id)
        return Reply(messages.matches(header, a, "Probe"), delayed=multicast)

    def _resolve(self, resolve: Resolve, a: Announcement, multicast: bool) -> Reply | None:
        if resolve.endpoint_reference != a.endpoint_reference:
            self.counters["no_match"] += 1
            return None
        self.counters["resolve_matches"] += 1
        header = self._header("ResolveMatches", resolve.message_id)
        return Reply(messages.matches(header, a, "Resolve"), delayed=multicast)
