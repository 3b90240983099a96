"""Events cameras send inside their ONVIF metadata streams, re-published on the bus.

Every metadata sample of every receiver (``SampleFanout.on_metadata``) that holds a
``wsnt:NotificationMessage`` is parsed (``parse``: the safe parser of
``soap.mapping.recorded_events``, the one Search reads recorded documents with) and each
event in the ONVIF topic namespace becomes a ``CameraEvent`` with the receiver's token
added to its Source: PullPoint clients see it, and event-recording jobs trigger on it
(requirements §7.5). Events of vendor topic namespaces are not re-published (their topic
could not be written back in ``tns1``); a document that is not XML is dropped and counted.
"""

from __future__ import annotations

from collections.abc import Callable

from onvif_recorder.events.camera_topics import CameraTopics
from onvif_recorder.events.topics import TOPIC_NAMESPACE, message_of
from onvif_recorder.ingest.items import MediaSample
from onvif_recorder.service.events import CameraEvent, PropertyOperation
from onvif_recorder.service.search.recorded import MetadataSample, RecordedNotification
from onvif_recorder.service.state import EventSink

Parser = Callable[[MetadataSample], list[RecordedNotification]]
_MARKER = b"NotificationMessage"
_OPERATIONS = {o.value: o for o in PropertyOperation}


class CameraEvents:
    def __init__(self, bus: EventSink, parse: Parser,
                 topics: CameraTopics | None = None) -> None:
        self._bus = bus
        self._parse = parse
        self._topics = topics
        self.published = 0
        self.dropped = 0
        """Documents with an event that could not be read, and vendor-namespace events."""

    def __call__(self, receiver_token: str, sample: MediaSample) -> None:
        payload = b"".join(sample.sample.units)  # one XML document (marker-bit framed)
        if _MARKER not in payload:  # most metadata documents carry no event
            return
        found = self._parse(MetadataSample(receiver_token, sample.sample.utc, payload))
        if not found:
            self.dropped += 1
        events = [event for n in found if (event := _event(receiver_token, n)) is not None]
        self.dropped += len(found) - len(events)
        if events:
            self.published += len(events)
            if self._topics is not None:
                for event in events:
                    self._topics.add(message_of(event).topic)
            self._bus.publish(*events)


def _event(receiver_token: str, found: RecordedNotification) -> CameraEvent | None:
    if found.topic_namespace != TOPIC_NAMESPACE or any(n.startswith("{") for n in found.topic):
        return None
    operation = None if found.operation is None else _OPERATIONS.get(found.operation)
    return CameraEvent(receiver_token, found.topic, operation, found.source, found.data)
