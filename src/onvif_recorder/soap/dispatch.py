"""One table per service endpoint: operation QName → handler and access class.

A handler maps the request element to domain values, calls the service and
maps the result back; it is all an operation's wire behaviour, in one row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from onvif_recorder.domain.errors import ActionNotSupported, OnvifError, UnknownAction
from onvif_recorder.domain.users import User
from onvif_recorder.soap.namespaces import qname
from onvif_recorder.soap.security.access import AccessClass


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a handler may know about the call besides its body."""

    user: User | None
    now: datetime
    base_url: str  # scheme://host[:port] as the client addressed us, for XAddrs
    path: str = "/"  # the request's path (a PullPoint is identified by it)


HandlerResult = etree._Element | Awaitable[etree._Element]
Handler = Callable[[CallContext, etree._Element], HandlerResult]


@dataclass(frozen=True, slots=True)
class Operation:
    """One row of a dispatch table.

    ``cache_version``, for operations whose answer depends on the stored state only
    (not on the request or the caller), returns the state version: the serialized
    response is reused until it changes. ``namespace`` is the operation element's
    namespace when it is not the endpoint's (WS-BaseNotification operations of the event
    service); ``action`` is the WS-Addressing Action of the response.
    """

    name: str
    access: AccessClass
    handler: Handler
    cache_version: Callable[[], int] | None = None
    namespace: str | None = None
    action: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    """One SOAP endpoint: its path, namespace and the operations it answers.

    ``declared`` lists every operation of the service's WSDL: those without a
    handler answer ``env:Receiver/ter:ActionNotSupported`` (Core "Services");
    anything else is ``env:Sender/ter:UnknownAction``. With ``ws_addressing`` every
    answer carries WS-Addressing headers (Core: the event service uses WS-Addressing).
    """

    path: str
    namespace: str
    operations: dict[str, Operation]
    declared: frozenset[str] = field(default_factory=frozenset)
    ws_addressing: bool = False

    @classmethod
    def build(
        cls,
        path: str,
        namespace: str,
        operations: Iterable[Operation],
        declared: Iterable[str],
        *,
        ws_addressing: bool = False,
    ) -> ServiceEndpoint:
        table = {qname(op.namespace or namespace, op.name): op for op in operations}
        own = {op.name for op in table.values() if op.namespace in (None, namespace)}
        return cls(path, namespace, table, frozenset(declared) | own, ws_addressing)

    def lookup(self, tag: str) -> Operation:
        operation = self.operations.get(tag)
        if operation is not None:
            return operation
        local = etree.QName(tag).localname
        if tag == qname(self.namespace, local) and local in self.declared:
            raise _not_supported(local)
        raise UnknownAction(f"{tag} is not an operation of this service")


def _not_supported(name: str) -> OnvifError:
    return ActionNotSupported(f"{name} is not supported by this device")
