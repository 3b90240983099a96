"""Pre-event buffer memory with real streams: N event jobs waiting with Before PT30S,
each on its own receiver of the camera's 4 Mbit/s mount, in one recorder process.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/pre_event_memory.py [--jobs 50] [--before 30] [--settle 40]

The recorder (``engine_recorder``: services, SOAP, ingest and recording engine in this
process) gets N recordings, each with an Active job whose EventFilter waits for
``tns1:VideoSource/MotionAlarm`` (the /h264-4m camera never sends it) with ``Before``,
and an AutoConnect receiver on ``/h264-4m``. After every receiver is connected and
``--settle`` seconds have passed (longer than Before + slack + a GOP, so every buffer is
full), it prints the payload the buffers hold, the process's RSS growth over the
recorder without jobs, and the stream bitrate measured from the held samples. The CI
test ``tests/integration/test_pre_event_memory.py`` checks the same goal with the
buffers driven directly.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.camera import Camera  # noqa: E402
from tests.integration.helpers import (  # noqa: E402
    auto_receiver_job,
    client,
    recording_configuration,
)
from tests.integration.recording_support import (  # noqa: E402
    configure_receiver,
    engine_recorder,
    wait_until,
)

from onvif_recorder.engine.pre_event import PreEventBuffers  # noqa: E402
from onvif_recorder.engine.receiver_task import IngestConfig  # noqa: E402
from onvif_recorder.ingest.items import MediaSample  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


def buffers() -> PreEventBuffers:
    return next(o for o in gc.get_objects() if isinstance(o, PreEventBuffers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--before", type=int, default=30)
    parser.add_argument("--settle", type=float, default=45.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp, Camera() as camera, \
            engine_recorder(Path(temp) / "data", ingest=IngestConfig()) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        base = rss()
        receivers = []
        for _ in range(args.jobs):
            recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
            job = auto_receiver_job(recording, mode="Active")
            job["EventFilter"] = {"Filter": [{"Topic": "tns1:VideoSource/MotionAlarm"}],
                                  "Before": f"PT{args.before}S"}
            created = trc.CreateRecordingJob(JobConfiguration=job)
            receivers.append(created.JobConfiguration.Source[0].SourceToken.Token)
            configure_receiver(trv, receivers[-1], camera.url("/h264-4m"))
        connected = wait_until(lambda: all(
            str(trv.GetReceiverState(ReceiverToken=r).State) == "Connected"
            for r in receivers), 60.0, step=1.0)
        print(f"{args.jobs} receivers connected: {connected}")
        start = time.monotonic()
        while time.monotonic() - start < args.settle:
            time.sleep(5.0)
            held = sum(buffers().held_bytes.values())
            print(f"{time.monotonic() - start:5.0f} s: buffers hold {held / 2**20:7.1f} MiB,"
                  f" RSS +{(rss() - base) / 2**20:7.1f} MiB")
        report(buffers(), args.jobs, base)


def report(found: PreEventBuffers, jobs: int, base: int) -> None:
    held, grown = found.held_bytes, rss() - base
    spans = []
    for buffering in list(found._buffers.values()):
        times = [i.sample.utc for i in buffering.buffer.take() if isinstance(i, MediaSample)]
        spans.append(max(times) - min(times) if times else 0.0)
    total = sum(held.values())
    seconds = sum(spans) / len(spans) if spans else 0.0
    print(f"jobs {jobs}: payload held {total / 2**20:.0f} MiB "
          f"({total / max(1, len(held)) / 2**20:.1f} MiB per job, {seconds:.1f} s each, "
          f"{total * 8 / max(1e-9, seconds * max(1, len(held))) / 1e6:.2f} Mbit/s); "
          f"RSS growth {grown / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
