"""The event service endpoint: capabilities, GetEventProperties, access classes,
WS-Addressing and what is deliberately not offered (Core "Event handling", EVENT-1-1-2,
EVENT-5-1-1, RECORDING-5-1-x topic descriptions)."""

from __future__ import annotations

import pytest
import requests
import zeep.exceptions
from lxml import etree

from onvif_recorder.settings import Limits
from tests.conftest import RunningRecorder
from tests.integration.event_client import (
    ENV,
    FAULT_ACTION,
    TEV,
    TOPICS_NS,
    TT,
    WSNT,
    XSI,
    answer_action,
    events_service,
    subscribe,
)
from tests.integration.helpers import client, expect_fault
from tests.onvif_client import body_element, onvif_service_with_recorder, validate_body

WSTOP = "http://docs.oasis-open.org/wsn/t-1"
XS = "http://www.w3.org/2001/XMLSchema"
PT = "http://www.onvif.org/ver10/pacs"
EVENT_ACTIONS = "http://www.onvif.org/ver10/events/wsdl/EventPortType/"
NOT_SUPPORTED = ["Receiver", "ActionNotSupported"]

# Conformance §2.5 and the Receiver spec, independently of the implementation:
# topic -> (IsProperty, Source items, Data items as (name, type, is ElementItem)).
S = False  # SimpleItem
E = True  # ElementItem
TAS = "http://www.onvif.org/ver10/advancedsecurity/wsdl"
EXPECTED_TOPICS = {
    "RecordingConfig/JobState": (
        "true", [("RecordingJobToken", "tt:RecordingJobReference")],
        [("State", "xs:string", S), ("Information", "tt:RecordingJobStateInformation", E)]),
    "RecordingConfig/RecordingConfiguration": (
        "false", [("RecordingToken", "tt:RecordingReference")],
        [("Configuration", "tt:RecordingConfiguration", E)]),
    "RecordingConfig/TrackConfiguration": (
        "false", [("RecordingToken", "tt:RecordingReference"), ("TrackToken", "tt:TrackReference")],
        [("Configuration", "tt:TrackConfiguration", E)]),
    "RecordingConfig/RecordingJobConfiguration": (
        "false", [("RecordingJobToken", "tt:RecordingJobReference")],
        [("Configuration", "tt:RecordingJobConfiguration", E)]),
    "RecordingConfig/CreateRecording": (
        "false", [("RecordingToken", "tt:RecordingReference")], []),
    "RecordingConfig/DeleteRecording": (
        "false", [("RecordingToken", "tt:RecordingReference")], []),
    "RecordingConfig/CreateTrack": (
        "false", [("RecordingToken", "tt:RecordingReference"), ("TrackToken", "tt:TrackReference")],
        []),
    "RecordingConfig/DeleteTrack": (
        "false", [("RecordingToken", "tt:RecordingReference"), ("TrackToken", "tt:TrackReference")],
        []),
    "RecordingConfig/DeleteTrackData": (
        "false", [("RecordingToken", "tt:RecordingReference"), ("TrackToken", "tt:TrackReference")],
        [("StartTime", "xs:dateTime", S), ("EndTime", "xs:dateTime", S)]),
    "Receiver/ChangeState": (
        "false", [("ReceiverToken", "tt:ReferenceToken")],
        [("NewState", "tt:ReceiverState", S), ("MediaUri", "tt:MediaUri", S)]),
    "Receiver/ConnectionFailed": (
        "false", [("ReceiverToken", "tt:ReferenceToken")], [("MediaUri", "tt:MediaUri", S)]),
    # Sched §6, exactly as SCHEDULE-7-1-1..5 check them.
    "Schedule/State/Active": (
        "true", [("ScheduleToken", "pt:ReferenceToken"), ("Name", "xs:string")],
        [("Active", "xs:boolean", S), ("SpecialDay", "xs:boolean", S)]),
    "Configuration/Schedule/Changed": ("false", [("ScheduleToken", "pt:ReferenceToken")], []),
    "Configuration/Schedule/Removed": ("false", [("ScheduleToken", "pt:ReferenceToken")], []),
    "Configuration/SpecialDays/Changed": (
        "false", [("SpecialDaysToken", "pt:ReferenceToken")], []),
    "Configuration/SpecialDays/Removed": (
        "false", [("SpecialDaysToken", "pt:ReferenceToken")], []),
    # ASec §5.5.8.1 (the keystore behind RC B.8.2's CertificateID).
    "Advancedsecurity/Keystore/KeyStatus": (
        "false", [("KeyID", "tas:KeyID")],
        [("OldStatus", "tas:KeyStatus", S), ("NewStatus", "tas:KeyStatus", S)]),
    # Search §5.17, names and types as the spec prints them.
    "RecordingHistory/Recording/State": (
        "true", [("RecordingToken", "tt:ReferenceToken")], [("IsRecording", "xs:boolean", S)]),
    "RecordingHistory/Track/State": (
        "true", [("RecordingToken", "tt:ReferenceToken"), ("Track", "tt:ReferenceToken")],
        [("IsDataPresent", "xs:boolean", S)]),
    # The optional ones (published live too), VideoRateControl an ElementItem.
    "RecordingHistory/Track/VideoParameters": (
        "true", [("Recording", "tt:ReferenceToken"), ("Track", "tt:ReferenceToken")],
        [("VideoEncoding", "tt:VideoEncoding", S), ("VideoWidth", "xs:int", S),
         ("VideoHeight", "xs:int", S), ("VideoRateControl", "tt:VideoRateControl", E)]),
    "RecordingHistory/Track/AudioParameters": (
        "true", [("Recording", "tt:ReferenceToken"), ("Track", "tt:ReferenceToken")],
        [("AudioEncoding", "tt:AudioEncoding", S), ("AudioSampleRate", "xs:int", S),
         ("AudioBitrate", "xs:int", S)]),
    # Core §8.9.7 (ExportRecordedData progress); Alias is Core 26.06's.
    "Monitoring/AsynchronousOperationStatus": (
        "true", [("Token", "tt:ReferenceToken"), ("OperationName", "xs:string"),
                 ("ServiceName", "xs:string")],
        [("Progress", "xs:float", S), ("Alias", "xs:string", S),
         ("FileProgressStatus", "tt:ArrayOfFileProgress", E), ("Error", "env:Fault", E)]),
}


