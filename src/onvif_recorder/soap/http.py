"""aiohttp handlers for the SOAP endpoints: size limit, parse, authenticate, dispatch.

Nothing here knows an operation; it moves bytes between HTTP and ``dispatch``.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from lxml import etree

from onvif_recorder.domain.errors import CriticalError, NoService, OnvifError, WellFormed
from onvif_recorder.soap.authentication import Authenticator, Challenge
from onvif_recorder.soap.dispatch import CallContext, ServiceEndpoint
from onvif_recorder.soap.envelope import build_envelope, parse_envelope
from onvif_recorder.soap.faults import fault_envelope
from onvif_recorder.soap.namespaces import WSA, qname
from onvif_recorder.soap.xmlparse import MAX_BODY_BYTES, XmlRefused, parse_document, refuse

log = logging.getLogger(__name__)
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
# Core "SOAP Fault Messages": every event service fault carries this wsa:Action.
FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"


class PayloadTooLarge(WellFormed):
    http_status = 413


def soap_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers={"Content-Type": SOAP_CONTENT_TYPE})


def fault_response(error: OnvifError, headers: Sequence[etree._Element] = ()) -> web.Response:
    return soap_response(fault_envelope(error, headers), error.http_status)


def challenge_response(
    challenge: Challenge, headers: Sequence[etree._Element] = ()
) -> web.Response:
    response = fault_response(challenge.error, headers)
    response.set_status(401)
    for value in challenge.headers:
        response.headers.add("WWW-Authenticate", value)
    return response


async def read_body(request: web.Request) -> bytes:
    """Read at most MAX_BODY_BYTES; refuse larger bodies before or while reading them."""
    too_large = f"the request body exceeds {MAX_BODY_BYTES} bytes"
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise refuse("too_large", too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise refuse("too_large", too_large)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class _Exchange:
    """What is known of the request when an answer, or a fault, is written."""

    message_id: str | None = None  # wsa:MessageID, echoed as wsa:RelatesTo
    operation: str = "unknown"  # set once the body names an operation of the endpoint
    outcome: str = "ok"


RequestObserver = Callable[[str, str, str, float], None]
"""Told of every request: endpoint path, operation, outcome (``ok``, ``fault``,
``unauthorized``, ``refused``, ``error``) and seconds taken (``metrics``)."""


class SoapHandler:
    """The aiohttp handler of one endpoint."""

    def __init__(
        self,
        endpoint: ServiceEndpoint,
        authenticator: Authenticator,
        clock: Callable[[], datetime],
        observer: RequestObserver | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.authenticator = authenticator
        self.clock = clock
        self.observer = observer
        self._cache: dict[str, tuple[int, bytes]] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        exchange = _Exchange()
        started = time.perf_counter()
        try:
            return await self._answer(request, exchange)
        finally:
            if self.observer is not None:
                self.observer(self.endpoint.path, exchange.operation, exchange.outcome,
                              time.perf_counter() - started)

    async def _answer(self, request: web.Request, exchange: _Exchange) -> web.StreamResponse:
        try:
            return await self._handle(request, exchange)
        except OnvifError as error:
            exchange.outcome = "fault"
            # A request naming no operation of this endpoint is the client's mistake: one
            # warning. A fault an operation answers is the protocol at work: debug.
            level = logging.WARNING if exchange.operation == "unknown" else logging.DEBUG
            log.log(level, "%s from %s: %s fault: %s", self.endpoint.path, request.remote,
                    type(error).__name__, error)
            return fault_response(error, self._addressing(exchange, FAULT_ACTION))
        except XmlRefused as refused:
            exchange.outcome = "refused"
            log.warning("%s from %s: request refused: %s", self.endpoint.path,
                        request.remote, refused)
            fault = _refusal_fault(refused)
            return fault_response(fault, self._addressing(exchange, FAULT_ACTION))
        except Exception:
            exchange.outcome = "error"
            log.exception("unexpected error in %s", self.endpoint.path)
            critical = CriticalError("internal error; see the recorder log")
            return fault_response(critical, self._addressing(exchange, FAULT_ACTION))

    def _addressing(self, exchange: _Exchange, action: str | None) -> list[etree._Element]:
        """WS-Addressing headers of an answer, for endpoints that use WS-Addressing."""
        if not self.endpoint.ws_addressing or action is None:
            return []
        headers = [etree.Element(qname(WSA, "Action"), nsmap={"wsa": WSA})]
        headers[0].text = action
        if exchange.message_id:
            relates = etree.Element(qname(WSA, "RelatesTo"), nsmap={"wsa": WSA})
            relates.text = exchange.message_id
            headers.append(relates)
        return headers

    async def _handle(self, request: web.Request, exchange: _Exchange) -> web.StreamResponse:
        body = await read_body(request)
        soap = parse_envelope(parse_document(body))
        exchange.message_id = soap.addressing.message_id
        operation = self.endpoint.lookup(soap.operation_name)
        exchange.operation = operation.name
        now = self.clock()
        outcome = self.authenticator.authenticate(request, soap.security, operation.access, now)
        if isinstance(outcome, Challenge):
            exchange.outcome = "unauthorized"
            return challenge_response(outcome, self._addressing(exchange, FAULT_ACTION))
        context = CallContext(outcome, now, _base_url(request), request.path)
        headers = self._addressing(exchange, operation.action)
        # Only answers without per-request headers (wsa:RelatesTo) can be reused.
        version = operation.cache_version() if operation.cache_version and not headers else None
        cached = self._cache.get(operation.name)
        if version is not None and cached is not None and cached[0] == version:
            return soap_response(cached[1])
        result = operation.handler(context, soap.operation)
        payload: etree._Element = await result if inspect.isawaitable(result) else result
        body = build_envelope(payload, headers)
        if version is not None:
            self._cache[operation.name] = (version, body)
        return soap_response(body)


def _refusal_fault(refused: XmlRefused) -> OnvifError:
    fault = (
        PayloadTooLarge(str(refused)) if refused.kind == "too_large" else WellFormed(str(refused))
    )
    return fault


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def add_endpoint(app: web.Application, handler: SoapHandler) -> None:
    app.router.add_post(handler.endpoint.path, handler.handle)


async def no_service(request: web.Request) -> web.Response:
    """A POST to a path where no service lives: a SOAP fault with HTTP 404 and one
    warning line (a scanner or a misconfigured client, never a recorder error)."""
    path = request.raw_path[:200]  # still percent-encoded: no line breaks in the log
    log.warning("POST to %s from %s: no service at this path", path, request.remote)
    return fault_response(NoService(f"no service at {path}"))


def add_fallback(app: web.Application) -> None:
    """Register after every endpoint: routes match in order, so this one takes the rest."""
    app.router.add_post(r"/{path:[\s\S]*}", no_service)  # any path, line breaks too
