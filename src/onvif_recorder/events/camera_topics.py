"""The topics cameras have sent in their metadata streams (``CameraEvent``), as this
recorder has re-published them: listed in GetEventProperties after the recorder's own
topics, and accepted in PullPoint topic filters, so a client sees what can trigger an
event-recording job and can subscribe to exactly that. At most ``LIMIT`` topics are kept
(a camera cannot grow the recorder's memory by inventing topics); the newest description
of a topic wins."""

from __future__ import annotations

import threading

from onvif_recorder.events.topics import TOPICS, Topic

LIMIT = 256
_OWN = frozenset(topic.path for topic in TOPICS)


class CameraTopics:
    def __init__(self, limit: int = LIMIT) -> None:
        self._topics: dict[tuple[str, ...], Topic] = {}
        self._limit = limit
        self._lock = threading.Lock()
        self.refused = 0
        """Topics not kept because the limit was reached."""

    def add(self, topic: Topic) -> None:
        if topic.path in _OWN:
            return
        with self._lock:
            if topic.path in self._topics or len(self._topics) < self._limit:
                self._topics[topic.path] = topic
            else:
                self.refused += 1

    def known(self) -> tuple[Topic, ...]:
        """The recorder's own topics, then the cameras' in the order first seen."""
        with self._lock:
            return (*TOPICS, *self._topics.values())
