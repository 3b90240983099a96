"""The receiver transports beyond RTP/UDP and interleaved RTSP, against the real camera:
RTSP tunnelled over HTTP (ONVIF Streaming "RTP/RTSP/HTTP/TCP", mandatory in the Receiver spec), RTP
multicast (the camera's address pool; the camera runs in a network namespace behind a veth
pair, as on a LAN) and RTSPS (a test CA).

Each transport records through the whole recorder (ConfigureReceiver over SOAP, a job,
segments on disk that PyAV decodes); the finer points (several receivers of one group,
leaving it, which certificates are refused and why) with receiver tasks alone.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.domain.receiver import (
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.engine.receiver_task import IngestConfig, ReceiverTask
from onvif_recorder.engine.samples import SampleFanout
from onvif_recorder.engine.tls import TlsPolicy
from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.ingest_support import QUICK, Collector, RecordedEvents, open_sockets
from tests.integration.netns_support import Peer, peer_namespace
from tests.integration.recording_support import decode, engine_recorder, segments, wait_until
from tests.integration.tls_support import Issued, issue

pytestmark = pytest.mark.slow
RECORD_SECONDS = 4.0


def record(data: Path, uri: str, setup: dict[str, Any]) -> list[Path]:
    """Record ``uri`` with ``setup`` (a tt:StreamSetup) for a few seconds; the segments."""
    with engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        receiver = job.JobConfiguration.Source[0].SourceToken.Token
        trv.ConfigureReceiver(ReceiverToken=receiver, Configuration={
            "Mode": "AutoConnect", "MediaUri": uri, "StreamSetup": setup})
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        active = wait_until(
            lambda: str(trc.GetRecordingJobState(JobToken=job.JobToken).State) == "Active", 10)
        assert active, trv.GetReceiverState(ReceiverToken=receiver)
        time.sleep(RECORD_SECONDS)
        assert str(trv.GetReceiverState(ReceiverToken=receiver).State) == "Connected"
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
    return segments(data, recording)


def assert_decodes(files: list[Path]) -> None:
    frames = [t for path in files for t in decode(path).get("video", [])]
    assert len(frames) >= 25 * (RECORD_SECONDS - 1)  # 25 fps, all of them decodable


def unicast(protocol: str, tunnel: str | None = None) -> dict[str, Any]:
    transport: dict[str, Any] = {"Protocol": protocol}
    if tunnel is not None:
        transport["Tunnel"] = {"Protocol": tunnel}
    return {"Stream": "RTP-Unicast", "Transport": transport}


@pytest.mark.parametrize("setup", [unicast("HTTP"), unicast("RTSP", tunnel="HTTP")],
                         ids=["HTTP", "RTSP-in-HTTP"])
def test_rtsp_over_http_records(tmp_path: Path, setup: dict[str, Any]) -> None:
    with Camera() as camera:
        assert_decodes(record(tmp_path / "data", camera.url("/h264"), setup))
        assert camera.wait_for_request("TEARDOWN /h264")  # through the tunnel's POST


@pytest.fixture(scope="module")
def lan_camera() -> Iterator[tuple[Camera, Peer]]:
    with peer_namespace() as peer, Camera(netns=peer.netns, address=peer.address,
                                          multicast_iface=peer.interface) as camera:
        yield camera, peer


def test_multicast_records(tmp_path: Path, lan_camera: tuple[Camera, Peer]) -> None:
    camera, _ = lan_camera
    setup = {"Stream": "RTP-Multicast", "Transport": {"Protocol": "UDP"}}
    assert_decodes(record(tmp_path / "data", camera.url("/mcast"), setup))


def test_rtsps_records_with_the_system_trust_store(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    issued = issue(tmp_path / "pki", "good")
    monkeypatch.setenv("SSL_CERT_FILE", str(issued.ca))  # as OpenSSL finds the system store
    with Camera(tls=(issued.cert, issued.key)) as camera:
        assert camera.url("/h264").startswith("rtsps://")
        assert_decodes(record(tmp_path / "data", camera.url("/h264"), unicast("RTSP")))


# --- multicast: several receivers of one group, and leaving it ------------------------------


def multicast_receiver(uri: str) -> ReceiverConfiguration:
    return ReceiverConfiguration(ReceiverMode.ALWAYS_CONNECT, uri, StreamType.RTP_MULTICAST,
                                 Transport(TransportProtocol.UDP))


def joined(on: str) -> set[str]:
    """Multicast groups joined on interface ``on`` (/proc/net/igmp: little-endian hex)."""
    groups, interface = set(), ""
    with open("/proc/net/igmp") as table:
        for line in table.read().splitlines()[1:]:
            fields = line.split()
            if not line.startswith(("\t", " ")):
                interface = fields[1].rstrip(":")  # "%-10s:", no space at 10
            elif interface == on:
                groups.add(socket.inet_ntoa(bytes.fromhex(fields[0])[::-1]))
    return groups


async def receive_together(uri: str, count: int, interface: str
                           ) -> list[tuple[ReceiverTask, Collector]]:
    events, arrived = RecordedEvents(), asyncio.Event()
    runs = []
    for index in range(count):
        fanout = SampleFanout()
        collector = Collector(fanout.subscribe(max_items=100_000), arrived=arrived).start()
        task = ReceiverTask(f"m{index}", multicast_receiver(uri), events, fanout, QUICK)
        task.start()
        runs.append((task, collector))
    for task, _ in runs:
        await asyncio.wait_for(events.reach(task.token, ReceiverState.CONNECTED), 10)
    assert "239.255.42.1" in joined(interface)
    await asyncio.wait_for(runs[0][1].until(
        lambda: all(len(c.samples(0)) >= 75 for _, c in runs)), 15)
    await asyncio.gather(*(task.stop() for task, _ in runs))
    for _, collector in runs:
        await collector.stop()
    return runs


def test_several_receivers_share_one_group_and_leave_it(
        lan_camera: tuple[Camera, Peer]) -> None:
    camera, peer = lan_camera
    sockets = open_sockets()
    runs = asyncio.run(receive_together(camera.url("/mcast"), 3, peer.host_interface))
    assert open_sockets() <= sockets  # nothing left behind (earlier tests may still close)
    assert "239.255.42.1" not in joined(peer.host_interface)
    for task, collector in runs:
        assert task.stats.failures == 0, task.stats.last_error
        stats = task.stats.streams[0]
        assert stats.sequence.lost == stats.foreign_ssrc == stats.malformed == 0
        video = collector.samples(0)
        assert video[0].sample.sync
        assert collector.sessions()[0].streams[0].encoding == "H264"


# --- RTSPS: which certificates are accepted ------------------------------------------------


async def first_outcome(uri: str, policy: TlsPolicy,
                        protocol: TransportProtocol = TransportProtocol.RTSP
                        ) -> tuple[ReceiverState, str | None, int]:
    events = RecordedEvents()
    config = IngestConfig(replace(QUICK.connection, tls=policy), QUICK.backoff)
    task = ReceiverTask("tls", ReceiverConfiguration(
        ReceiverMode.ALWAYS_CONNECT, uri, StreamType.RTP_UNICAST,
        Transport(protocol)), events, SampleFanout(), config)
    task.start()
    await asyncio.wait_for(_settled(events), 10)
    state = task.state
    await task.stop()
    return state, task.stats.last_error, events.failures("tls")


async def _settled(events: RecordedEvents) -> None:
    """Until the first attempt ended: Connected, or NotConnected after Connecting."""
    while not {ReceiverState.CONNECTED, ReceiverState.NOT_CONNECTED} & set(
            events.states("tls")[1:]):
        events.changed.clear()
        await events.changed.wait()


@pytest.fixture(scope="module")
def tls_camera(tmp_path_factory: pytest.TempPathFactory) -> Any:
    pki = tmp_path_factory.mktemp("pki")
    issued, stranger = issue(pki, "good"), issue(pki, "stranger")
    with Camera(tls=(issued.cert, issued.key)) as camera:
        yield camera, issued, stranger


CameraAndCerts = tuple[Camera, Issued, Issued]


def test_configured_ca_accepts_the_camera(tls_camera: CameraAndCerts) -> None:
    camera, issued, _ = tls_camera
    state, error, failures = asyncio.run(first_outcome(
        camera.url("/h264"), TlsPolicy(ca_file=str(issued.ca))))
    assert (state, error, failures) == (ReceiverState.CONNECTED, None, 0)


def test_untrusted_certificate_is_refused_with_the_reason(tls_camera: CameraAndCerts) -> None:
    camera, _, stranger = tls_camera
    state, error, failures = asyncio.run(first_outcome(
        camera.url("/h264"), TlsPolicy(ca_file=str(stranger.ca))))
    assert state is ReceiverState.NOT_CONNECTED and failures == 1
    assert error is not None and error.startswith("CertificateRefused: the certificate of "
                                                  f"127.0.0.1:{camera.port} is not trusted")
    assert "unable to get local issuer certificate" in error


def test_certificate_for_another_host_is_refused(tls_camera: CameraAndCerts) -> None:
    camera, issued, _ = tls_camera
    uri = camera.url("/h264").replace("127.0.0.1", "localhost")  # the SAN names 127.0.0.1 only
    state, error, _ = asyncio.run(first_outcome(uri, TlsPolicy(ca_file=str(issued.ca))))
    assert state is ReceiverState.NOT_CONNECTED
    assert error is not None and "CertificateRefused" in error and "mismatch" in error


TUNNELLED_OR_NOT = pytest.mark.parametrize(
    "protocol", [TransportProtocol.RTSP, TransportProtocol.HTTP], ids=["RTSPS", "HTTPS-tunnel"])


@TUNNELLED_OR_NOT
def test_pinned_fingerprint_accepts_a_certificate_no_ca_vouches_for(
        tls_camera: CameraAndCerts, protocol: TransportProtocol) -> None:
    camera, issued, _ = tls_camera
    pinned = TlsPolicy(pins=((f"127.0.0.1:{camera.port}", issued.fingerprint),))
    state, error, _ = asyncio.run(first_outcome(camera.url("/h264"), pinned, protocol))
    assert (state, error) == (ReceiverState.CONNECTED, None)


@TUNNELLED_OR_NOT
def test_wrong_pin_is_refused(tls_camera: CameraAndCerts, protocol: TransportProtocol) -> None:
    camera, issued, stranger = tls_camera
    pinned = TlsPolicy(ca_file=str(issued.ca), pins=(("127.0.0.1", stranger.fingerprint),))
    state, error, failures = asyncio.run(first_outcome(camera.url("/h264"), pinned, protocol))
    assert state is ReceiverState.NOT_CONNECTED and failures == 1
    assert error == (f"CertificateRefused: the certificate of 127.0.0.1:{camera.port} has "
                     f"SHA-256 fingerprint {issued.fingerprint}, not the configured "
                     f"{stranger.fingerprint}")
