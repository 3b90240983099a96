"""Replay of what the real camera recorded, through the replay RTSP server, read by
real clients: GStreamer's ONVIF replay client (rtspsrc onvif-mode), ffprobe and PyAV;
and our own interleaved reader checking the ONVIF header extension (Streaming §6.3)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.rtp.onvif_extension import ReplayExtension
from onvif_recorder.rtp.packet import RtpPacket
from tests.camera import Camera
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder
from tests.integration.helpers import client
from tests.integration.recording_support import engine_recorder, wait_until
from tests.integration.test_data_deletion import record_av, rows


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRecorder, str]]:
    """A stopped recording of the camera's /av mount (H.264 + AAC), 1 s segments."""
    data = tmp_path_factory.mktemp("replay") / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0,
                                             replay=True) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording, job = record_av(trc, trv, camera, data)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: all(r.complete for r in rows(data, recording)), 10)
        yield recorder, recording


def replay_uri(recorder: RunningRecorder, recording: str, credentials: bool = True) -> str:
    trp, _ = client(recorder, "replay")
    uri = str(trp.GetReplayUri(StreamSetup={"Stream": "RTP-Unicast",
                                            "Transport": {"Protocol": "RTSP"}},
                               RecordingToken=recording))
    if credentials:
        uri = uri.replace("rtsp://", f"rtsp://{ADMIN_USER}:{ADMIN_PASSWORD}@")
    return uri


def recorded_video(data: Path, recording: str) -> list[tuple[float, bytes, bool]]:
    """(capture UTC, sample bytes, sync) of every recorded video sample, in order."""
    found = []
    for row in rows(data, recording):
        if row.extension == "mp4_end":
            continue
        segment = read_segment((data / "media" / row.key).read_bytes())
        for sample in segment.samples:
            if segment.tracks[sample.track_id].handler == "vide":
                found.append((segment.utc(sample.track_id, sample.presentation_time),
                              sample.data, sample.sync))
    return found


def test_ffprobe_reads_the_replay_uri(recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    done = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_streams",
                           "-of", "json", replay_uri(recorder, recording)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"codec_name": "h264"' in done.stdout and '"codec_name": "aac"' in done.stdout


def frame_hashes(container: Any) -> list[str]:
    return [hashlib.sha256(b"".join(bytes(p) for p in frame.planes)).hexdigest()
            for frame in container.decode(container.streams.video[0])]


def test_pyav_decodes_every_recorded_frame(recorded: tuple[RunningRecorder, str]) -> None:
    """Rate-Control yes (the default): the decoded frames are those decoded from disk."""
    recorder, recording = recorded
    expected: list[str] = []
    for row in rows(recorder.data_dir, recording):
        if row.extension != "mp4_end":
            with av.open(str(recorder.data_dir / "media" / row.key)) as container:
                expected += frame_hashes(container)
    with av.open(replay_uri(recorder, recording), options={"rtsp_transport": "tcp"},
                 timeout=20) as container:
        assert frame_hashes(container) == expected


def test_gstreamer_onvif_replay_client_plays_back(recorded: tuple[RunningRecorder, str]
                                                  ) -> None:
    recorder, recording = recorded
    uri = replay_uri(recorder, recording, credentials=False)
    done = subprocess.run(
        ["gst-launch-1.0", "-q", "rtspsrc", f"location={uri}", "onvif-mode=true",
         "onvif-rate-control=false", f"user-id={ADMIN_USER}", f"user-pw={ADMIN_PASSWORD}",
         "protocols=tcp", "name=src", "src.", "!", "rtph264depay", "!", "h264parse", "!",
         "avdec_h264", "!", "fakesink"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
