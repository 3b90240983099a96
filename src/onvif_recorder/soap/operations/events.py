"""Event service endpoints (tev, Core "Event handling"): the event service itself, and the
subscription manager of every PullPoint at ``/onvif/event_service/subscription/<id>``.

Only the Real-time PullPoint interface is offered. WS-BaseNotification Subscribe and
GetCurrentMessage, the pausable subscription manager, Seek and the event broker operations
answer ``env:Receiver/ter:ActionNotSupported`` and none of them is advertised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from lxml import etree

from onvif_recorder.domain.errors import ActionNotSupported
from onvif_recorder.events import errors
from onvif_recorder.events.camera_topics import CameraTopics
from onvif_recorder.events.item_filter import ITEM_FILTER
from onvif_recorder.events.long_poll import pull
from onvif_recorder.events.pullpoint import PullPoint, SubscriptionManager
from onvif_recorder.events.topic_expression import DIALECTS
from onvif_recorder.events.topics import utc_text
from onvif_recorder.service.capabilities import EventCapabilities
from onvif_recorder.service.events import EventBus
from onvif_recorder.settings import Limits
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.capabilities import write_event_capabilities
from onvif_recorder.soap.mapping.event_requests import (
    event_fault,
    pull_messages_fault,
    read_event_filter,
    read_requested_time,
)
from onvif_recorder.soap.mapping.events import (
    EVENT_NSMAP,
    RenderedNotifications,
    write_topic_set,
)
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.namespaces import TEV, WSA, WSNT, qname
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/event_service"
SUBSCRIPTION_PATH = PATH + "/subscription/"
TOPIC_NAMESPACE_LOCATION = "http://www.onvif.org/onvif/ver10/topics/topicns.xml"
SCHEMA_LOCATION = "http://www.onvif.org/ver10/schema/onvif.xsd"
DECLARED = ("AddEventBroker", "DeleteEventBroker", "GetEventBrokers")

# WS-Addressing Actions of the answers (event.wsdl, bw-2.wsdl).
_EVENT = "http://www.onvif.org/ver10/events/wsdl/EventPortType/"
_PULL = "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/"
_MANAGER = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/"

READ = AccessClass.READ_MEDIA


def _response(namespace: str, name: str) -> etree._Element:
    return etree.Element(qname(namespace, name), nsmap=EVENT_NSMAP)


@contextmanager
def _refusals(now: datetime, *, renewing: bool = False) -> Iterator[None]:
    """Turn the event service's refusals into the faults Core names."""
    try:
        yield
    except errors.EventServiceError as error:
        raise event_fault(error, now, renewing=renewing) from None


def _times(parent: etree._Element, namespace: str, now: datetime, end: datetime) -> None:
    sub(parent, qname(namespace, "CurrentTime"), utc_text(now))
    sub(parent, qname(namespace, "TerminationTime"), utc_text(end))


def not_supported(_: CallContext, request: etree._Element) -> etree._Element:
    name = etree.QName(request).localname
    raise ActionNotSupported(f"{name} is not supported: only PullPoint subscriptions are")


