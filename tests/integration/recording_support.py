"""What the recording-engine integration tests share: a recorder with the real engine
(ingest + recording + local storage) in-process, and checks of segments on disk."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import av

from onvif_recorder.app import REALM, build_app, build_services
from onvif_recorder.engine.receiver_task import IngestConfig
from onvif_recorder.engine.rtsp_server import replay_context
from onvif_recorder.engine.runtime import engine_context, engine_media_flow
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.storage.object_key import parse_key
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder, _ServerThread
from tests.integration.helpers import RECEIVER_TYPE
from tests.integration.ingest_support import QUICK


@contextmanager
def engine_recorder(data_dir: Path, segment_duration: float = 2.0, *, replay: bool = False,
                    ingest: IngestConfig = QUICK, **settings: Any) -> Iterator[RunningRecorder]:
    """A recorder whose jobs really record, with quick reconnects (``ingest``; and, with
    ``replay``, the replay RTSP server on a free loopback port)."""
    config = replace(RecorderSettings(data_dir=data_dir), segment_duration=segment_duration,
                     rtsp_listen_host="127.0.0.1", rtsp_listen_port=0, **settings)
    media = engine_media_flow()
    services = build_services(config, media)
    services.users.ensure_initial_administrator(ADMIN_USER, ADMIN_PASSWORD)
    app = build_app(config, services)
    app.cleanup_ctx.append(engine_context(config, services.holder, services.events,
                                          services.engine, media, ingest,
                                          camera_topics=services.camera_topics))
    if replay:
        app.cleanup_ctx.append(replay_context(config, services.replay, services.users.lookup,
                                              REALM))
    thread = _ServerThread(app)
    thread.start()
    assert thread.ready.wait(10), "the recorder did not start"
    try:
        yield RunningRecorder(f"http://127.0.0.1:{thread.port}", data_dir, services,
                              loop=thread.loop)
    finally:
        thread.stop()


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def receiver_source(tracks: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    import zeep

    source: dict[str, Any] = {
        "SourceToken": {"Token": zeep.xsd.SkipValue, "Type": RECEIVER_TYPE},
        "AutoCreateReceiver": True,
    }
    if tracks is not None:
        source["Tracks"] = [{"SourceTag": tag, "Destination": d} for tag, d in tracks]
    return source


def configure_receiver(trv: Any, token: str, uri: str, mode: str = "AutoConnect") -> None:
    trv.ConfigureReceiver(ReceiverToken=token, Configuration={
        "Mode": mode, "MediaUri": uri,
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}})


def segments(data_dir: Path, recording: str | None = None) -> list[Path]:
    """Finished segment files in key (= time) order."""
    root = data_dir / "media" / (recording or "")
    return sorted(root.rglob("*.mp4"), key=lambda p: p.relative_to(data_dir / "media")
                  .as_posix().split("/", 1)[1])


def key_start(path: Path, data_dir: Path) -> float:
    key = parse_key(path.relative_to(data_dir / "media").as_posix())
    t = key.time
    import calendar

    return calendar.timegm((t.year, t.month, t.day, t.hour, t.minute, t.second)) \
        + t.microsecond / 1e6


def ffprobe(path: Path) -> dict[str, Any]:
    run = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of",
                          "json", str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stderr == "", (path, run.stderr)
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def decode(path: Path) -> dict[str, list[float]]:
    """Presentation times (s) of every decoded frame per stream kind; raises on errors."""
    times: dict[str, list[float]] = {}
    with av.open(str(path)) as container:
        for stream in container.streams:
            stream.codec_context.skip_frame = "DEFAULT"
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            times.setdefault(kind, []).append(float(frame.time or 0.0))
    return times
