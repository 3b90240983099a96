"""Event service XML: the TopicSet of GetEventProperties and wsnt:NotificationMessage
(Core "Notification Message Format", "Topic Type Information")."""

from __future__ import annotations

import copy
from collections import OrderedDict

from lxml import etree

from onvif_recorder.domain.job import RecordingJobConfiguration, RecordingJobStateInformation
from onvif_recorder.domain.recording import RecordingConfiguration, TrackConfiguration
from onvif_recorder.events.topic_expression import CONCRETE_SET
from onvif_recorder.events.topics import (
    TOPICS,
    DataItems,
    ElementValue,
    Item,
    Message,
    Topic,
    message_of,
    utc_text,
)
from onvif_recorder.service.async_operation_events import FileProgressStatus, OperationError
from onvif_recorder.service.events import Notification, VideoRateControl
from onvif_recorder.soap.mapping.job import write_job_configuration, write_job_state
from onvif_recorder.soap.mapping.operation_status import write_operation_item
from onvif_recorder.soap.mapping.primitives import sub, xs_boolean
from onvif_recorder.soap.mapping.recording import (
    write_recording_configuration,
    write_track_configuration,
)
from onvif_recorder.soap.namespaces import ENV, PT, TAS, TEV, TNS1, TT, WSA, WSNT, WSTOP, XS, qname

# Declared on every event service answer: item types (tt:, xs:) and topics (tns1:) are
# QNames written as text and need their prefixes in scope.
EVENT_NSMAP = {
    "tev": TEV,
    "wsnt": WSNT,
    "wsa": WSA,
    "wstop": WSTOP,
    "tt": TT,
    "tns1": TNS1,
    "xs": XS,
    "pt": PT,  # Schedule topics' items are pt:ReferenceToken (SCHEDULE-7-1-x check it)
    "tas": TAS,  # the keystore's KeyStatus items are tas:KeyID / tas:KeyStatus
    # AsynchronousOperationStatus' Error item is a SOAP 1.2 Fault (Core §8.9.7). The
    # envelope binds its namespace to "env" and lxml folds any other prefix for it into
    # that one, so QNames written as text (Type="env:Fault", env:Receiver) use "env" too.
    "env": ENV,
}


def _tt(name: str) -> str:
    return qname(TT, name)


def _write_item_description(parent: etree._Element, item: Item) -> None:
    kind = "ElementItemDescription" if item.element else "SimpleItemDescription"
    element = sub(parent, _tt(kind))
    element.set("Name", item.name)
    element.set("Type", item.type)


def write_message_description(parent: etree._Element, topic: Topic) -> None:
    description = sub(parent, _tt("MessageDescription"))
    description.set("IsProperty", xs_boolean(topic.is_property))
    source = sub(description, _tt("Source"))
    for item in topic.source:
        _write_item_description(source, item)
    data = sub(description, _tt("Data"))
    for item in topic.data:
        _write_item_description(data, item)


def write_topic_set(parent: etree._Element, topics: tuple[Topic, ...] = TOPICS) -> None:
    """wstop:TopicSet: root topics in tns1:, their children unqualified (Core example, no
    default namespace in scope), each emitted topic marked wstop:topic and described."""
    topic_set = sub(parent, qname(WSTOP, "TopicSet"))
    for topic in topics:
        node = _child(topic_set, qname(TNS1, topic.path[0]))
        for name in topic.path[1:]:
            node = _child(node, name)
        node.set(qname(WSTOP, "topic"), "true")
        write_message_description(node, topic)


def _child(parent: etree._Element, tag: str) -> etree._Element:
    found = parent.find(tag)
    return found if found is not None else sub(parent, tag)


def _write_element_value(parent: etree._Element, value: ElementValue) -> None:
    """The ElementItem's one element, named after its schema type (there is no global
    element of these types); its content is what the matching Get* answer holds."""
    match value:
        case RecordingConfiguration():
            write_recording_configuration(parent, _tt("RecordingConfiguration"), value)
        case TrackConfiguration():
            write_track_configuration(parent, _tt("TrackConfiguration"), value)
        case RecordingJobConfiguration():
            write_job_configuration(parent, _tt("RecordingJobConfiguration"), value)
        case RecordingJobStateInformation():
            write_job_state(parent, _tt("RecordingJobStateInformation"), value)
        case FileProgressStatus() | OperationError():
            write_operation_item(parent, value)
        case VideoRateControl():
            control = sub(parent, _tt("VideoRateControl"))
            sub(control, _tt("FrameRateLimit"), str(value.frame_rate_limit))
            sub(control, _tt("EncodingInterval"), str(value.encoding_interval))
            sub(control, _tt("BitrateLimit"), str(value.bitrate_limit))


def _write_items(parent: etree._Element, tag: str, items: DataItems) -> None:
    if not items:
        return
    group = sub(parent, _tt(tag))
    # tt:ItemList: every SimpleItem before the first ElementItem
    for name, value in sorted(items, key=lambda item: not isinstance(item[1], str)):
        if isinstance(value, str):
            item = sub(group, _tt("SimpleItem"))
            item.set("Name", name)
            item.set("Value", value)
        else:
            item = sub(group, _tt("ElementItem"))
            item.set("Name", name)
            _write_element_value(item, value)


def write_message(parent: etree._Element, notification: Notification, message: Message) -> None:
    element = sub(parent, _tt("Message"))
    element.set("UtcTime", utc_text(notification.utc_time))
    if message.operation is not None:
        element.set("PropertyOperation", message.operation.value)
    _write_items(element, "Source", message.source)
    _write_items(element, "Data", message.data)


def notification_element(notification: Notification, producer: str) -> etree._Element:
    """wsnt:NotificationMessage: Topic in the ConcreteSet dialect, the event service as
    ProducerReference (Core: "should be specified") and the tt:Message."""
    message = message_of(notification.event)
    holder = etree.Element(qname(WSNT, "NotificationMessage"), nsmap=EVENT_NSMAP)
    topic = sub(holder, qname(WSNT, "Topic"), message.topic.text)
    topic.set("Dialect", CONCRETE_SET)
    reference = sub(holder, qname(WSNT, "ProducerReference"))
    sub(reference, qname(WSA, "Address"), producer)
    write_message(sub(holder, qname(WSNT, "Message")), notification, message)
    return holder


class RenderedNotifications:
    """Each notification is written once and copied for every other pull point that takes
    it: fanning one event out to N subscribers costs one rendering, not N. Holds the last
    ``size`` notifications; a pull point lagging further behind has them written again."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._rendered: OrderedDict[tuple[int, str], etree._Element] = OrderedDict()

    def append(self, parent: etree._Element, notification: Notification, producer: str) -> None:
        key = (notification.sequence, producer)
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = notification_element(notification, producer)
            self._rendered[key] = rendered
            if len(self._rendered) > self._size:
                self._rendered.popitem(last=False)
        parent.append(copy.deepcopy(rendered))