class EventHandlers:
    def __init__(self, manager: SubscriptionManager, caps: EventCapabilities,
                 camera_topics: CameraTopics | None = None) -> None:
        self.manager = manager
        self.caps = caps
        self.camera_topics = camera_topics or CameraTopics()

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response(TEV, "GetServiceCapabilitiesResponse")
        write_event_capabilities(response, self.caps)
        return response

    def get_event_properties(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response(TEV, "GetEventPropertiesResponse")
        sub(response, qname(TEV, "TopicNamespaceLocation"), TOPIC_NAMESPACE_LOCATION)
        sub(response, qname(WSNT, "FixedTopicSet"), "true")
        write_topic_set(response, self.camera_topics.known())
        for dialect in DIALECTS:
            sub(response, qname(WSNT, "TopicExpressionDialect"), dialect)
        sub(response, qname(TEV, "MessageContentFilterDialect"), ITEM_FILTER)
        sub(response, qname(TEV, "MessageContentSchemaLocation"), SCHEMA_LOCATION)
        return response

    def create_pull_point_subscription(
        self, ctx: CallContext, request: etree._Element
    ) -> etree._Element:
        reader = Reader(request)
        filter_, policy = reader.child("Filter"), reader.child("SubscriptionPolicy")
        with _refusals(ctx.now):
            event_filter = read_event_filter(
                None if filter_ is None else filter_.element,
                None if policy is None else policy.element,
                self.camera_topics.known(),
            )
            requested = read_requested_time(reader, "InitialTerminationTime")
            pull_point = self.manager.create(event_filter, requested, ctx.now)
        response = _response(TEV, "CreatePullPointSubscriptionResponse")
        reference = sub(response, qname(TEV, "SubscriptionReference"))
        sub(reference, qname(WSA, "Address"), ctx.base_url + SUBSCRIPTION_PATH + pull_point.id)
        _times(response, WSNT, ctx.now, pull_point.termination)
        return response


def event_endpoint(handlers: EventHandlers) -> ServiceEndpoint:
    """Access classes as Core gives them for each operation."""
    h = handlers
    operations = [
        Operation(
            "GetServiceCapabilities",
            AccessClass.PRE_AUTH,
            h.get_service_capabilities,
            action=_EVENT + "GetServiceCapabilitiesResponse",
        ),
        Operation(
            "GetEventProperties",
            READ,
            h.get_event_properties,
            action=_EVENT + "GetEventPropertiesResponse",
        ),
        Operation(
            "CreatePullPointSubscription",
            READ,
            h.create_pull_point_subscription,
            action=_EVENT + "CreatePullPointSubscriptionResponse",
        ),
        Operation("Subscribe", READ, not_supported, namespace=WSNT),
        Operation("GetCurrentMessage", READ, not_supported, namespace=WSNT),
    ]
    return ServiceEndpoint.build(PATH, TEV, operations, DECLARED, ws_addressing=True)


class PullPointHandlers:
    def __init__(
        self,
        manager: SubscriptionManager,
        bus: EventBus,
        limits: Limits,
        clock: Callable[[], datetime],
    ) -> None:
        self.manager = manager
        self.bus = bus
        self.limits = limits
        self.clock = clock
        self.rendered = RenderedNotifications()

    def _pull_point(self, ctx: CallContext) -> PullPoint:
        with _refusals(ctx.now):
            return self.manager.get(ctx.path.rsplit("/", 1)[-1], ctx.now)

    async def pull_messages(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        pull_point = self._pull_point(ctx)
        wait, limit = self._pull_arguments(Reader(request))
        if pull_point.pulling:
            with _refusals(ctx.now):
                raise errors.PullInProgress("another PullMessages is waiting on this pull point")
        pull_point.keep_alive(ctx.now, wait)
        pull_point.pulling = True
        try:
            notifications = await pull(pull_point.subscriber, limit, wait.total_seconds())
        finally:
            pull_point.pulling = False
        now = self.clock()
        if pull_point.subscriber.closed:
            raise event_fault(errors.UnknownSubscription("unsubscribed while pulling"), now)
        pull_point.keep_alive(now, wait)
        response = _response(TEV, "PullMessagesResponse")
        _times(response, TEV, now, pull_point.termination)
        producer = ctx.base_url + PATH
        for notification in notifications:
            self.rendered.append(response, notification, producer)
        return response

    def _pull_arguments(self, reader: Reader) -> tuple[timedelta, int]:
        """Timeout and MessageLimit. Core: a MessageLimit above the maximum is no fault,
        fewer messages are returned; a Timeout above the maximum is one."""
        timeout, limit = reader.duration("Timeout"), reader.integer("MessageLimit")
        most = self.limits.max_pull_timeout_s
        if timeout.is_negative or timeout.seconds > most or limit < 1:
            raise pull_messages_fault(
                f"Timeout must be within PT0S..PT{most}S and MessageLimit at least 1",
                most,
                self.limits.max_pull_messages,
            )
        wait = timedelta(seconds=float(timeout.seconds))
        return wait, min(limit, self.limits.max_pull_messages)

    def set_synchronization_point(self, ctx: CallContext, _: etree._Element) -> etree._Element:
        self.bus.synchronize(self._pull_point(ctx).subscriber)
        return _response(TEV, "SetSynchronizationPointResponse")

    def renew(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        pull_point = self._pull_point(ctx)
        reader = Reader(request)
        with _refusals(ctx.now, renewing=True):
            requested = read_requested_time(reader, "TerminationTime")
            termination = self.manager.renew(pull_point.id, requested, ctx.now)
        response = _response(WSNT, "RenewResponse")
        sub(response, qname(WSNT, "TerminationTime"), utc_text(termination))
        sub(response, qname(WSNT, "CurrentTime"), utc_text(ctx.now))
        return response

    def unsubscribe(self, ctx: CallContext, _: etree._Element) -> etree._Element:
        with _refusals(ctx.now):
            self.manager.unsubscribe(self._pull_point(ctx).id, ctx.now)
        return _response(WSNT, "UnsubscribeResponse")


def subscription_endpoint(handlers: PullPointHandlers) -> ServiceEndpoint:
    h = handlers
    operations = [
        Operation("PullMessages", READ, h.pull_messages, action=_PULL + "PullMessagesResponse"),
        Operation(
            "SetSynchronizationPoint",
            READ,
            h.set_synchronization_point,
            action=_PULL + "SetSynchronizationPointResponse",
        ),
        Operation("Seek", READ, not_supported),  # no persistent notification storage
        Operation("Renew", READ, h.renew, namespace=WSNT, action=_MANAGER + "RenewResponse"),
        Operation(
            "Unsubscribe",
            READ,
            h.unsubscribe,
            namespace=WSNT,
            action=_MANAGER + "UnsubscribeResponse",
        ),
        Operation("PauseSubscription", READ, not_supported, namespace=WSNT),
        Operation("ResumeSubscription", READ, not_supported, namespace=WSNT),
    ]
    path = SUBSCRIPTION_PATH + "{id}"
    return ServiceEndpoint.build(path, TEV, operations, (), ws_addressing=True)
