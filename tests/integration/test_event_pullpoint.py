"""PullPoint subscriptions over the wire: filters, PullMessages limits and long polling,
Renew, Unsubscribe, expiry and MaxPullPoints (Core "Real-time Pull-Point Notification
Interface"; EVENT-3-1-9 … EVENT-3-1-38)."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zeep.exceptions
from lxml import etree

from onvif_recorder.events.pullpoint import PullPoint
from onvif_recorder.service.events import Notification, Subscriber, TrackDataDeleted
from onvif_recorder.settings import Limits
from tests.conftest import RunningRecorder, start_recorder
from tests.integration.event_client import (
    ENV,
    FAULT_ACTION,
    TEV,
    WSNT,
    Subscription,
    answer_action,
    events_service,
    subscribe,
    topic_filter,
)
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.onvif_client import ResponseRecorder, fault_chain, onvif_service, validate_body

WSRF_BF = "http://docs.oasis-open.org/wsrf/bf-2"
MANAGER_ACTIONS = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/"


def create_recordings(recorder: RunningRecorder, count: int) -> list[str]:
    service, _ = client(recorder, "recording")
    return [service.CreateRecording(RecordingConfiguration=recording_configuration())
            for _ in range(count)]


def fault_detail(call: Any, rec: ResponseRecorder, name: str, /, **kwargs: Any) -> etree._Element:
    """Call, expect Core's event fault ``name`` and return its Detail element."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        call(**kwargs)
    assert fault_chain(caught.value) == ["Receiver", name]
    assert rec.last_status == 500  # Core "SOAP Fault Messages"
    validate_body(rec.last)  # the Detail element is validated too (b-2.xsd, r-2.xsd)
    assert answer_action(rec.last) == FAULT_ACTION
    [detail] = etree.fromstring(rec.last).findall(f".//{{{ENV}}}Detail/*")
    assert etree.QName(detail).localname == name
    return detail


def wsrf_timestamp(detail: etree._Element) -> datetime:
    stamp = detail.findtext(f"{{{WSRF_BF}}}Timestamp")
    assert stamp is not None and stamp.endswith("Z")
    assert detail.findtext(f"{{{WSRF_BF}}}Description")
    return datetime.fromisoformat(stamp)


def topics_of(subscription: Subscription, count: int) -> list[str]:
    return [m.topic for m in subscription.pull_until(lambda got: len(got) >= count)]


# ------------------------------------------------------------------------------ filters


def test_alternatives_deliver_each_named_topic_and_nothing_else(
    recorder: RunningRecorder,
) -> None:
    """EVENT-3-1-33."""
    subscription = subscribe(recorder, "tns1:RecordingConfig/CreateRecording",
                             "tns1:RecordingConfig/DeleteRecording")
    [token] = create_recordings(recorder, 1)
    client(recorder, "recording")[0].DeleteRecording(RecordingToken=token)
    assert topics_of(subscription, 2) == ["tns1:RecordingConfig/CreateRecording",
                                          "tns1:RecordingConfig/DeleteRecording"]
    assert subscription.pull("PT0S") == []


def test_subtree_filters(recorder: RunningRecorder) -> None:
    """EVENT-3-1-34 and EVENT-3-1-35 (root//.|topic)."""
    recording_config = subscribe(recorder, "tns1:RecordingConfig//.")
    receiver_or_create = subscribe(recorder, "tns1:Receiver//.",
                                   "tns1:RecordingConfig/CreateRecording")
    create_recordings(recorder, 1)
    engine = recorder.services.engine
    recorder.in_loop(lambda: engine.receiver_connection_failed("Receiver_9", "rtsp://x/"))
    assert len(topics_of(recording_config, 4)) == 4
    assert recording_config.pull("PT0S") == []  # the receiver event is not below it
    assert topics_of(receiver_or_create, 2) == ["tns1:RecordingConfig/CreateRecording",
                                                "tns1:Receiver/ConnectionFailed"]


