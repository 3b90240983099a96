"""Event delivery: notifications/s reaching concurrent PullPoint subscribers, and the
end-to-end latency from publication to the subscriber reading it.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/events.py [--subscribers 10] [--rate 2000] [--duration 5]

The recorder runs in this process; a publisher task on its event loop publishes
``tns1:Receiver/ConnectionFailed`` events through ``Services.engine`` (the seam the ingest
engine will use) at ``--rate`` events/s, or as fast as it can with ``--rate 0``. The
subscribers run in a separate client process over loopback only: each creates a PullPoint
subscription and long-polls PullMessages (WS-UsernameToken). Every event carries its
publication time (``time.time_ns()``) in its MediaUri, so the latency is exact to the
clock, not to the millisecond of UtcTime. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import multiprocessing
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web
from lxml import etree

from onvif_recorder.app import Services, build_app, build_services
from onvif_recorder.settings import Limits, RecorderSettings

HOST = "127.0.0.1"  # loopback only
USER, PASSWORD = "bench", "Bench-Pass-1"
SOAP_TYPE = "application/soap+xml; charset=utf-8"
TIMEOUT = ClientTimeout(total=30)
URI_PREFIX = "rtsp://bench.invalid/"
ENV = "http://www.w3.org/2003/05/soap-envelope"
TT = "http://www.onvif.org/ver10/schema"
WSA = "http://www.w3.org/2005/08/addressing"
CREATE = (
    '<tev:CreatePullPointSubscription xmlns:tev="http://www.onvif.org/ver10/events/wsdl">'
    '<tev:Filter><wsnt:TopicExpression xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
    ' Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
    "tns1:Receiver/ConnectionFailed</wsnt:TopicExpression></tev:Filter>"
    "<tev:InitialTerminationTime>PT120S</tev:InitialTerminationTime>"
    "</tev:CreatePullPointSubscription>"
)
PULL = (
    '<tev:PullMessages xmlns:tev="http://www.onvif.org/ver10/events/wsdl">'
    "<tev:Timeout>PT5S</tev:Timeout><tev:MessageLimit>{limit}</tev:MessageLimit>"
    "</tev:PullMessages>"
)


@dataclass(frozen=True)
class Options:
    subscribers: int
    rate: int  # events/s; 0 means as fast as the publisher can
    duration: float
    warmup: float
    message_limit: int


@dataclass(frozen=True)
class Window:
    """Wall-clock times (time.time()) shared by the server and the client process."""

    start: float  # measuring starts
    end: float  # measuring and publishing stop


def envelope(body: str) -> bytes:
    """A SOAP 1.2 request with a fresh WS-UsernameToken (PasswordDigest)."""
    nonce = secrets.token_bytes(16)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha1(nonce + created.encode() + PASSWORD.encode()).digest()
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    kind = ("http://docs.oasis-open.org/wss/2004/01/"
            "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
    return (
        f'<e:Envelope xmlns:e="{ENV}"><e:Header><s:Security xmlns:s="{wsse}">'
        f"<s:UsernameToken><s:Username>{USER}</s:Username>"
        f'<s:Password Type="{kind}">{base64.b64encode(digest).decode()}</s:Password>'
        f"<s:Nonce>{base64.b64encode(nonce).decode()}</s:Nonce>"
        f'<u:Created xmlns:u="{wsu}">{created}</u:Created></s:UsernameToken></s:Security>'
        f"</e:Header><e:Body>{body}</e:Body></e:Envelope>"
    ).encode()


async def post(session: ClientSession, url: str, body: str) -> etree._Element:
    async with session.post(url, data=envelope(body), headers={"Content-Type": SOAP_TYPE}) as r:
        payload = await r.read()
        if r.status != 200:
            raise RuntimeError(f"{url}: HTTP {r.status}: {payload[:300]!r}")
    return etree.fromstring(payload)


def publication_times(answer: etree._Element) -> list[int]:
    """The time_ns each received event was published at, from its MediaUri."""
    values = answer.iterfind(f".//{{{TT}}}Data/{{{TT}}}SimpleItem[@Name='MediaUri']")
    return [int(str(item.get("Value"))[len(URI_PREFIX):]) for item in values]


async def subscriber(url: str, window: Window, limit: int) -> tuple[int, list[float]]:
    """Subscribe, then pull until the window ends: (notifications, latencies in ms)."""
    latencies: list[float] = []
    delivered = 0
    async with ClientSession(timeout=TIMEOUT) as session:
        created = await post(session, url, CREATE)
        address = created.findtext(f".//{{{WSA}}}Address")
        assert address, "no SubscriptionReference"
        while time.time() < window.end + 1.0:
            answer = await post(session, address, PULL.format(limit=limit))
            now = time.time_ns()
            for published in publication_times(answer):
                if published >= window.start * 1e9 and published < window.end * 1e9:
                    delivered += 1
                    latencies.append((now - published) / 1e6)
    return delivered, latencies


def run_subscribers(url: str, window: Window, options: Options) -> list[tuple[int, list[float]]]:
    """Client process: every subscriber as a task of one event loop."""
    async def everyone() -> list[tuple[int, list[float]]]:
        return await asyncio.gather(*(
            subscriber(url, window, options.message_limit) for _ in range(options.subscribers)
        ))

    return asyncio.run(everyone())


async def publish(services: Services, window: Window, rate: int) -> int:
    """Publish ConnectionFailed events until the window ends, paced by the clock (``rate``
    events/s; 0: bursts of 100 with a yield to the loop between); return how many were
    published inside the measured window."""
    engine, began, sent, counted = services.engine, time.time(), 0, 0
    while (now := time.time()) < window.end:
        due = int((now - began) * rate) - sent if rate else 100
        for _ in range(due):
            engine.receiver_connection_failed("Receiver_1", f"{URI_PREFIX}{time.time_ns()}")
        sent += due
        counted += due if now >= window.start else 0
        await asyncio.sleep(0.005 if rate else 0)
    return counted


async def serve(options: Options) -> None:
    with tempfile.TemporaryDirectory() as data:
        limits = Limits(max_pull_points=max(16, options.subscribers), event_queue_limit=10_000)
        settings = RecorderSettings(data_dir=Path(data), limits=limits)
        services = build_services(settings)
        services.users.ensure_initial_administrator(USER, PASSWORD)
        runner = web.AppRunner(build_app(settings, services), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            await measure(services, f"http://{HOST}:{port}/onvif/event_service", options)
        finally:
            await runner.cleanup()


async def measure(services: Services, url: str, options: Options) -> None:
    start = time.time() + 3.0 + options.warmup  # three seconds for the clients to subscribe
    window = Window(start, start + options.duration)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        clients = loop.run_in_executor(pool, run_subscribers, url, window, options)
        published = await publish(services, window, options.rate)
        results = await clients
    report(options, published, results, services.events.dropped)


def report(
    options: Options, published: int, results: list[tuple[int, list[float]]], dropped: int
) -> None:
    delivered = sum(count for count, _ in results)
    latencies = sorted(ms for _, each in results for ms in each)
    expected = published * options.subscribers
    rate = f"{options.rate} events/s" if options.rate else "as fast as possible"
    print(f"{options.subscribers} PullPoint subscribers, 1 client process, MessageLimit "
          f"{options.message_limit}, publishing {rate}, {options.duration:g} s measured, "
          "loopback")
    print(f"published {published / options.duration:10.0f} events/s")
    print(f"delivered {delivered / options.duration:10.0f} notifications/s "
          f"({delivered} of {expected}; {expected - delivered} missing: "
          f"{dropped} dropped by full queues, the rest still queued at the end)")
    if latencies:
        p = statistics.quantiles(latencies, n=100)
        print(f"end-to-end latency ms:  p50 {p[49]:.2f}  p90 {p[89]:.2f}  p99 {p[98]:.2f}  "
              f"max {latencies[-1]:.2f}")


def options_from_arguments() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--rate", type=int, default=2000, help="events/s, 0 = unthrottled")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--message-limit", type=int, default=100)
    arguments = parser.parse_args()
    if not (1 <= arguments.subscribers <= 100 and 0 < arguments.duration <= 60):
        parser.error("1..100 subscribers and a duration of at most 60 s")
    return Options(arguments.subscribers, max(0, arguments.rate), arguments.duration,
                   min(max(0.0, arguments.warmup), 30.0), arguments.message_limit)


if __name__ == "__main__":
    asyncio.run(serve(options_from_arguments()))
