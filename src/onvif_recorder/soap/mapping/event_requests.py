"""Event service requests (filters, termination times) and the WS-BaseNotification faults
that refuse them (Core "SOAP Fault Messages")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lxml import etree

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.events import errors
from onvif_recorder.events.filters import EventFilter
from onvif_recorder.events.item_filter import ContentFilter, parse_item_filter
from onvif_recorder.events.pullpoint import RequestedTime
from onvif_recorder.events.topic_expression import (
    CONCRETE_SET,
    Resolver,
    TopicExpression,
    parse_topic_expression,
)
from onvif_recorder.events.topics import TOPICS, Topic, utc_text
from onvif_recorder.soap.faults import DetailFault
from onvif_recorder.soap.mapping.primitives import Reader, local_name, sub
from onvif_recorder.soap.namespaces import PREFIXES, TEV, WSNT, WSRF_BF, WSRF_R, XSI, qname

MAX_SECONDS = 10**9  # beyond any acceptable termination; keeps timedelta in range


def _resolver(element: etree._Element) -> Resolver:
    namespaces = element.nsmap
    return lambda prefix: namespaces.get(prefix or None)


def _expression_text(element: etree._Element, error: type[errors.EventServiceError]) -> str:
    if any(isinstance(child.tag, str) for child in element):
        raise error("a filter expression must be text")
    return element.text or ""


def _topic(element: etree._Element, known: tuple[Topic, ...]) -> TopicExpression:
    text = _expression_text(element, errors.InvalidTopicExpression)
    dialect = element.get("Dialect", CONCRETE_SET).strip()
    return parse_topic_expression(text, dialect, _resolver(element), known)


def _content(element: etree._Element) -> ContentFilter:
    text = _expression_text(element, errors.InvalidMessageContent)
    dialect = element.get("Dialect", "").strip()
    return parse_item_filter(text, dialect, _resolver(element))


def _elements(parent: etree._Element | None) -> list[etree._Element]:
    return [] if parent is None else [c for c in parent if isinstance(c.tag, str)]


def read_event_filter(filter_: etree._Element | None, policy: etree._Element | None,
                      known: tuple[Topic, ...] = TOPICS) -> EventFilter:
    """wsnt:FilterType plus tev:SubscriptionPolicy; components are matched by local name.
    A topic expression must name one of the ``known`` topics (Core: TopicNotSupported)."""
    topics, contents, unknown = [], [], []
    for component in _elements(filter_):
        if local_name(component) == "TopicExpression":
            topics.append(_topic(component, known))
        elif local_name(component) == "MessageContent":
            contents.append(_content(component))
        else:  # ProducerProperties included: no dialect of it is supported
            unknown.append(str(component.tag))
    if unknown:
        raise errors.InvalidFilter("unsupported filter components", tuple(unknown))
    policies = [str(p.tag) for p in _elements(policy) if local_name(p) != "ChangedOnly"]
    if policies:
        raise errors.UnrecognizedPolicy("unrecognized subscription policy", tuple(policies))
    changed_only = any(local_name(p) == "ChangedOnly" for p in _elements(policy))
    return EventFilter(tuple(topics), tuple(contents), changed_only)


def read_requested_time(reader: Reader, name: str) -> RequestedTime | None:
    """wsnt:AbsoluteOrRelativeTimeType; absent, empty or xsi:nil means "device default"."""
    found = reader.child(name)
    if found is None or found.attribute(qname(XSI, "nil")) in ("true", "1"):
        return None
    text = found.value.strip()
    if not text:
        return None
    if text.lstrip("-").startswith("P"):
        seconds = reader.parse_duration(name, text).seconds
        return RequestedTime(relative=timedelta(seconds=min(float(seconds), MAX_SECONDS)))
    return RequestedTime(absolute=_datetime(reader, name, text))


def _datetime(reader: Reader, name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise reader.fail(f"{name} is neither an xs:dateTime nor an xs:duration") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


_FAULTS: dict[type[errors.EventServiceError], tuple[str, str]] = {
    errors.InvalidTopicExpression: (WSNT, "InvalidTopicExpressionFault"),
    errors.TopicNotSupported: (WSNT, "TopicNotSupportedFault"),
    errors.TopicExpressionDialectUnknown: (WSNT, "TopicExpressionDialectUnknownFault"),
    errors.InvalidMessageContent: (WSNT, "InvalidMessageContentExpressionFault"),
    errors.InvalidFilter: (WSNT, "InvalidFilterFault"),
    errors.UnrecognizedPolicy: (WSNT, "UnrecognizedPolicyRequestFault"),
    errors.UnknownSubscription: (WSRF_R, "ResourceUnknownFault"),
    errors.PullPointLimit: (WSNT, "SubscribeCreationFailedFault"),
    errors.PullInProgress: (WSNT, "UnableToGetMessagesFault"),
    errors.UnacceptableTermination: (WSNT, "UnacceptableInitialTerminationTimeFault"),
}


def _detail_nsmap(names: tuple[str, ...]) -> dict[str, str]:
    """Declarations for the detail element, including the namespaces of QName values."""
    nsmap = {"wsnt": WSNT, "wsrf-bf": WSRF_BF}
    for clark in names:
        namespace = etree.QName(clark).namespace
        if namespace and namespace not in nsmap.values():
            nsmap[PREFIXES.get(namespace, f"ns{len(nsmap)}")] = namespace
    return nsmap


def _qname_text(parent: etree._Element, tag: str, clark: str) -> None:
    """A child whose text is the QName ``clark``, with a prefix declared on ``parent``."""
    name = etree.QName(clark)
    prefixes = {uri: prefix for prefix, uri in parent.nsmap.items()}
    prefix = prefixes.get(name.namespace) if name.namespace else None
    sub(parent, tag, f"{prefix}:{name.localname}" if prefix else name.localname)


def event_fault(
    error: errors.EventServiceError, now: datetime, *, renewing: bool = False
) -> DetailFault:
    """The fault element Core names for ``error`` (a WSRF BaseFault: Timestamp first)."""
    namespace, name = _FAULTS[type(error)]
    if renewing and isinstance(error, errors.UnacceptableTermination):
        name = "UnacceptableTerminationTimeFault"
    values = getattr(error, "unknown", ()) + getattr(error, "policies", ())
    detail = etree.Element(qname(namespace, name), nsmap=_detail_nsmap(values))
    sub(detail, qname(WSRF_BF, "Timestamp"), utc_text(now))
    sub(detail, qname(WSRF_BF, "Description"), str(error))
    if isinstance(error, errors.InvalidFilter):
        for unknown in error.unknown:
            _qname_text(detail, qname(WSNT, "UnknownFilter"), unknown)
    if isinstance(error, errors.UnrecognizedPolicy):
        for policy in error.policies:
            _qname_text(detail, qname(WSNT, "UnrecognizedPolicy"), policy)
    if isinstance(error, errors.UnacceptableTermination):
        sub(detail, qname(WSNT, "MinimumTime"), utc_text(error.minimum))
        sub(detail, qname(WSNT, "MaximumTime"), utc_text(error.maximum))
    return DetailFault(str(error), detail)


def pull_messages_fault(reason: str, max_timeout_s: int, max_messages: int) -> DetailFault:
    """tev:PullMessagesFaultResponse: the limits both, as Core asks."""
    detail = etree.Element(qname(TEV, "PullMessagesFaultResponse"), nsmap={"tev": TEV})
    sub(detail, qname(TEV, "MaxTimeout"), XsDuration.from_seconds(max_timeout_s).lexical)
    sub(detail, qname(TEV, "MaxMessageLimit"), str(max_messages))
    return DetailFault(reason, detail)