def test_message_content_filter_on_recording_token(recorder: RunningRecorder) -> None:
    first, second = create_recordings(recorder, 2)
    content = f'boolean(//tt:SimpleItem[@Name="RecordingToken"and @Value="{second}"])'
    subscription = subscribe(recorder, content=content)
    service, _ = client(recorder, "recording")
    for token in (first, second):
        service.SetTrackConfiguration(RecordingToken=token, TrackToken="VIDEO001",
                                      TrackConfiguration={"TrackType": "Video",
                                                          "Description": "new"})
    received = subscription.pull_until(
        lambda got: any(m.topic.endswith("TrackConfiguration") for m in got))
    # The recording's history properties (Search §5.17) come first, Initialized; then
    # only the second recording's track configuration.
    history = [m for m in received if m.topic.startswith("tns1:RecordingHistory/")]
    assert {m.operation for m in history} == {"Initialized"} and len(history) == 4
    assert all(m.source["RecordingToken"] == second for m in history)
    [message] = [m for m in received if m not in history]
    assert message.source == {"RecordingToken": second, "TrackToken": "VIDEO001"}
    assert subscription.pull("PT0S") == []


def test_topic_and_content_filters_both_apply(recorder: RunningRecorder) -> None:
    """EVENT-3-1-38 as the test tool builds it: content from the first Source item."""
    service, _ = client(recorder, "recording")
    [recording] = create_recordings(recorder, 1)
    jobs = [service.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording)).JobToken
            for _ in range(2)]
    content = f'boolean(//tt:SimpleItem[@Name="RecordingJobToken"and @Value="{jobs[1]}"])'
    subscription = subscribe(recorder, "tns1:RecordingConfig/JobState", content=content)
    [message] = subscription.pull_until(lambda got: len(got) >= 1)
    assert message.source == {"RecordingJobToken": jobs[1]}
    assert message.operation == "Initialized"
    assert subscription.pull("PT0S") == []


@pytest.mark.parametrize(
    ("topic", "fault"),
    [
        ("xyz", "TopicNotSupportedFault"),  # EVENT-3-1-22
        ("tns1:RecordingConfig/NoSuchTopic", "TopicNotSupportedFault"),
        ("tns1:Recording Config/JobState", "InvalidTopicExpressionFault"),
        ("tns1:RecordingConfig//", "InvalidTopicExpressionFault"),
        ("undeclared:RecordingConfig/JobState", "InvalidTopicExpressionFault"),
    ],
)
def test_refused_topic_expressions(recorder: RunningRecorder, topic: str, fault: str) -> None:
    service, rec = events_service(recorder)
    detail = fault_detail(service.CreatePullPointSubscription, rec, fault,
                          Filter=topic_filter(topic))
    assert abs(wsrf_timestamp(detail) - datetime.now(UTC)) < timedelta(minutes=1)


def test_refused_dialects_and_contents(recorder: RunningRecorder) -> None:
    """EVENT-3-1-17 (the tool's own invalid expression) and unknown dialects."""
    service, rec = events_service(recorder)
    fault_detail(service.CreatePullPointSubscription, rec, "TopicExpressionDialectUnknownFault",
                 Filter=topic_filter("tns1:RecordingConfig/JobState", dialect="urn:nope"))
    invalid = 'boolean((//tt:SimpleItem[@Name="xyz" and @Value="xyz"])'
    fault_detail(service.CreatePullPointSubscription, rec,
                 "InvalidMessageContentExpressionFault", Filter=topic_filter(content=invalid))
    fault_detail(service.CreatePullPointSubscription, rec,
                 "InvalidMessageContentExpressionFault",
                 Filter=topic_filter(content="boolean(//tt:SimpleItem)",
                                     content_dialect="urn:nope"))


