"""Notification XML: written once per notification, copied for every pull point."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from onvif_recorder.service.events import Notification, ReceiverConnectionFailed
from onvif_recorder.soap.mapping.events import RenderedNotifications, notification_element

PRODUCER = "http://127.0.0.1/onvif/event_service"


def notification(sequence: int) -> Notification:
    event = ReceiverConnectionFailed("Receiver_1", f"rtsp://cam/{sequence}")
    return Notification(event, datetime(2026, 1, 1, tzinfo=UTC), sequence)


def test_every_pull_point_gets_its_own_copy_of_the_same_xml() -> None:
    rendered = RenderedNotifications(size=2)
    first, second = etree.Element("a"), etree.Element("b")
    rendered.append(first, notification(1), PRODUCER)
    rendered.append(second, notification(1), PRODUCER)
    [one], [two] = list(first), list(second)
    assert one is not two
    assert etree.tostring(one) == etree.tostring(two)
    assert etree.tostring(one) == etree.tostring(notification_element(notification(1), PRODUCER))


def test_the_cache_is_bounded_and_rewrites_what_it_forgot() -> None:
    rendered = RenderedNotifications(size=2)
    parent = etree.Element("p")
    for sequence in (1, 2, 3, 1):
        rendered.append(parent, notification(sequence), PRODUCER)
    assert len(rendered._rendered) == 2
    uris = [item.get("Value") for item in parent.iter("{*}SimpleItem")
            if item.get("Name") == "MediaUri"]
    assert uris == ["rtsp://cam/1", "rtsp://cam/2", "rtsp://cam/3", "rtsp://cam/1"]
