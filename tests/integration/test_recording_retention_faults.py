"""The engine against real failures: a short MaximumRetentionTime set through SOAP, a
storage directory that refuses writes, a disk write that hangs, and a camera that
switches from H.264 to H.265.

Each test records the real test camera with 1 s segments and reads job states through
GetRecordingJobState (zeep); retention events arrive through a PullPoint subscription.
"""

from __future__ import annotations

import calendar
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.storage.local import LocalStorage, OpenSegment
from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.event_client import Received, subscribe
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    key_start,
    segments,
    wait_until,
)

pytestmark = pytest.mark.slow
RETENTION = 3.0


def start_job(recorder: RunningRecorder, uri: str, retention: str = "PT0S") -> tuple[Any, str,
                                                                                       str]:
    """A recording with an Active job fed by ``uri``; returns (trc, recording, job)."""
    trc, _ = client(recorder, "recording")
    trv, _ = client(recorder, "receiver")
    configuration = recording_configuration(MaximumRetentionTime=retention)
    recording = trc.CreateRecording(RecordingConfiguration=configuration)
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording, mode="Active"))
    configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token, uri)
    assert wait_until(lambda: state(trc, job.JobToken) == "Active", 8.0), state(trc, job.JobToken)
    return trc, recording, job.JobToken


def state(trc: Any, job: str) -> str:
    return str(trc.GetRecordingJobState(JobToken=job).State)


def track_states(trc: Any, job: str) -> dict[str, tuple[str, str | None]]:
    source = trc.GetRecordingJobState(JobToken=job).Sources[0]
    return {t.Destination: (t.State, t.Error) for t in source.Tracks.Track}


def posix(text: str) -> float:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(moment.timetuple()) + moment.microsecond / 1e6


def test_short_retention_deletes_old_segments_and_tells_subscribers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        deletions = subscribe(recorder, "tns1:RecordingConfig/DeleteTrackData")
        _, recording, _ = start_job(recorder, camera.url("/h264"), f"PT{RETENTION:g}S")
        seen: dict[str, float] = {}  # every segment key ever on disk -> its start

        def first_deleted() -> bool:
            current = {p.name: key_start(p, data) for p in segments(data, recording)}
            seen.update(current)
            return bool(set(seen) - set(current))

        assert wait_until(first_deleted, 15.0, step=0.05)
        received = deletions.pull_until(lambda got: len(got) >= 1, within=5.0)
        first_deleted()
        remaining = segments(data, recording)
    deleted = sorted(start for name, start in seen.items()
                     if name not in {p.name for p in remaining})
    assert_deletion_events(received, recording, deleted, key_start(remaining[0], data))


def assert_deletion_events(received: list[Received], recording: str, deleted: list[float],
                           first_kept: float) -> None:
    """The first DeleteTrackData starts at the first deleted segment's start and ends
    where the next segment (never deleted before it) starts: the range really deleted."""
    first = received[0]
    assert first.source == {"RecordingToken": recording, "TrackToken": "VIDEO001"}
    start, end = posix(first.data["StartTime"]), posix(first.data["EndTime"])
    assert start == pytest.approx(deleted[0], abs=0.002)
    assert end <= first_kept + 0.002  # nothing kept was reported deleted
    assert any(abs(end - later) <= 0.05 for later in [*deleted[1:], first_kept])
    assert end - start >= 0.5  # at least one 1 s segment (± a GOP)


def test_writer_failure_shows_error_then_active_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, recording, job = start_job(recorder, camera.url("/h264"))
        directory = data / "media" / recording
        moved = data / "moved-away"
        shutil.move(directory, moved)
        directory.write_bytes(b"")  # a file where the recording's directory was: ENOTDIR
        try:
            assert wait_until(lambda: state(trc, job) == "Error", 5.0), state(trc, job)
            error = track_states(trc, job)["VIDEO001"]
            assert error[0] == "Error" and str(error[1]).startswith("Storage error"), error
        finally:
            directory.unlink()
            shutil.move(moved, directory)
        failed_at = time.monotonic()
        assert wait_until(lambda: state(trc, job) == "Active", 15.0), state(trc, job)
        recovered_in = time.monotonic() - failed_at
        count = len(segments(data, recording))
        assert wait_until(lambda: len(segments(data, recording)) > count, 5.0)
    assert recovered_in < 12.0
    assert not list(data.rglob("*.partial"))  # closed at stop, torn ones repaired


class HangingDisk:
    """``LocalStorage.append`` whose first call hangs until released (a stalled disk),
    noting the thread of every call."""

    def __init__(self) -> None:
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.threads: set[int] = set()
        self.original = LocalStorage.append

    def append(self, storage: LocalStorage, segment: OpenSegment, data: bytes) -> None:
        self.threads.add(threading.get_ident())
        if not self.release.is_set() and not self.hanging.is_set():
            self.hanging.set()
            self.release.wait(30)  # a bound, so a writer on the loop fails the test, not CI
            self.hanging.clear()
        self.original(storage, segment, data)


def test_soap_is_answered_while_a_segment_write_hangs(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    disk = HangingDisk()
    monkeypatch.setattr(LocalStorage, "append",
                        lambda storage, segment, data: disk.append(storage, segment, data))
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, recording, job = start_job(recorder, camera.url("/h264"))
        assert disk.hanging.wait(10), "nothing was written"
        # The write is stuck: the event loop still answers (it would wait for the disk
        # if the write ran on it), and the job still says Active (media flows).
        assert [r.RecordingToken for r in trc.GetRecordings()] == [recording]
        assert state(trc, job) == "Active"
        still_hanging = disk.hanging.is_set()
        disk.release.set()
        assert wait_until(lambda: len(segments(data, recording)) >= 2, 10.0)
        loop_thread = recorder.in_loop(threading.get_ident)
    assert still_hanging
    assert len(disk.threads) == 1 and loop_thread not in disk.threads
    assert not list(data.rglob("*.partial"))


def test_h265_into_a_track_that_holds_h264_is_an_incompatible_stream(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, recording, job = start_job(recorder, camera.url("/h264"))
        assert wait_until(lambda: len(segments(data, recording)) >= 1, 5.0)
        trv, _ = client(recorder, "receiver")
        receiver = trc.GetRecordingJobConfiguration(JobToken=job).Source[0].SourceToken.Token
        configure_receiver(trv, receiver, camera.url("/h265"))

        def incompatible() -> bool:
            return track_states(trc, job)["VIDEO001"] == ("Error", "Incompatible Stream")

        assert wait_until(incompatible, 10.0), track_states(trc, job)
        assert state(trc, job) == "Error"
