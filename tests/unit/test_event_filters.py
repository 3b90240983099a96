"""Topic expressions (ConcreteSet and Concrete) and ItemFilter message content filters
(Core "Topic Filter", "Message Content Filter")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onvif_recorder.domain.job import JobState, RecordingJobStateInformation
from onvif_recorder.domain.recording import TrackConfiguration, TrackType
from onvif_recorder.events import errors
from onvif_recorder.events.filters import EventFilter
from onvif_recorder.events.item_filter import ITEM_FILTER, parse_item_filter
from onvif_recorder.events.topic_expression import (
    CONCRETE,
    CONCRETE_SET,
    TopicExpression,
    parse_topic_expression,
)
from onvif_recorder.events.topics import (
    CREATE_RECORDING,
    CREATE_TRACK,
    DELETE_TRACK_DATA,
    JOB_STATE,
    RECEIVER_CHANGE_STATE,
    TOPICS,
    Topic,
    message_of,
)
from onvif_recorder.service.events import (
    JobStateChanged,
    PropertyOperation,
    RecordingCreated,
    TrackConfigurationChanged,
    TrackCreated,
    TrackDataDeleted,
)

TOPICS_NS = "http://www.onvif.org/ver10/topics"
TT = "http://www.onvif.org/ver10/schema"


def undeclared(_: str) -> str | None:
    return None


def topics(text: str, dialect: str = CONCRETE_SET, **prefixes: str) -> list[Topic]:
    expression = parse_topic_expression(text, dialect, lambda p: prefixes.get(p))
    return [topic for topic in TOPICS if expression.matches(topic)]


def test_a_single_topic() -> None:
    assert topics("tns1:RecordingConfig/JobState") == [JOB_STATE]
    assert topics(" \n tns1:RecordingConfig/CreateTrack\n ") == [CREATE_TRACK]


def test_alternatives_and_subtrees() -> None:
    both = "tns1:RecordingConfig/CreateRecording | tns1:Receiver/ChangeState"
    assert topics(both) == [CREATE_RECORDING, RECEIVER_CHANGE_STATE]
    recording_config = topics("tns1:RecordingConfig//.")
    assert len(recording_config) == 9 and RECEIVER_CHANGE_STATE not in recording_config
    assert topics("tns1:Receiver//.|tns1:RecordingConfig/JobState") == [
        JOB_STATE,
        *(t for t in TOPICS if t.path[0] == "Receiver"),
    ]
    assert topics("tns1:RecordingConfig/DeleteTrackData//.") == [DELETE_TRACK_DATA]


def test_prefixes_resolve_against_the_declarations_in_scope() -> None:
    assert topics("t:RecordingConfig/JobState", t=TOPICS_NS) == [JOB_STATE]
    assert topics("RecordingConfig/JobState", **{"": TOPICS_NS}) == [JOB_STATE]


@pytest.mark.parametrize(
    "text",
    ["xyz", "tns1:RecordingConfig", "tns1:RecordingConfig/Nothing", "tns1:Recording//."],
)
def test_expressions_that_name_none_of_our_topics(text: str) -> None:
    with pytest.raises(errors.TopicNotSupported):
        topics(text)


def test_a_prefix_bound_elsewhere_names_another_topic_tree() -> None:
    with pytest.raises(errors.TopicNotSupported):
        topics("tns1:RecordingConfig/JobState", tns1="http://vendor.example/topics")
    with pytest.raises(errors.TopicNotSupported):  # a vendor child topic is not ours
        topics("tns1:RecordingConfig/v:JobState", v="http://vendor.example/topics")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tns1:",
        ":JobState",
        "tns1:RecordingConfig/",
        "tns1:RecordingConfig//JobState",
        "tns1:Recording Config/JobState",
        "tns1:RecordingConfig/JobState|",
        "//.",
        "tns1:RecordingConfig/*",
        "nope:RecordingConfig/JobState",
        "tns1:RecordingConfig/1Job",
    ],
)
def test_malformed_expressions(text: str) -> None:
    with pytest.raises(errors.InvalidTopicExpression):
        topics(text)


def test_the_concrete_dialect_has_neither_alternatives_nor_subtrees() -> None:
    assert topics("tns1:RecordingConfig/JobState", CONCRETE) == [JOB_STATE]
    for text in ("tns1:RecordingConfig//.", "tns1:A/B|tns1:RecordingConfig/JobState"):
        with pytest.raises(errors.InvalidTopicExpression):
            topics(text, CONCRETE)


def test_unknown_dialects_and_overlong_expressions() -> None:
    with pytest.raises(errors.TopicExpressionDialectUnknown):
        topics("tns1:RecordingConfig/JobState", "http://www.w3.org/TR/1999/REC-xpath-19991116")
    with pytest.raises(errors.InvalidTopicExpression):
        topics("|".join(["tns1:RecordingConfig/JobState"] * 200))


CREATED = message_of(TrackCreated("Recording_1", "VIDEO001"))
STATE = RecordingJobStateInformation("Recording_1", JobState.IDLE, ())
JOB = message_of(JobStateChanged("RecordingJob_1", PropertyOperation.INITIALIZED, STATE))


def content(text: str, **prefixes: str) -> list[str]:
    """Names of the sample messages the filter lets through."""
    predicate = parse_item_filter(text, ITEM_FILTER, lambda p: prefixes.get(p))
    samples = {"created": CREATED, "job": JOB}
    return [name for name, message in samples.items() if predicate(message)]


def test_core_examples() -> None:
    token = 'boolean(//tt:SimpleItem[@Name="RecordingToken" and @Value="Recording_1"])'
    assert content(token) == ["created"]
    assert content(f"not({token})") == ["job"]
    assert content(f'{token} and boolean(//tt:SimpleItem[@Name="TrackToken"])') == ["created"]
    assert content(f'{token} or boolean(//SimpleItem[@Value="Idle"])') == ["created", "job"]


def test_the_test_tool_writes_and_right_after_a_quote() -> None:
    generated = 'boolean(//tt:SimpleItem[@Name="TrackToken"and @Value="VIDEO001"])'
    assert content(generated, tt=TT) == ["created"]


def test_and_binds_tighter_than_or_and_parentheses_regroup() -> None:
    never = 'boolean(//tt:SimpleItem[@Name="x"])'
    always = 'boolean(//tt:SimpleItem[@Name="RecordingToken" or @Name="RecordingJobToken"])'
    assert content(f"{always} or {always} and {never}") == ["created", "job"]
    assert content(f"({always} or {always}) and {never}") == []
    assert content(
        "boolean(//tt:SimpleItem[(@Name='State' or @Name='x') and not(@Value='Active')])"
    ) == ["job"]


def test_element_items_have_a_name_and_no_value() -> None:
    job_with_information = message_of(JobStateChanged(
        "RecordingJob_1",
        PropertyOperation.CHANGED,
        RecordingJobStateInformation("Recording_1", JobState.ERROR, ()),
    ))
    assert "Information" not in list(job_with_information.element_item_names())
    predicate = parse_item_filter('boolean(//tt:ElementItem[@Name="Configuration"])',
                                  ITEM_FILTER, undeclared)
    changed = message_of(TrackConfigurationChanged(
        "Recording_1", "VIDEO001", TrackConfiguration(TrackType.VIDEO, "")))
    assert predicate(changed) and not predicate(CREATED)
    by_value = parse_item_filter('boolean(//tt:ElementItem[@Value=""])', ITEM_FILTER, undeclared)
    assert not by_value(changed)


@pytest.mark.parametrize(
    "text",
    [
        'boolean((//tt:SimpleItem[@Name="xyz" and @Value="xyz"])',  # EVENT-3-1-17
        'boolean(//tt:SimpleItem[@Name="x"]',
        'boolean(//tt:SimpleItem[@Name="x"]) extra',
        'boolean(//tt:SimpleItem[@Name=x])',
        'boolean(//tt:SimpleItem[@Other="x"])',
        'boolean(//tt:Item[@Name="x"])',
        'boolean(//other:SimpleItem[@Name="x"])',
        'boolean(//tt:SimpleItem)',
        "//tt:SimpleItem[@Name='x']",
        "not boolean(//tt:SimpleItem[@Name='x'])",
        "",
        "(" * 40 + "boolean(//tt:SimpleItem[@Name='x'])" + ")" * 40,
        "boolean(//tt:SimpleItem[@Name='x']) ;",
    ],
)
def test_invalid_content_filters(text: str) -> None:
    with pytest.raises(errors.InvalidMessageContent):
        parse_item_filter(text, ITEM_FILTER, undeclared)


def test_the_tt_prefix_must_be_the_onvif_schema() -> None:
    with pytest.raises(errors.InvalidMessageContent):
        content("boolean(//tt:SimpleItem[@Name='x'])", tt="http://vendor.example/")
    assert content("boolean(//s:SimpleItem[@Name='TrackToken'])", s=TT) == ["created"]


def test_only_the_item_filter_dialect() -> None:
    with pytest.raises(errors.InvalidMessageContent):
        parse_item_filter("boolean(//tt:SimpleItem[@Name='x'])", "urn:xpath", undeclared)


def test_event_filter_ands_its_components_and_honours_changed_only() -> None:
    job_topic = parse_topic_expression("tns1:RecordingConfig//.", CONCRETE_SET, undeclared)
    recording = parse_item_filter(
        "boolean(//tt:SimpleItem[@Value='Recording_1'])", ITEM_FILTER, undeclared
    )
    changed = JobStateChanged("RecordingJob_1", PropertyOperation.CHANGED, STATE)
    initialized = JobStateChanged("RecordingJob_1", PropertyOperation.INITIALIZED, STATE)
    both = EventFilter((job_topic,), (recording,))
    assert both.accepts(RecordingCreated("Recording_1"))
    assert not both.accepts(RecordingCreated("Recording_2"))
    assert not both.accepts(changed)  # no item has the value Recording_1
    assert EventFilter().accepts(initialized)
    only_changes = EventFilter(changed_only=True)
    assert only_changes.accepts(changed) and not only_changes.accepts(initialized)
    deleted = JobStateChanged("RecordingJob_1", PropertyOperation.DELETED, None)
    assert not only_changes.accepts(deleted)
    data_deleted = TrackDataDeleted("R", "T", datetime(2026, 1, 1, tzinfo=UTC),
                                    datetime(2026, 1, 2, tzinfo=UTC))
    assert EventFilter((TopicExpression(()),)).accepts(data_deleted) is False