def test_service_capabilities_advertise_only_pull_points(recorder: RunningRecorder) -> None:
    service, rec = events_service(recorder)
    caps = service.GetServiceCapabilities()
    validate_body(rec.last)
    assert answer_action(rec.last) == EVENT_ACTIONS + "GetServiceCapabilitiesResponse"
    assert caps.MaxPullPoints == Limits().max_pull_points >= 2  # Profile G
    assert caps.MaxNotificationProducers == 0  # no WS-BaseNotification Subscribe
    assert caps.WSSubscriptionPolicySupport is False
    assert caps.WSPausableSubscriptionManagerInterfaceSupport is False
    assert caps.PersistentNotificationStorage is False
    assert caps.EventBrokerProtocols is None and caps.MaxEventBrokers is None


def test_get_services_and_get_capabilities_point_at_the_event_service(
    recorder: RunningRecorder,
) -> None:
    device, rec = client(recorder, "device")
    entry = next(s for s in device.GetServices(IncludeCapability=False) if s.Namespace == TEV)
    assert entry.XAddr == recorder.service_url("event")
    legacy = device.GetCapabilities(Category=["Events"])
    validate_body(rec.last)
    assert legacy.Events.XAddr == recorder.service_url("event")


def topic_node(topic_set: etree._Element, path: str) -> etree._Element:
    root, *children = path.split("/")
    node = topic_set.find(f"{{{TOPICS_NS}}}{root}")
    assert node is not None, f"no root topic tns1:{root}"
    for child in children:
        node = node.find(child)  # unqualified below the root
        assert node is not None, f"no topic tns1:{path}"
    return node


def items(group: etree._Element | None, kind: str) -> list[tuple[str, str]]:
    assert group is not None
    return [(str(i.get("Name")), str(i.get("Type"))) for i in group.findall(f"{{{TT}}}{kind}")]


def check_type_prefixes(description: etree._Element) -> None:
    """Item types are QNames: their prefixes must be declared, and be the right ones."""
    for item in description.iter(f"{{{TT}}}SimpleItemDescription",
                                 f"{{{TT}}}ElementItemDescription"):
        prefix = str(item.get("Type")).split(":", 1)[0]
        assert item.nsmap.get(prefix) == {"tt": TT, "xs": XS, "pt": PT, "tas": TAS,
                                          "env": ENV}[prefix]


@pytest.mark.parametrize("path", list(EXPECTED_TOPICS))
def test_event_properties_describe_every_topic_exactly(
    recorder: RunningRecorder, path: str
) -> None:
    service, rec = events_service(recorder)
    service.GetEventProperties()
    validate_body(rec.last)
    topic_set = body_element(rec.last).find(f"{{{WSTOP}}}TopicSet")
    assert topic_set is not None
    node = topic_node(topic_set, path)
    assert node.get(f"{{{WSTOP}}}topic") == "true"
    [description] = node.findall(f"{{{TT}}}MessageDescription")
    is_property, source, data = EXPECTED_TOPICS[path]
    assert description.get("IsProperty") == is_property
    assert items(description.find(f"{{{TT}}}Source"), "SimpleItemDescription") == source
    data_group = description.find(f"{{{TT}}}Data")
    assert items(data_group, "SimpleItemDescription") == [(n, t) for n, t, e in data if not e]
    assert items(data_group, "ElementItemDescription") == [(n, t) for n, t, e in data if e]
    check_type_prefixes(description)


def topic_paths(topic_set: etree._Element) -> list[str]:
    """Every node marked wstop:topic, as its path below the TopicSet."""
    paths = []
    for node in topic_set.iter():
        if node.get(f"{{{WSTOP}}}topic") != "true":
            continue
        names = [etree.QName(node).localname]
        parent = node.getparent()
        while parent is not None and parent is not topic_set:
            names.insert(0, etree.QName(parent).localname)
            parent = parent.getparent()
        paths.append("/".join(names))
    return paths


