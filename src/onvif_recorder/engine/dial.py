"""Open the byte stream an RTSP session runs on: TCP, TLS, or an HTTP(S) tunnel.

``dial`` connects ``protocol`` (an ``RtspConnection``) to an ``Endpoint`` within the
connect timeout and returns the transport to write to. TLS is checked by
``tls.TlsPolicy``: a certificate OpenSSL refuses, or a pinned host presenting another
certificate, ends with ``CertificateRefused`` naming the host and why, and nothing is
left open. Both connections of a tunnel are checked (each is a TLS session of its own).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

from onvif_recorder.engine.tls import TlsPolicy, check_pin, refused
from onvif_recorder.engine.tunnel import open_tunnel
from onvif_recorder.ingest.transport_plan import Endpoint


async def dial(protocol: asyncio.Protocol, endpoint: Endpoint, policy: TlsPolicy,
               user_agent: str, connect_timeout: float) -> asyncio.Transport:
    context = policy.context(endpoint.host, endpoint.port) if endpoint.tls else None

    def check(transport: asyncio.Transport) -> None:
        if context is not None:
            check_pin(policy, endpoint.host, endpoint.port, transport.get_extra_info("ssl_object"))

    try:
        return await asyncio.wait_for(_connect(protocol, endpoint, context, user_agent, check),
                                      connect_timeout)
    except ssl.SSLCertVerificationError as exc:
        raise refused(exc, endpoint.host, endpoint.port) from None


async def _connect(protocol: asyncio.Protocol, endpoint: Endpoint,
                   context: ssl.SSLContext | None, user_agent: str,
                   check: Callable[[asyncio.Transport], None]) -> asyncio.Transport:
    if endpoint.tunnel:
        return await open_tunnel(protocol, endpoint, context, user_agent, check)
    server_hostname = endpoint.host if context is not None else None
    transport, _ = await asyncio.get_running_loop().create_connection(
        lambda: protocol, endpoint.host, endpoint.port, ssl=context,
        server_hostname=server_hostname)
    try:
        check(transport)
    except BaseException:
        transport.close()
        raise
    return transport