def test_unknown_filter_components_and_policies(recorder: RunningRecorder) -> None:
    service, rec = events_service(recorder)
    producer = etree.Element(f"{{{WSNT}}}ProducerProperties", Dialect="urn:x")
    detail = fault_detail(service.CreatePullPointSubscription, rec, "InvalidFilterFault",
                          Filter={"_value_1": [producer]})
    [unknown] = detail.findall(f"{{{WSNT}}}UnknownFilter")
    prefix, local = str(unknown.text).split(":")
    assert (unknown.nsmap[prefix], local) == (WSNT, "ProducerProperties")
    policy = {"_value_1": [etree.Element("{urn:vendor}Nonsense")]}
    fault_detail(service.CreatePullPointSubscription, rec, "UnrecognizedPolicyRequestFault",
                 SubscriptionPolicy=policy)
    assert recorder.services.events.subscriber_count == 0  # nothing half-created


# ------------------------------------------------------------------ create and terminate


def test_create_answers_times_and_a_distinct_absolute_address(recorder: RunningRecorder) -> None:
    """EVENT-3-1-9: TerminationTime >= CurrentTime + InitialTerminationTime."""
    first = subscribe(recorder, termination="PT10S").created
    second = subscribe(recorder, termination=None).created
    assert first.TerminationTime - first.CurrentTime >= timedelta(seconds=10)
    assert second.TerminationTime - second.CurrentTime == timedelta(seconds=60)  # default
    for created in (first, second):
        address = created.SubscriptionReference.Address._value_1
        assert address.startswith(recorder.service_url("event") + "/subscription/")
    assert (first.SubscriptionReference.Address._value_1
            != second.SubscriptionReference.Address._value_1)


def test_absolute_and_unacceptable_initial_termination_times(recorder: RunningRecorder) -> None:
    service, rec = events_service(recorder)
    at = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)
    created = service.CreatePullPointSubscription(
        InitialTerminationTime=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    validate_body(rec.last)
    assert created.TerminationTime == at
    for refused in ("PT0S", "P1D", "2001-01-01T00:00:00Z"):
        detail = fault_detail(service.CreatePullPointSubscription, rec,
                              "UnacceptableInitialTerminationTimeFault",
                              InitialTerminationTime=refused)
        minimum = datetime.fromisoformat(str(detail.findtext(f"{{{WSNT}}}MinimumTime")))
        maximum = datetime.fromisoformat(str(detail.findtext(f"{{{WSNT}}}MaximumTime")))
        assert maximum - minimum == timedelta(seconds=Limits().max_subscription_s - 1)


def test_renew(recorder: RunningRecorder) -> None:
    """EVENT-3-1-12, and UnacceptableTerminationTimeFault beyond the maximum."""
    subscription = subscribe(recorder, termination="PT10S")
    renewed = subscription.manager.Renew(TerminationTime="PT10S")
    validate_body(subscription.manager_rec.last)
    assert answer_action(subscription.manager_rec.last) == MANAGER_ACTIONS + "RenewResponse"
    assert renewed.TerminationTime - renewed.CurrentTime >= timedelta(seconds=10)
    fault_detail(subscription.manager.Renew, subscription.manager_rec,
                 "UnacceptableTerminationTimeFault", TerminationTime="PT2H")


def test_unsubscribe_then_the_subscription_is_unknown(recorder: RunningRecorder) -> None:
    """EVENT-3-1-19 and EVENT-3-1-36."""
    subscription = subscribe(recorder, termination="PT10S")
    subscription.unsubscribe()
    assert answer_action(subscription.manager_rec.last) == (
        MANAGER_ACTIONS + "UnsubscribeResponse")
    for call, rec in ((subscription.manager.Unsubscribe, subscription.manager_rec),
                      (subscription.pullpoint.Unsubscribe, subscription.pull_rec)):
        fault_detail(call, rec, "ResourceUnknownFault")
    fault_detail(subscription.pullpoint.PullMessages, subscription.pull_rec,
                 "ResourceUnknownFault", Timeout="PT1S", MessageLimit=1)
    fault_detail(subscription.manager.Renew, subscription.manager_rec, "ResourceUnknownFault",
                 TerminationTime="PT10S")
    assert recorder.services.events.subscriber_count == 0


def test_a_subscription_expires_by_itself(recorder: RunningRecorder) -> None:
    """EVENT-3-1-20, with a short InitialTerminationTime; the queue is released as well."""
    subscription = subscribe(recorder, termination="PT1S")
    time.sleep(1.2)
    fault_detail(subscription.manager.Unsubscribe, subscription.manager_rec,
                 "ResourceUnknownFault")
    abandoned = subscribe(recorder, termination="PT1S")
    assert recorder.services.events.subscriber_count == 1
    deadline = time.monotonic() + 5
    while recorder.services.events.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.1)  # the app sweeps expired pull points once a second
    assert recorder.services.events.subscriber_count == 0
    fault_detail(abandoned.pullpoint.SetSynchronizationPoint, abandoned.pull_rec,
                 "ResourceUnknownFault")


