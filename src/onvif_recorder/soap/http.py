"""aiohttp handlers for the SOAP endpoints: size limit, parse, authenticate, dispatch.

Nothing here knows an operation; it moves bytes between HTTP and ``dispatch``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from lxml import etree

from onvif_recorder.domain.errors import CriticalError, OnvifError, WellFormed
from onvif_recorder.soap.authentication import Authenticator, Challenge
from onvif_recorder.soap.dispatch import CallContext, ServiceEndpoint
from onvif_recorder.soap.envelope import build_envelope, parse_envelope
from onvif_recorder.soap.faults import fault_envelope
from onvif_recorder.soap.xmlparse import MAX_BODY_BYTES, XmlRefused, parse_document

log = logging.getLogger(__name__)
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"


class PayloadTooLarge(WellFormed):
    http_status = 413


def soap_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, headers={"Content-Type": SOAP_CONTENT_TYPE})


def fault_response(error: OnvifError) -> web.Response:
    return soap_response(fault_envelope(error), error.http_status)


def challenge_response(challenge: Challenge) -> web.Response:
    response = fault_response(challenge.error)
    response.set_status(401)
    for value in challenge.headers:
        response.headers.add("WWW-Authenticate", value)
    return response


async def read_body(request: web.Request) -> bytes:
    """Read at most MAX_BODY_BYTES; refuse larger bodies before or while reading them."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the request body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class SoapHandler:
    """The aiohttp handler of one endpoint."""

    def __init__(
        self,
        endpoint: ServiceEndpoint,
        authenticator: Authenticator,
        clock: Callable[[], datetime],
    ) -> None:
        self.endpoint = endpoint
        self.authenticator = authenticator
        self.clock = clock
        self._cache: dict[str, tuple[int, bytes]] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except OnvifError as error:
            return fault_response(error)
        except XmlRefused as refused:
            return fault_response(_refusal_fault(refused))
        except Exception:
            log.exception("unexpected error in %s", self.endpoint.path)
            return fault_response(CriticalError("internal error; see the recorder log"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request)
        soap = parse_envelope(parse_document(body))
        operation = self.endpoint.lookup(soap.operation_name)
        now = self.clock()
        outcome = self.authenticator.authenticate(request, soap.security, operation.access, now)
        if isinstance(outcome, Challenge):
            return challenge_response(outcome)
        context = CallContext(user=outcome, now=now, base_url=_base_url(request))
        version = operation.cache_version() if operation.cache_version else None
        cached = self._cache.get(operation.name)
        if cached is not None and cached[0] == version:
            return soap_response(cached[1])
        result = operation.handler(context, soap.operation)
        payload: etree._Element = await result if inspect.isawaitable(result) else result
        body = build_envelope(payload)
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
