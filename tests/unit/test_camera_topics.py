"""Topics cameras bring: kept after the recorder's own, bounded, newest description wins."""

from __future__ import annotations

from onvif_recorder.events.camera_topics import CameraTopics
from onvif_recorder.events.topics import JOB_STATE, TOPICS, Item, Topic


def topic(*path: str, item: str = "State") -> Topic:
    return Topic(path, True, (Item("Source", "xs:string"),), (Item(item, "xs:string"),))


def test_camera_topics_follow_the_recorders_own() -> None:
    known = CameraTopics()
    known.add(topic("VideoSource", "MotionAlarm"))
    known.add(JOB_STATE)  # one of ours: not a camera topic
    assert known.known() == (*TOPICS, topic("VideoSource", "MotionAlarm"))


def test_the_newest_description_wins_and_the_count_is_bounded() -> None:
    known = CameraTopics(limit=2)
    known.add(topic("A"))
    known.add(topic("B"))
    known.add(topic("A", item="IsMotion"))
    known.add(topic("C"))
    assert known.known()[len(TOPICS):] == (topic("A", item="IsMotion"), topic("B"))
    assert known.refused == 1
