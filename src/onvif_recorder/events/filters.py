"""What one subscription wants: its topic expressions, content filters and policy."""

from __future__ import annotations

from dataclasses import dataclass

from onvif_recorder.events.item_filter import ContentFilter
from onvif_recorder.events.topic_expression import TopicExpression
from onvif_recorder.events.topics import message_of
from onvif_recorder.service.events import DomainEvent, PropertyOperation

_INITIAL_OR_FINAL = (PropertyOperation.INITIALIZED, PropertyOperation.DELETED)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """WS-BaseNotification: every filter component must match (they are ANDed); no
    component means every event. ``changed_only`` is tev:ChangedOnly (Core: no Initialized
    nor Deleted property messages)."""

    topics: tuple[TopicExpression, ...] = ()
    contents: tuple[ContentFilter, ...] = ()
    changed_only: bool = False

    def accepts(self, event: DomainEvent) -> bool:
        if not (self.topics or self.contents or self.changed_only):
            return True
        message = message_of(event)
        if self.changed_only and message.operation in _INITIAL_OR_FINAL:
            return False
        return all(t.matches(message.topic) for t in self.topics) and all(
            content(message) for content in self.contents
        )
