"""SOAP throughput: authenticated GetRecordings against the recorder, then against a bare
aiohttp app that answers the very same response bytes.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/soap_throughput.py [--duration 5] [--connections 8]

The recorder runs in this process (``build_services``/``build_app``, a temporary data
dir); the load comes from separate client processes over loopback only, each connection
a sequential request loop with its own HTTP Digest nonce. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from onvif_recorder.app import build_app, build_services
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    RECEIVER_SOURCE_TYPE,
    JobMode,
    JobSource,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import Limits, RecorderSettings

HOST = "127.0.0.1"  # loopback only
PATH = "/onvif/recording_service"
USER, PASSWORD = "bench", "Bench-Pass-1"
REQUEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
    b'<trc:GetRecordings xmlns:trc="http://www.onvif.org/ver10/recording/wsdl"/>'
    b"</env:Body></env:Envelope>"
)
SOAP_TYPE = "application/soap+xml; charset=utf-8"
REQUEST_TIMEOUT = ClientTimeout(total=10)
_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5, "SHA-256": hashlib.sha256,
}
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


@dataclass(frozen=True)
class Options:
    duration: float
    warmup: float
    connections: int
    client_processes: int
    recordings: int


@dataclass(frozen=True)
class Challenge:
    """One ``WWW-Authenticate: Digest`` challenge of the recorder."""

    realm: str
    nonce: str
    opaque: str
    algorithm: str

    @classmethod
    def parse(cls, header: str) -> Challenge:
        params = {m[1].lower(): m[2] if m[3] is None else m[3] for m in _PARAM.finditer(header)}
        return cls(params["realm"], params["nonce"], params["opaque"], params["algorithm"])


class DigestSigner:
    """RFC 7616 Authorization values for one nonce: HA1 and HA2 are computed once, so
    each request costs one hash (nc counts up; the recorder refuses a replayed nc)."""

    def __init__(self, challenge: Challenge) -> None:
        self._hash = _HASHES[challenge.algorithm]
        cnonce = secrets.token_hex(8)
        ha1 = self._hex(f"{USER}:{challenge.realm}:{PASSWORD}")
        ha2 = self._hex(f"POST:{PATH}")
        self._prefix = f"{ha1}:{challenge.nonce}:"
        self._suffix = f":{cnonce}:auth:{ha2}"
        self._fixed = (
            f'Digest username="{USER}", realm="{challenge.realm}", nonce="{challenge.nonce}", '
            f'uri="{PATH}", algorithm={challenge.algorithm}, qop=auth, cnonce="{cnonce}", '
            f'opaque="{challenge.opaque}"'
        )
        self._count = 0

    def _hex(self, text: str) -> str:
        return self._hash(text.encode()).hexdigest()

    def next(self) -> str:
        self._count += 1
        nc = f"{self._count:08x}"
        return f'{self._fixed}, nc={nc}, response="{self._hex(self._prefix + nc + self._suffix)}"'


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    latencies: list[float]  # seconds, of the measured requests

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, percent: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100)[percent - 1] * 1000


# --------------------------------------------------------------------------- load (clients)


def run_clients(url: str, challenges: list[Challenge], start_at: float, warmup: float,
                duration: float) -> Result:
    """One client process: a sequential request loop per challenge (connection)."""
    return asyncio.run(_run_clients(url, challenges, start_at, warmup, duration))


async def _run_clients(url: str, challenges: list[Challenge], start_at: float, warmup: float,
                       duration: float) -> Result:
    await asyncio.sleep(max(0.0, start_at - time.time()))
    measure_from = time.perf_counter() + warmup
    until = measure_from + duration
    connector = TCPConnector(limit=len(challenges))
    async with ClientSession(connector=connector, timeout=REQUEST_TIMEOUT) as session:
        runs = await asyncio.gather(*(
            _request_loop(session, url, DigestSigner(c), measure_from, until)
            for c in challenges
        ))
    latencies = [latency for run in runs for latency in run]
    return Result(len(latencies), duration, latencies)


async def _request_loop(session: ClientSession, url: str, signer: DigestSigner,
                        measure_from: float, until: float) -> list[float]:
    latencies: list[float] = []
    while (started := time.perf_counter()) < until:
        headers = {"Content-Type": SOAP_TYPE, "Authorization": signer.next()}
        async with session.post(url, data=REQUEST, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered HTTP {response.status}")
        if started >= measure_from:
            latencies.append(time.perf_counter() - started)
    return latencies


async def measure(pool: ProcessPoolExecutor, url: str, challenges: list[Challenge],
                  options: Options) -> Result:
    loop = asyncio.get_running_loop()
    start_at = time.time() + 0.2
    shares = [challenges[i::options.client_processes] for i in range(options.client_processes)]
    results = await asyncio.gather(*(
        loop.run_in_executor(pool, run_clients, url, share, start_at, options.warmup,
                             options.duration)
        for share in shares if share
    ))
    latencies = [latency for result in results for latency in result.latencies]
    return Result(len(latencies), options.duration, latencies)


# --------------------------------------------------------------------------- servers


def build_recorder(data_dir: Path, recordings: int) -> web.Application:
    limits = Limits(max_recordings=max(64, recordings), max_recording_jobs=max(128, recordings),
                    max_receivers=max(128, recordings))
    settings = RecorderSettings(data_dir=data_dir, limits=limits)
    services = build_services(settings)
    services.users.ensure_initial_administrator(USER, PASSWORD)
    for number in range(recordings):
        token = services.recordings.create_recording(recording_configuration(number)).token
        services.jobs.create_job(job_configuration(token))
    check_population(services.holder, recordings)
    return build_app(settings, services)


def recording_configuration(number: int) -> RecordingConfiguration:
    source = RecordingSource(
        source_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}", name=f"Camera {number}",
        location=f"Building A, floor {number % 5}", description="Benchmark camera",
        address=f"http://192.0.2.{number % 250 + 1}/onvif/device_service",
    )
    return RecordingConfiguration(source, f"Recording of camera {number}",
                                  XsDuration.parse("P30D"))


def job_configuration(recording_token: str) -> RecordingJobConfiguration:
    source = JobSource(SourceReference("", RECEIVER_SOURCE_TYPE), auto_create_receiver=True)
    return RecordingJobConfiguration(recording_token, JobMode.IDLE, 1, (source,))


def check_population(holder: StateHolder, recordings: int) -> None:
    state = holder.state
    assert len(state.recordings) == len(state.jobs) == recordings
    assert all(len(r.tracks) == 3 for r in state.recordings.values())


def bare_app(body: bytes, content_type: str) -> web.Application:
    """Reads the request and answers ``body``: the floor aiohttp itself sets."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_post(PATH, handle)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://{HOST}:{port}{PATH}"