@pytest.fixture
def three_pull_points(tmp_path: Path) -> Iterator[RunningRecorder]:
    running, thread = start_recorder(tmp_path / "data", Limits(max_pull_points=3))
    yield running
    thread.stop()


def test_max_pull_points(three_pull_points: RunningRecorder) -> None:
    """EVENT-3-1-37; one more than MaxPullPoints is SubscribeCreationFailedFault."""
    recorder = three_pull_points
    service, rec = events_service(recorder)
    assert service.GetServiceCapabilities().MaxPullPoints == 3
    subscriptions = [subscribe(recorder, termination=None) for _ in range(3)]
    assert len({s.address for s in subscriptions}) == 3
    for subscription in subscriptions:
        subscription.pull("PT0S")
    fault_detail(service.CreatePullPointSubscription, rec, "SubscribeCreationFailedFault")
    subscriptions[0].unsubscribe()
    subscribe(recorder)


# ------------------------------------------------------------------------- PullMessages


def test_pull_messages_limits(recorder: RunningRecorder) -> None:
    """Core: Timeout above the maximum is a PullMessagesFaultResponse naming both limits;
    a MessageLimit above the maximum is not, the answer just holds fewer messages."""
    subscription = subscribe(recorder, "tns1:RecordingConfig/DeleteTrackData")
    limits = Limits()
    for wrong in ({"Timeout": "PT61S", "MessageLimit": 1}, {"Timeout": "PT1S", "MessageLimit": 0},
                  {"Timeout": "-PT1S", "MessageLimit": 1}):
        detail = fault_detail(subscription.pullpoint.PullMessages, subscription.pull_rec,
                              "PullMessagesFaultResponse", **wrong)
        assert detail.findtext(f"{{{TEV}}}MaxTimeout") == f"PT{limits.max_pull_timeout_s}S"
        assert detail.findtext(f"{{{TEV}}}MaxMessageLimit") == str(limits.max_pull_messages)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    events = [TrackDataDeleted("R", f"T{n}", moment, moment) for n in range(150)]
    recorder.in_loop(lambda: recorder.services.events.publish(*events))
    assert len(subscription.pull("PT0S", limit=1000)) == limits.max_pull_messages
    rest = subscription.pull("PT0S", limit=1000)
    assert [m.source["TrackToken"] for m in rest] == [f"T{n}" for n in range(100, 150)]


def test_an_empty_answer_comes_at_the_timeout_not_before(recorder: RunningRecorder) -> None:
    """Core "Pull messages", EVENT-3-1-32: TerminationTime > CurrentTime."""
    subscription = subscribe(recorder, "tns1:RecordingConfig/DeleteTrackData")
    started = time.monotonic()
    assert subscription.pull("PT1S") == []
    assert time.monotonic() - started >= 1.0
    assert subscription.last.TerminationTime > subscription.last.CurrentTime