def test_the_topic_set_holds_nothing_else_and_each_description_is_schema_valid(
    recorder: RunningRecorder,
) -> None:
    service, rec = events_service(recorder)
    service.GetEventProperties()
    envelope = etree.fromstring(rec.last)
    topic_set = envelope.find(f".//{{{WSTOP}}}TopicSet")
    assert topic_set is not None
    assert sorted(topic_paths(topic_set)) == sorted(EXPECTED_TOPICS)
    for description in topic_set.iter(f"{{{TT}}}MessageDescription"):
        description.set(f"{{{XSI}}}type", "tt:MessageDescription")  # lax wildcard otherwise
    validate_body(etree.tostring(envelope))


def test_event_properties_dialects_and_locations(recorder: RunningRecorder) -> None:
    """EVENT-1-1-2: the mandatory dialects, a topic namespace, the ONVIF schema."""
    service, rec = events_service(recorder)
    properties = service.GetEventProperties()
    validate_body(rec.last)
    assert answer_action(rec.last) == EVENT_ACTIONS + "GetEventPropertiesResponse"
    assert properties.TopicNamespaceLocation == [
        "http://www.onvif.org/onvif/ver10/topics/topicns.xml"]
    assert properties.FixedTopicSet is True
    assert set(properties.TopicExpressionDialect) == {
        "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete",
        "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet",
    }
    assert properties.MessageContentFilterDialect == [
        "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"]
    assert properties.MessageContentSchemaLocation == [
        "http://www.onvif.org/ver10/schema/onvif.xsd"]


def test_access_classes(recorder: RunningRecorder) -> None:
    """Core: GetServiceCapabilities is PRE_AUTH, every other event operation READ_MEDIA."""
    anonymous, rec = onvif_service_with_recorder("events", recorder.service_url("event"))
    anonymous.GetServiceCapabilities()
    validate_body(rec.last)
    for call in (anonymous.GetEventProperties, anonymous.CreatePullPointSubscription):
        with pytest.raises(zeep.exceptions.Fault):  # with HTTP 401 and a Digest challenge
            call()
        assert rec.last_status == 401
        assert answer_action(rec.last) == FAULT_ACTION
    device, _ = client(recorder, "device")
    device.CreateUsers(User=[{"Username": "viewer", "Password": "Pass-word-1",
                              "UserLevel": "User"}])
    subscription = subscribe(recorder, user="viewer", password="Pass-word-1")
    subscription.pull("PT0S")
    subscription.unsubscribe()


def test_what_is_not_offered_answers_action_not_supported(recorder: RunningRecorder) -> None:
    service, rec = events_service(recorder)
    expect_fault(service.GetEventBrokers, chain=NOT_SUPPORTED, rec=rec)
    broker = {"Address": "mqtt://192.0.2.1", "TopicPrefix": "recorder"}
    expect_fault(service.AddEventBroker, EventBroker=broker, chain=NOT_SUPPORTED, rec=rec)
    producer, producer_rec = onvif_service_with_recorder(
        "notification_producer", recorder.service_url("event"),
        username=recorder.admin_user, password=recorder.admin_password)
    expect_fault(producer.Subscribe, ConsumerReference={"Address": "http://127.0.0.1:9/"},
                 chain=NOT_SUPPORTED, rec=producer_rec)
    subscription = subscribe(recorder)
    expect_fault(subscription.pullpoint.Seek, UtcTime="2026-01-01T00:00:00Z",
                 chain=NOT_SUPPORTED, rec=subscription.pull_rec)
    assert answer_action(subscription.pull_rec.last) == FAULT_ACTION


def post(url: str, body: str, status: int) -> etree._Element:
    envelope = (f'<e:Envelope xmlns:e="{ENV}" xmlns:a="http://www.w3.org/2005/08/addressing">'
                f"<e:Header><a:MessageID>urn:uuid:abc</a:MessageID></e:Header>"
                f"<e:Body>{body}</e:Body></e:Envelope>")
    answer = requests.post(url, data=envelope.encode(), timeout=10,
                           headers={"Content-Type": "application/soap+xml"})
    assert answer.status_code == status, answer.text
    validate_body(answer.content)
    return etree.fromstring(answer.content)


def test_answers_relate_to_the_request_message_id(recorder: RunningRecorder) -> None:
    answer = post(recorder.service_url("event"),
                  f'<t:GetServiceCapabilities xmlns:t="{TEV}"/>', 200)
    header = answer.find(f"{{{ENV}}}Header")
    assert header is not None
    relates = header.find("{http://www.w3.org/2005/08/addressing}RelatesTo")
    assert relates is not None and relates.text == "urn:uuid:abc"
    fault = post(recorder.service_url("event"), f'<w:Renew xmlns:w="{WSNT}"/>', 400)
    assert [v.text for v in fault.iter(f"{{{ENV}}}Value")] == ["env:Sender", "ter:UnknownAction"]
