"""Events and documents read out of recorded ONVIF metadata (soap/mapping/recorded_events)."""

from __future__ import annotations

from onvif_recorder.service.search.recorded import MetadataSample
from onvif_recorder.service.search.xpath import parse_filter
from onvif_recorder.soap.mapping.recorded_events import metadata_document, recorded_notifications

DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<tt:MetadataStream xmlns:tt="http://www.onvif.org/ver10/schema"
    xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tns1="http://www.onvif.org/ver10/topics"
    xmlns:acme="http://example.com/acme">
  <tt:VideoAnalytics><tt:Frame UtcTime="2026-05-28T20:26:41.5Z">
    <tt:Object ObjectId="3"><tt:Appearance><tt:Shape>
      <tt:BoundingBox left="0.1" right="0.7" top="0.2" bottom="0.9"/>
    </tt:Shape></tt:Appearance></tt:Object>
  </tt:Frame></tt:VideoAnalytics>
  <tt:Event>
    <wsnt:NotificationMessage>
      <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
        >tns1:VideoSource/MotionAlarm</wsnt:Topic>
      <wsnt:Message><tt:Message UtcTime="2026-05-28T20:26:41Z" PropertyOperation="Changed">
        <tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source>
        <tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data>
      </tt:Message></wsnt:Message>
    </wsnt:NotificationMessage>
    <wsnt:NotificationMessage>
      <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
        >acme:Door/Opened</wsnt:Topic>
      <wsnt:Message><tt:Message><tt:Data/></tt:Message></wsnt:Message>
    </wsnt:NotificationMessage>
  </tt:Event>
</tt:MetadataStream>"""
T0 = 1_780_000_000.0  # 2026-05-28T20:26:40Z


def sample(payload: bytes) -> MetadataSample:
    return MetadataSample("META001", T0, payload)


def test_every_notification_with_its_topic_time_and_items() -> None:
    motion, door = recorded_notifications(sample(DOCUMENT))
    assert (motion.topic_namespace, motion.topic) == (
        "http://www.onvif.org/ver10/topics", ("VideoSource", "MotionAlarm"))
    assert motion.time == T0 + 1 and motion.operation == "Changed"
    assert motion.source == (("Source", "VideoSource_1"),)
    assert motion.data == (("State", "true"),)
    assert motion.xml.startswith(b"<wsnt:NotificationMessage")
    # A vendor topic keeps its namespace; no UtcTime: the sample's own time.
    assert (door.topic_namespace, door.topic, door.time) == (
        "http://example.com/acme", ("Door", "Opened"), T0)
    assert door.operation is None


def test_documents_that_are_not_safe_xml_have_nothing() -> None:
    assert recorded_notifications(sample(b"<tt:MetadataStream")) == []
    hostile = b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    assert recorded_notifications(sample(hostile)) == []
    assert metadata_document(sample(hostile)) is None


def test_the_stream_filter_sees_the_document() -> None:
    document = metadata_document(sample(DOCUMENT))
    assert document is not None and document.name == "MetadataStream"
    for expression, expected in (
            ('boolean(//Object/Appearance/Shape/BoundingBox[@right > "0.5"])', True),
            ('boolean(//BoundingBox[@right > "0.8"])', False),
            ('boolean(//SimpleItem[@Name = "State" and @Value = "true"])', True),
            ('boolean(//Frame[@UtcTime >= "2026-05-28T20:26:41Z"])', True),
            ('boolean(//Track[TrackToken = "NonExistingToken"])', False)):
        assert parse_filter(expression)(document) is expected, expression
