"""A camera that sends B-frames records with decode times that only grow and composition
offsets that put every picture back in presentation order (issue 18 item 5).

The test camera's ``/h264-bframes`` and ``/h265-bframes`` mounts are x264 and x265 with
two B-frames between references (decode order I P B B P B B …). The recorded segments
are read back by three peers: ffprobe (has_b_frames), FFmpeg remuxing and decoding them
with its log at level warning (no DTS complaints), and PyAV (every recorded picture
decodes, in presentation order, one frame interval apart).
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import av
import pytest

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    ffprobe,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow
FRAME = 1 / 25
DTS_COMPLAINTS = ("non monotonically increasing dts", "invalid dts", "non-monotonous dts",
                  "out of order")


def record(tmp_path: Path, mount: str, count: int) -> list[Path]:
    """Record ``mount`` until ``count`` segments are finished; return them."""
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, mode="Active"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url(mount))
        assert wait_until(lambda: len(segments(data, recording)) >= count, 20.0)
    return segments(data, recording)


def ffmpeg_warnings(path: Path) -> str:
    """FFmpeg's warnings when it remuxes (DTS checks of its muxer) and decodes ``path``."""
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "warning", "-i", str(path), "-map", "0", "-c", "copy",
         "-f", "matroska", "-y", "/dev/null", "-map", "0", "-f", "null", "-"],
        capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stderr


def pictures(path: Path) -> tuple[int, list[float]]:
    """(video samples stored, presentation times of the decoded pictures in output order)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = sum(1 for packet in container.demux(stream) if packet.size)
    with av.open(str(path)) as container:
        times = [float(frame.time or 0.0) for frame in container.decode(video=0)]
    return packets, times


@pytest.mark.parametrize(("mount", "codec"), [("/h264-bframes", "h264"),
                                              ("/h265-bframes", "hevc")])
def test_b_frames_record_in_decode_order_and_play_in_presentation_order(
        tmp_path: Path, mount: str, codec: str) -> None:
    files = record(tmp_path, mount, 3)
    assert len(files) >= 3
    for path in files[:3]:
        stream = ffprobe(path)["streams"][0]
        assert stream["codec_name"] == codec and stream["has_b_frames"] > 0, stream
        warnings = ffmpeg_warnings(path).lower()
        assert not any(text in warnings for text in DTS_COMPLAINTS), warnings
        stored, times = pictures(path)
        assert stored >= 20
        assert len(times) == stored  # every picture the camera sent, once
        steps = [b - a for a, b in itertools.pairwise(times)]
        assert all(step == pytest.approx(FRAME, abs=0.002) for step in steps), steps


def test_a_camera_without_b_frames_keeps_decode_time_equal_to_presentation_time(
        tmp_path: Path) -> None:
    """x264 with tune=zerolatency: no composition offsets at all (trun without them)."""
    files = record(tmp_path, "/h264", 2)
    with av.open(str(files[0])) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    assert packets and all(p.pts == p.dts for p in packets)