async def challenges(url: str, count: int) -> list[Challenge]:
    """One fresh nonce per connection, from unauthenticated requests (HTTP 401)."""
    found: list[Challenge] = []
    async with ClientSession(timeout=REQUEST_TIMEOUT) as session:
        for _ in range(count):
            headers = {"Content-Type": SOAP_TYPE}
            async with session.post(url, data=REQUEST, headers=headers) as response:
                await response.read()
                assert response.status == 401, response.status
                found.append(Challenge.parse(response.headers.getall("WWW-Authenticate")[0]))
    return found


async def capture(url: str, challenge: Challenge) -> tuple[bytes, str]:
    """The recorder's authenticated GetRecordings response: body and Content-Type."""
    headers = {"Content-Type": SOAP_TYPE, "Authorization": DigestSigner(challenge).next()}
    async with ClientSession(timeout=REQUEST_TIMEOUT) as session, session.post(
        url, data=REQUEST, headers=headers
    ) as response:
        body = await response.read()
        assert response.status == 200, body[:500]
        return body, response.headers["Content-Type"]


# --------------------------------------------------------------------------- main


async def benchmark(options: Options, pool: ProcessPoolExecutor) -> None:
    with tempfile.TemporaryDirectory(prefix="onvif-bench-") as data_dir:
        runner, url = await serve(build_recorder(Path(data_dir), options.recordings))
        try:
            body, content_type = await capture(url, (await challenges(url, 1))[0])
            assert body.count(b"<trc:RecordingItem>") == options.recordings
            recorder = await measure(pool, url, await challenges(url, options.connections),
                                     options)
        finally:
            await runner.cleanup()
    runner, url = await serve(bare_app(body, content_type))
    try:  # the bare app ignores Authorization; the clients still compute it
        bare = await measure(pool, url, challenges_for_bare(options.connections), options)
    finally:
        await runner.cleanup()
    report(options, len(body), recorder, bare)


def challenges_for_bare(count: int) -> list[Challenge]:
    """Well-formed but unverifiable challenges: the clients do the same hashing work."""
    nonce = secrets.token_urlsafe(27)
    return [Challenge("onvif-recorder", nonce, "00", "SHA-256")] * count


def report(options: Options, size: int, recorder: Result, bare: Result) -> None:
    print(f"GetRecordings with {options.recordings} recordings (3 tracks each) and "
          f"{options.recordings} jobs: {size} response bytes, HTTP Digest")
    print(f"{options.connections} connections from {options.client_processes} client "
          f"process(es), {options.warmup:g} s warm-up, {options.duration:g} s measured, "
          f"loopback")
    print(f"{'':14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}")
    for name, result in (("recorder", recorder), ("bare aiohttp", bare)):
        print(f"{name:14}{result.rate:10.1f}{result.percentile_ms(50):10.2f}"
              f"{result.percentile_ms(99):10.2f}{result.requests:10d}")
    print(f"ratio recorder / bare: {recorder.rate / bare.rate:.3f}")


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--recordings", type=int, default=100)
    args = parser.parse_args()
    if not (0 < args.duration <= 60 and 0 <= args.warmup <= 30):
        parser.error("keep --duration within (0, 60] and --warmup within [0, 30]")
    return Options(args.duration, args.warmup, max(1, args.connections),
                   max(1, min(args.client_processes, args.connections)), args.recordings)


def main() -> None:
    options = parse_options()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(options.client_processes, mp_context=context) as pool:
        list(pool.map(time.sleep, [0.0] * options.client_processes))  # start the workers now
        asyncio.run(benchmark(options, pool))


if __name__ == "__main__":
    main()
