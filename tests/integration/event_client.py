"""A PullPoint client for the integration tests: zeep clients from the official event WSDL,
every answer validated against the official XSD, messages read from the raw bytes.

ElementItems are lax wildcards in tt:ItemList, so validate_body alone would not look inside
them: :func:`validate_notifications` also validates each ElementItem's element against the
schema type its topic describes (RECORDING-5-1-x: "validation with XML Schema complex type").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zeep.wsa
from lxml import etree

from tests.conftest import RunningRecorder
from tests.onvif_client import ResponseRecorder, body_element, onvif_service_with_recorder
from tests.onvif_client import validate_body as validate_xsd

WSNT = "http://docs.oasis-open.org/wsn/b-2"
TT = "http://www.onvif.org/ver10/schema"
TEV = "http://www.onvif.org/ver10/events/wsdl"
WSA = "http://www.w3.org/2005/08/addressing"
ENV = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TOPICS_NS = "http://www.onvif.org/ver10/topics"
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
ITEM_FILTER = "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"
FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"

# (topic, ElementItem name) -> the schema type RC §5.26 gives it.
ELEMENT_TYPES: dict[tuple[str, str], str | None] = {
    ("tns1:RecordingConfig/JobState", "Information"): "RecordingJobStateInformation",
    ("tns1:RecordingConfig/RecordingConfiguration", "Configuration"): "RecordingConfiguration",
    ("tns1:RecordingConfig/TrackConfiguration", "Configuration"): "TrackConfiguration",
    ("tns1:RecordingConfig/RecordingJobConfiguration", "Configuration"):
        "RecordingJobConfiguration",
    ("tns1:Monitoring/AsynchronousOperationStatus", "FileProgressStatus"): "ArrayOfFileProgress",
    ("tns1:RecordingHistory/Track/VideoParameters", "VideoRateControl"): "VideoRateControl",
    # A soapenv:Fault element, validated as the global element it is.
    ("tns1:Monitoring/AsynchronousOperationStatus", "Error"): None,
}


@dataclass
class Received:
    """One wsnt:NotificationMessage, read from the raw answer."""

    topic: str
    dialect: str | None
    utc_time: str
    operation: str | None
    source: dict[str, str]
    data: dict[str, str]
    elements: dict[str, etree._Element] = field(default_factory=dict)


def _items(group: etree._Element | None) -> tuple[dict[str, str], dict[str, etree._Element]]:
    simple: dict[str, str] = {}
    elements: dict[str, etree._Element] = {}
    for item in [] if group is None else group:
        if item.tag == f"{{{TT}}}SimpleItem":
            simple[str(item.get("Name"))] = str(item.get("Value"))
        elif item.tag == f"{{{TT}}}ElementItem":
            [child] = list(item)
            elements[str(item.get("Name"))] = child
    return simple, elements


def parse_notifications(xml: bytes) -> list[Received]:
    received = []
    for holder in body_element(xml).iter(f"{{{WSNT}}}NotificationMessage"):
        topic = holder.find(f"{{{WSNT}}}Topic")
        assert topic is not None, "NotificationMessage without Topic"
        message = holder.find(f"{{{WSNT}}}Message/{{{TT}}}Message")
        assert message is not None, "NotificationMessage without tt:Message"
        source, _ = _items(message.find(f"{{{TT}}}Source"))
        data, elements = _items(message.find(f"{{{TT}}}Data"))
        received.append(Received(
            topic=_topic_text(topic), dialect=topic.get("Dialect"),
            utc_time=str(message.get("UtcTime")), operation=message.get("PropertyOperation"),
            source=source, data=data, elements=elements,
        ))
    return received


def _topic_text(topic: etree._Element) -> str:
    """The topic with its prefix checked: it must be declared for the ONVIF namespace."""
    text = (topic.text or "").strip()
    prefix = text.split(":", 1)[0]
    assert topic.nsmap.get(prefix) == TOPICS_NS, f"{prefix!r} is not bound to {TOPICS_NS}"
    return f"tns1:{text.split(':', 1)[1]}"


def validate_notifications(xml: bytes) -> None:
    """validate_body, then the ElementItems as their described types (via xsi:type)."""
    validate_xsd(xml)
    root = etree.fromstring(xml)
    typed = False
    for holder in root.iter(f"{{{WSNT}}}NotificationMessage"):
        topic = _topic_text(holder.find(f"{{{WSNT}}}Topic"))  # type: ignore[arg-type]
        for item in holder.iter(f"{{{TT}}}ElementItem"):
            kind = ELEMENT_TYPES[(topic, str(item.get("Name")))]
            [child] = list(item)
            if kind is None:
                continue
            child.set(f"{{{XSI}}}type", f"tt:{kind}")
            if child.nsmap.get("tt") != TT:
                raise AssertionError("the tt prefix is not in scope of the ElementItem")
            typed = True
    if typed:
        validate_xsd(etree.tostring(root))


def topic_filter(*topics: str, content: str | None = None, dialect: str = CONCRETE_SET,
                 content_dialect: str = ITEM_FILTER) -> dict[str, Any]:
    """A wsnt:FilterType for zeep: its content is xs:any, so it is built as elements."""
    elements = []
    if topics:
        expression = etree.Element(f"{{{WSNT}}}TopicExpression", nsmap={"tns1": TOPICS_NS})
        expression.set("Dialect", dialect)
        expression.text = "|".join(topics)
        elements.append(expression)
    if content is not None:
        message_content = etree.Element(f"{{{WSNT}}}MessageContent", nsmap={"tt": TT})
        message_content.set("Dialect", content_dialect)
        message_content.text = content
        elements.append(message_content)
    return {"_value_1": elements}


def events_service(recorder: RunningRecorder, user: str | None = None,
                   password: str | None = None) -> tuple[Any, ResponseRecorder]:
    return onvif_service_with_recorder(
        "events", recorder.service_url("event"),
        username=user or recorder.admin_user, password=password or recorder.admin_password,
        plugins=[zeep.wsa.WsAddressingPlugin()],
    )


def answer_action(xml: bytes) -> str | None:
    """The wsa:Action header of an answer."""
    action = etree.fromstring(xml).find(f"{{{ENV}}}Header/{{{WSA}}}Action")
    return None if action is None else (action.text or "").strip()


class Subscription:
    """A PullPoint as a client sees it: the address from CreatePullPointSubscription."""

    def __init__(self, recorder: RunningRecorder, created: Any, user: str | None = None,
                 password: str | None = None) -> None:
        self.address: str = created.SubscriptionReference.Address._value_1
        self.created = created
        user, password = user or recorder.admin_user, password or recorder.admin_password
        plugins = [zeep.wsa.WsAddressingPlugin()]
        self.pullpoint, self.pull_rec = onvif_service_with_recorder(
            "pullpoint", self.address, username=user, password=password, plugins=plugins)
        self.manager, self.manager_rec = onvif_service_with_recorder(
            "subscription", self.address, username=user, password=password, plugins=plugins)

    def pull(self, timeout: str = "PT1S", limit: int = 100) -> list[Received]:
        self.last = self.pullpoint.PullMessages(Timeout=timeout, MessageLimit=limit)
        validate_notifications(self.pull_rec.last)
        assert answer_action(self.pull_rec.last) == (
            "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse")
        return parse_notifications(self.pull_rec.last)

    def pull_until(self, done: Callable[[list[Received]], bool],
                   within: float = 5.0) -> list[Received]:
        """Pull (as the test tool does, PT1S at a time) until ``done(everything so far)``."""
        received: list[Received] = []
        deadline = time.monotonic() + within
        while not done(received):
            assert time.monotonic() < deadline, f"gave up waiting; received {received}"
            received.extend(self.pull())
        return received

    def drain(self) -> list[Received]:
        received: list[Received] = []
        while batch := self.pull("PT0S"):
            received.extend(batch)
        return received

    def unsubscribe(self) -> None:
        self.manager.Unsubscribe()
        validate_xsd(self.manager_rec.last)


def subscribe(recorder: RunningRecorder, *topics: str, content: str | None = None,
              termination: str | None = "PT60S", user: str | None = None,
              password: str | None = None, **extra: Any) -> Subscription:
    service, rec = events_service(recorder, user, password)
    arguments: dict[str, Any] = dict(extra)
    if topics or content is not None:
        arguments["Filter"] = topic_filter(*topics, content=content)
    if termination is not None:
        arguments["InitialTerminationTime"] = termination
    created = service.CreatePullPointSubscription(**arguments)
    validate_xsd(rec.last)
    return Subscription(recorder, created, user, password)


def same_content(a: etree._Element, b: etree._Element) -> bool:
    """Equal element trees below two roots of any name: tags, attributes, trimmed text."""
    def shape(element: etree._Element) -> tuple[Any, ...]:
        children = tuple(shape(c) for c in element if isinstance(c.tag, str))
        return (element.tag, dict(element.attrib), (element.text or "").strip(), children)

    return shape(a)[1:] == shape(b)[1:]
