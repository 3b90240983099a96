"""Replay cost: N concurrent replay sessions at ``Rate-Control: no`` against our RTSP
server, side by side with GStreamer's ONVIF RTSP server serving the same clip.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/replay.py [--streams 1,10,50] [--window 5] [--record 10]

The 4 Mbit/s H.264 + AAC clip of bench/record.py is recorded once by the recording engine
(one job on the clip camera, ``--record`` seconds, 5 s segments). Then, in one run, for
each N: N clients in a separate process play the recording from our replay server
(``RtspServer`` with Digest, in a child process), whole sessions back to back until
``--window`` seconds are over; then the same against ``gst_replay_server.py``
(``RTSPOnvifServer``, one pipeline per client, on the clip file). CPU is the server
process's utime + stime from /proc over the phase; media seconds are whole sessions
times the media one session carries. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from onvif_recorder.app import REALM, build_services
from onvif_recorder.engine.rtsp_server import DigestGate, RtspServer
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.storage.segment_index import SegmentIndex
from record import clip_camera, cpu_seconds, engine_child, make_clip
from replay_client import Counts, clients, play_once

GST_SERVER = Path(__file__).resolve().parent / "gst_replay_server.py"
USER, PASSWORD = "bench", "bench-password-1"
FRAME = 1 / 25  # the clip's frame duration: a session's media ends one frame after its last


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    pid: int
    onvif: bool
    """It takes ``Require: onvif-replay`` (see gst_replay_server.py)."""


@dataclass(frozen=True)
class Phase:
    server: str
    streams: int
    wall: float
    cpu: float
    client_cpu: float
    sessions: int
    media_per_session: float
    octets: int

    @property
    def media(self) -> float:
        return self.sessions * self.media_per_session

    @property
    def cpu_per_media(self) -> float:
        return self.cpu / self.media if self.media else float("nan")


# --------------------------------------------------------------------------- recording


def record(clip: Path, data: Path, seconds: float) -> None:
    """One recording of the clip camera, ``seconds`` long, by the production engine."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    with clip_camera(clip) as url:
        process = context.Process(target=engine_child, args=(child, data, url, 1, 5.0, 5.0))
        process.start()
        parent.recv()  # populated
        parent.recv()  # its RSS
        time.sleep(seconds + 2)  # the receiver connects within about 2 s
        parent.send("stop")
        parent.recv()
        process.join()


# --------------------------------------------------------------------------- servers


def serve_replay(conn: Connection, data: Path) -> None:
    asyncio.run(_serve_replay(conn, data))


async def _serve_replay(conn: Connection, data: Path) -> None:
    settings = RecorderSettings(data_dir=data, rtsp_listen_host="127.0.0.1",
                                rtsp_listen_port=0)
    services = build_services(settings)
    services.users.ensure_initial_administrator(USER, PASSWORD)
    index = SegmentIndex(settings.database_path)
    server = RtspServer(services.replay, index, data / "media",
                        DigestGate(REALM, services.users.lookup))
    await server.start()
    token = services.recordings.recordings()[0].token
    conn.send(f"rtsp://127.0.0.1:{services.replay.address.port}/replay/{token}")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
    await server.stop()
    index.close()


@contextlib.contextmanager
def our_server(data: Path) -> Iterator[Server]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve_replay, args=(child, data))
    process.start()
    assert process.pid is not None
    try:
        yield Server("onvif-recorder", parent.recv(), process.pid, True)
    finally:
        parent.send("stop")
        process.join(timeout=10)


@contextlib.contextmanager
def gst_server(clip: Path) -> Iterator[Server]:
    command = ["/usr/bin/python3", str(GST_SERVER), "--clip", str(clip)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        if not ready.startswith("READY "):
            raise RuntimeError(f"gst_replay_server did not start: {ready!r}")
        yield Server("gst-rtsp-server", ready.split()[1], process.pid, False)
    finally:
        process.terminate()
        process.wait(timeout=10)


# --------------------------------------------------------------------------- phases


def calibrate(server: Server) -> tuple[int, float]:
    """One session read to the end: its RTP packets and the media seconds it carries."""
    counts: Counts = asyncio.run(play_once(server.url, USER, PASSWORD, None, server.onvif))
    first, last = counts.video_timestamps
    return counts.packets, (last - first) / 90000 + FRAME


def client_child(conn: Connection, server: Server, expected: int, n: int, seconds: float
                 ) -> None:
    conn.send("ready")
    started = time.process_time()
    result = asyncio.run(clients(server.url, USER, PASSWORD, expected, n, seconds,
                                 server.onvif))
    conn.send((*result, time.process_time() - started))


def phase(server: Server, n: int, window: float, session: tuple[int, float]) -> Phase:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=client_child,
                              args=(child, server, session[0], n, window))
    process.start()
    parent.recv()  # imported: the sessions start now
    cpu = cpu_seconds(server.pid)
    sessions, octets, wall, client_cpu = parent.recv()
    cpu = cpu_seconds(server.pid) - cpu
    process.join()
    return Phase(server.name, n, wall, cpu, client_cpu, sessions, session[1], octets)


def print_header() -> None:
    print(f"{'server':<16}{'N':>4}{'sessions':>9}{'media s':>9}{'wall s':>8}{'cpu s':>7}"
          f"{'cpu s/media s':>14}{'streams/core':>13}{'Mbit/s':>8}{'client cpu':>11}")


def print_phase(row: Phase) -> None:
    print(f"{row.server:<16}{row.streams:>4}{row.sessions:>9}{row.media:>9.0f}"
          f"{row.wall:>8.1f}{row.cpu:>7.2f}{row.cpu_per_media:>14.5f}"
          f"{1 / row.cpu_per_media:>13.0f}{row.octets * 8 / row.wall / 1e6:>8.0f}"
          f"{row.client_cpu:>11.2f}", flush=True)


def run(options: argparse.Namespace, work: Path) -> None:
    clip = options.clip or make_clip(work)
    data = work / "data"
    record(clip, data, options.record)
    with our_server(data) as ours, gst_server(clip) as theirs:
        sessions = {s.name: calibrate(s) for s in (ours, theirs)}
        for server in (ours, theirs):
            packets, media = sessions[server.name]
            print(f"{server.name}: one session = {packets} RTP packets, {media:.2f} s of media")
        print_header()
        for n in options.streams:
            rows = [phase(s, n, options.window, sessions[s.name]) for s in (ours, theirs)]
            for row in rows:
                print_phase(row)
            print(f"ratio cpu per media s, ours / gst-rtsp-server at N={n}: "
                  f"{rows[0].cpu_per_media / rows[1].cpu_per_media:.2f}", flush=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,10,50",
                        type=lambda text: [int(n) for n in text.split(",")])
    parser.add_argument("--window", type=float, default=5.0,
                        help="seconds during which clients start new sessions, per phase")
    parser.add_argument("--record", type=float, default=10.0, help="seconds recorded")
    parser.add_argument("--clip", type=Path, help="H.264 + AAC mp4 (default: encoded once)")
    options = parser.parse_args()
    if not 0 < options.window <= 60 or not all(0 < n <= 64 for n in options.streams):
        parser.error("window must be 0..60 s and every N 1..64 (the server's limit)")
    return options


def main() -> None:
    options = arguments()
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as work:
        run(options, Path(work))


if __name__ == "__main__":
    main()
