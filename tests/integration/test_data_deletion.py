"""DeleteTrack and DeleteRecording delete the data (RC §5.5, §5.10, §5.26.3), end to end.

The real camera's ``/av`` mount (H.264 + AAC) is recorded in 1 s segments. DeleteTrack
of the audio track (after the job stops feeding it, so the track may be deleted) must
rewrite every segment to video only, leave the index without audio and tell a PullPoint
``DeleteTrackData`` with the range deleted; DeleteRecording must leave no file and no
index row of the recording. A ``kill -9`` while a segment is being rewritten (the
test-only pause ``ONVIF_RECORDER_TEST_REWRITE_PAUSE`` holds the rewrite between the
fsync of the new file and its rename) must leave every segment decodable, and the
restarted recorder must finish the deletion by itself.
"""

from __future__ import annotations

import calendar
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import pytest

from onvif_recorder.storage.local import REWRITE, REWRITE_PAUSE_VARIABLE
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from tests.camera import Camera
from tests.integration.event_client import subscribe
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess
from tests.integration.recording_support import (
    configure_receiver,
    decode,
    engine_recorder,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow
RECEIVER_TYPE = "http://www.onvif.org/ver10/schema/Receiver"


def rows(data: Path, recording: str) -> list[SegmentRow]:
    index = SegmentIndex(data / "recorder.sqlite3")
    try:
        return index.segments(recording)
    finally:
        index.close()


def posix(text: str) -> float:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(moment.timetuple()) + moment.microsecond / 1e6


def record_av(trc: Any, trv: Any, camera: Camera, data: Path) -> tuple[str, Any]:
    """A recording of ``/av`` with an Active job; returns (recording, job) once at least
    three finished segments hold video and audio."""
    recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
    configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token, camera.url("/av"))
    trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")

    def with_audio() -> bool:
        return sum(r.complete and "AUDIO001" in r.tracks for r in rows(data, recording)) >= 3

    assert wait_until(with_audio, 15.0)
    return recording, job


def video_only_job(trc: Any, job: Any) -> None:
    """The job keeps recording, into VIDEO001 only: AUDIO001 may now be deleted."""
    configuration = trc.GetRecordingJobConfiguration(JobToken=job.JobToken)
    source = configuration.Source[0]
    source.Tracks = [t for t in source.Tracks if t.Destination == "VIDEO001"]
    trc.SetRecordingJobConfiguration(JobToken=job.JobToken, JobConfiguration=configuration)


def assert_video_only(paths: list[Path]) -> None:
    assert paths
    for path in paths:
        with av.open(str(path)) as container:
            assert len(container.streams.audio) == 0, path
            assert len(container.streams.video) == 1, path
        assert decode(path).get("video"), path


def test_delete_track_rewrites_segments_to_video_only_and_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        deletions = subscribe(recorder, "tns1:RecordingConfig/DeleteTrackData")
        recording, job = record_av(trc, trv, camera, data)
        video_only_job(trc, job)
        first = rows(data, recording)[0]
        trc.DeleteTrack(RecordingToken=recording, TrackToken="AUDIO001")
        received = deletions.pull_until(lambda got: len(got) >= 1, within=20.0)
        with_audio_left = [r for r in rows(data, recording) if "AUDIO001" in r.tracks]
        count = len(segments(data, recording))
        assert wait_until(lambda: len(segments(data, recording)) > count + 1, 10.0)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
    assert with_audio_left == []
    (event,) = received
    assert event.source == {"RecordingToken": recording, "TrackToken": "AUDIO001"}
    start, end = posix(event.data["StartTime"]), posix(event.data["EndTime"])
    assert start == pytest.approx(first.start_utc, abs=0.002)
    final = rows(data, recording)
    assert any(abs(r.end_utc - end) <= 0.002 for r in final)  # ends where a segment ended
    assert end - start >= 3.0
    assert all(set(r.tracks) <= {"VIDEO001", "META001"} for r in final)
    assert {r.key for r in final} == {p.relative_to(data / "media").as_posix()
                                      for p in segments(data, recording)}
    assert_video_only(segments(data, recording))


def test_delete_recording_leaves_no_file_and_no_row(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        deletions = subscribe(recorder, "tns1:RecordingConfig/DeleteTrackData")
        kept, _ = record_av(trc, trv, camera, data)
        doomed, _ = record_av(trc, trv, camera, data)
        trc.DeleteRecording(RecordingToken=doomed)
        assert wait_until(lambda: not (data / "media" / doomed).exists(), 10.0)
        assert wait_until(lambda: rows(data, doomed) == [], 5.0)
        time.sleep(1.5)  # nothing comes back: the task was stopped before the files went
        assert not (data / "media" / doomed).exists() and rows(data, doomed) == []
        assert deletions.drain() == []  # DeleteTrack and DeleteRecording (§5.26.4) only
        assert len(rows(data, kept)) >= 3  # the other recording is untouched
        assert [p.name for p in (data / "media").iterdir()] == [kept]


def test_kill_9_in_the_middle_of_a_rewrite_leaves_every_segment_decodable(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, RecorderProcess(
            data, extra_args=("--segment-duration", "1"),
            extra_env={REWRITE_PAUSE_VARIABLE: "60"}) as recorder:
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        recording, job = record_av(trc, trv, camera, data)
        trc.DeleteRecordingJob(JobToken=job.JobToken)
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
        before = {p: p.read_bytes() for p in segments(data, recording)}
        trc.DeleteTrack(RecordingToken=recording, TrackToken="AUDIO001")
        assert wait_until(lambda: bool(list(data.rglob("*" + REWRITE))), 10.0)
        time.sleep(0.5)  # written and fsynced: the rewrite now waits before its rename
        (pending,) = list(data.rglob("*" + REWRITE))
        recorder.kill9()
        # Killed between the durable new file and the rename: the old file is whole.
        original = pending.with_name(pending.name.removesuffix(REWRITE))
        assert original.read_bytes() == before[original]
        for path in before:
            assert decode(path).get("video"), path
        recorder.extra_env = {}
        recorder.start()  # no client request: start-up finds the deletion unfinished
        assert wait_until(lambda: not any("AUDIO001" in r.tracks
                                          for r in rows(data, recording)), 20.0)
        assert not list(data.rglob("*" + REWRITE))
        assert_video_only(segments(data, recording))
        assert len(segments(data, recording)) == len(before)
