"""Events recorded in ONVIF metadata tracks: each ``tt:Event/wsnt:NotificationMessage``
of a recorded ``tt:MetadataStream`` document, read with the safe parser (recorded bytes
came from a camera: they are network input)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from onvif_recorder.events.topics import TOPIC_NAMESPACE, TOPIC_PREFIX
from onvif_recorder.service.search.recorded import MetadataSample, RecordedNotification
from onvif_recorder.service.search.xpath import Node
from onvif_recorder.soap.namespaces import TT, WSNT, qname
from onvif_recorder.soap.xmlparse import XmlRefused, parse_document


def _topic(element: etree._Element) -> tuple[str, tuple[str, ...]] | None:
    """(namespace, path) of a ``prefix:Root/Child/...`` topic; children without a
    prefix are in the root's namespace."""
    parts = (element.text or "").strip().split("/")
    if not parts or not parts[0]:
        return None
    namespaces = element.nsmap

    def resolve(name: str) -> tuple[str, str]:
        prefix, colon, local = name.partition(":")
        if not colon:
            return "", name
        found = namespaces.get(prefix)
        return (found or (TOPIC_NAMESPACE if prefix == TOPIC_PREFIX else prefix)), local

    namespace, root = resolve(parts[0])
    names = [root]
    for child in parts[1:]:
        child_namespace, name = resolve(child) if ":" in child else (namespace, child)
        names.append(name if child_namespace == namespace else f"{{{child_namespace}}}{name}")
    return namespace, tuple(names)


def _items(message: etree._Element, group: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(i.get("Name", "")), str(i.get("Value", "")))
                 for i in message.iterfind(f"{{{TT}}}{group}/{{{TT}}}SimpleItem"))


def _time(message: etree._Element, fallback: float) -> float:
    text = str(message.get("UtcTime", "")).strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()


def recorded_notifications(sample: MetadataSample) -> list[RecordedNotification]:
    """Every event of one recorded document; a document that is not XML has none."""
    try:
        root = parse_document(sample.payload)
    except XmlRefused:
        return []
    found = []
    for holder in root.iter(qname(WSNT, "NotificationMessage")):
        topic_element = holder.find(qname(WSNT, "Topic"))
        message = holder.find(f"{{{WSNT}}}Message/{{{TT}}}Message")
        topic = None if topic_element is None else _topic(topic_element)
        if topic is None or message is None:
            continue
        operation = message.get("PropertyOperation")
        found.append(RecordedNotification(
            _time(message, sample.time), topic[0], topic[1],
            None if operation is None else str(operation), _items(message, "Source"),
            _items(message, "Data"), etree.tostring(holder)))
    return found


def _node(element: etree._Element) -> Node:
    node = Node(etree.QName(element).localname, (element.text or "").strip(),
                {etree.QName(k).localname: str(v) for k, v in element.attrib.items()})
    node.children = [_node(child) for child in element
                     if isinstance(child.tag, str)]
    return node


def metadata_document(sample: MetadataSample) -> Node | None:
    """A recorded ``tt:MetadataStream`` as the MetadataStreamFilter sees it (local names,
    text, attributes); None if the sample is not acceptable XML."""
    try:
        return _node(parse_document(sample.payload))
    except XmlRefused:
        return None