def test_a_waiting_pull_answers_as_soon_as_a_message_arrives(recorder: RunningRecorder) -> None:
    subscription = subscribe(recorder, "tns1:RecordingConfig/CreateRecording")
    trigger = threading.Timer(0.3, create_recordings, args=(recorder, 1))
    trigger.start()
    started = time.monotonic()
    received = subscription.pull("PT20S")
    trigger.join()
    assert [m.topic for m in received] == ["tns1:RecordingConfig/CreateRecording"]
    assert 0.25 < time.monotonic() - started < 5


def test_a_second_waiting_pull_is_refused(recorder: RunningRecorder) -> None:
    """Core: UnableToGetMessagesFault while a PullMessages is already blocking."""
    subscription = subscribe(recorder, "tns1:RecordingConfig/CreateRecording")
    waiting = threading.Thread(target=subscription.pull, args=("PT3S",))
    waiting.start()
    time.sleep(0.3)
    second = Subscription(recorder, subscription.created)
    fault_detail(second.pullpoint.PullMessages, second.pull_rec, "UnableToGetMessagesFault",
                 Timeout="PT1S", MessageLimit=1)
    create_recordings(recorder, 1)
    waiting.join()
    assert [m.source for m in subscription.pull("PT0S")] == []  # the first pull got it


def test_stopping_the_recorder_ends_a_waiting_pull_at_once(tmp_path: Path) -> None:
    recorder, thread = start_recorder(tmp_path / "data")
    subscription = subscribe(recorder)
    outcome: list[BaseException] = []

    def pull() -> None:
        try:
            subscription.pull("PT30S")
        except zeep.exceptions.Fault as fault:
            outcome.append(fault)

    waiting = threading.Thread(target=pull)
    waiting.start()
    time.sleep(0.3)
    started = time.monotonic()
    thread.stop()
    waiting.join(10)
    assert time.monotonic() - started < 5 and not waiting.is_alive()
    [fault] = outcome
    assert isinstance(fault, zeep.exceptions.Fault)
    assert fault_chain(fault) == ["Receiver", "ResourceUnknownFault"]


def test_pulling_keeps_the_subscription_alive(recorder: RunningRecorder) -> None:
    """EVENT-3-1-24: after PullMessages the pull point lives at least its Timeout longer."""
    subscription = subscribe(recorder, termination="PT2S")
    first_end = subscription.created.TerminationTime
    for _ in range(3):
        subscription.pull("PT1S")
    assert subscription.last.TerminationTime > first_end
    subscription.pull("PT0S")  # alive after 3 s although created for 2 s


# ------------------------------------------------------------------------------ memory


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[RunningRecorder]:
    running, thread = start_recorder(tmp_path / "data", Limits(max_pull_points=1000))
    yield running
    thread.stop()


def alive(kind: type) -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, kind))


@pytest.mark.slow
def test_a_thousand_abandoned_subscriptions_leave_nothing_behind(roomy: RunningRecorder) -> None:
    """Clients that vanish without Unsubscribe: once their pull points expire, no pull
    point, queue or queued notification of theirs is left in the recorder. (The fast suite
    measures the same with tracemalloc on the subscription manager itself, tests/unit.)"""
    service = onvif_service("events", roomy.service_url("event"), username=roomy.admin_user,
                            password=roomy.admin_password)
    bus = roomy.services.events
    before = (alive(PullPoint), alive(Subscriber), alive(Notification))
    expiry = (datetime.now(UTC) + timedelta(seconds=6)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for _ in range(1000):
        service.CreatePullPointSubscription(InitialTerminationTime=expiry)
    assert bus.subscriber_count == 1000
    create_recordings(roomy, 1)  # every abandoned queue holds messages
    assert alive(Notification) - before[2] >= 4
    deadline = time.monotonic() + 15
    while bus.subscriber_count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert bus.subscriber_count == 0
    assert (alive(PullPoint), alive(Subscriber), alive(Notification)) == before
