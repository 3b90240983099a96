"""Event recording with a pre-event buffer (RC §5.3.4 Before/After) on the real camera.

The /motion camera sends tns1:VideoSource/MotionAlarm from VideoSource_1 in its metadata
stream, State true in two documents about 5 s after its media starts, false otherwise.
The recording must start at the I-frame at or before ``event - Before``, end ``After``
after the motion ends, hold one span without a gap, and decode; a job waiting for an
event that never comes writes nothing."""

from __future__ import annotations

import time
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import av
import pytest

from onvif_recorder.events.triggers import MOMENTARY_HOLD
from onvif_recorder.mp4.fragment_reader import StoredSegment, read_segment
from tests.camera import Camera
from tests.integration.event_client import Received, subscribe
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess, free_port
from tests.integration.recording_support import (
    configure_receiver,
    engine_recorder,
    segments,
    wait_until,
)
from tests.integration.test_object_storage import drained
from tests.integration.test_operator import scrape, value
from tests.integration.test_search_service import find_events
from tests.object_peers import MotoS3
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow

MOTION = "tns1:VideoSource/MotionAlarm"
SOURCE = 'boolean(//tt:SimpleItem[@Name="Source" and @Value="{}"])'
BEFORE, AFTER, GOP = 2.0, 2.0, 1.0  # the camera: a sync sample every 25 pictures, 25 fps
LATENCY = 0.5
"""Event delivery and timer slack allowed around the window edges, seconds."""


def motion_job(recording: str, source: str, receiver: str | None = None) -> dict[str, Any]:
    configuration = auto_receiver_job(recording, mode="Active")
    if receiver is not None:
        configuration["Source"] = [{"SourceToken": {
            "Token": receiver, "Type": "http://www.onvif.org/ver10/schema/Receiver"}}]
    configuration["EventFilter"] = {"Filter": [{"Topic": MOTION,
                                                "Source": SOURCE.format(source)}],
                                    "Before": "PT2S", "After": "PT2S"}
    return configuration


def utc(event: Received) -> float:
    return datetime.fromisoformat(event.utc_time.replace("Z", "+00:00")).timestamp()


def video_times(stored: list[StoredSegment]) -> list[tuple[float, bool]]:
    """(UTC, sync) of every video sample, in order."""
    found = []
    for segment in stored:
        video = next(t for t in segment.tracks.values() if t.handler == "vide")
        found += [(segment.utc(video.track_id, s.decode_time), s.sync)
                  for s in segment.samples if s.track_id == video.track_id]
    return found


def test_a_motion_window_is_recorded_from_before_the_event_to_after_its_end(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Camera() as camera, engine_recorder(data) as recorder:
        trc, rec = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        trc.GetServiceCapabilities()
        assert b'BeforeEventLimit="PT30S"' in rec.last
        events = subscribe(recorder)  # the camera's topic is not known before it is seen
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        quiet = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=motion_job(recording, "VideoSource_1"))
        validate_body(rec.last)
        assert b"<tt:Before>PT2S</tt:Before>" in rec.last  # echoed as written
        receiver = job.JobConfiguration.Source[0].SourceToken.Token
        trc.CreateRecordingJob(JobConfiguration=motion_job(quiet, "VideoSource_9", receiver))
        configure_receiver(trv, receiver, camera.url("/motion"))
        seen = events.pull_until(lambda r: any(e.data.get("State") == "false"
                                               and _after_true(r, e) for e in r), within=20)
        seen = [e for e in seen if e.topic == MOTION]
        started = next(e for e in seen if e.data.get("State") == "true")
        assert started.source == {"Source": "VideoSource_1", "ReceiverToken": receiver}
        ended = next(e for e in seen if _after_true(seen, e) and e.data["State"] == "false")
        assert wait_until(lambda: str(trc.GetRecordingJobState(
            JobToken=job.JobToken).State) == "Idle", 10.0)
        assert wait_until(lambda: bool(segments(data, recording)) and not list(
            data.rglob("*.partial")), 10.0)
        files = segments(data, recording)
        stored = [read_segment(path.read_bytes()) for path in files]
        assert len({s.info.span_start_utc for s in stored if s.info}) == 1  # one span
        decoded = sum(decoded_pictures(path) for path in files)
        times = video_times(stored)
        first, last = times[0][0], times[-1][0]
        assert times[0][1]  # an I-frame
        assert utc(started) - BEFORE - GOP - LATENCY <= first <= utc(started) - BEFORE + 0.1
        assert utc(ended) + AFTER - LATENCY <= last <= utc(ended) + AFTER + LATENCY + GOP
        gaps = [b[0] - a[0] for a, b in pairwise(times)]
        assert max(gaps) < 0.1 and min(gaps) > 0  # 25 fps: no gap, no duplicate
        assert decoded == len(times)  # every picture decodes, the first one included
        assert segments(data, quiet) == []  # its event never came: nothing written


def decoded_pictures(path: Path) -> int:
    """Pictures of the video track that decode (PyAV raises on a broken one)."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def _after_true(seen: list[Received], event: Received) -> bool:
    states = [e.data.get("State") if e.topic == MOTION else None for e in seen]
    return "true" in states and seen.index(event) > states.index("true")


def test_object_storage_segments_carry_the_triggering_event_topic(tmp_path: Path) -> None:
    """RC B.9 ``EventTopic`` on every segment object of an event-triggered recording."""
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera, engine_recorder(data) as recorder:
        tds, _ = client(recorder, "device")
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        storage = tds.CreateStorageConfiguration(StorageConfiguration=s3.storage_configuration())
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration(
            Target={"Storage": storage, "Format": "MP4", "Prefix": "site", "Postfix": "cam",
                    "SegmentDuration": "PT2S", "Encryption": []}))
        job = trc.CreateRecordingJob(JobConfiguration=motion_job(recording, "VideoSource_1"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/motion"))
        assert wait_until(lambda: str(trc.GetRecordingJobState(
            JobToken=job.JobToken).State) == "Active", 15.0)
        assert wait_until(lambda: str(trc.GetRecordingJobState(
            JobToken=job.JobToken).State) == "Idle", 10.0)
        assert drained(data, 20.0)
        objects = [o for o in s3.objects() if o.key.endswith(".mp4")]
        assert len(objects) >= 2, [o.key for o in s3.objects()]
        assert {o.metadata.get("eventtopic") for o in objects} == {MOTION}


def test_each_recorded_window_is_a_data_present_range_in_search(tmp_path: Path) -> None:
    """Two momentary events far enough apart: two windows, two spans, and Search's
    recording history (FindEvents, RecordingHistory/Recording/State) shows each as a
    range that starts Before before its event."""
    data = tmp_path / "data"
    trigger = "tns1:RecordingConfig/CreateRecording"
    with Camera() as camera, engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        tse, rec = client(recorder, "search")
        events = subscribe(recorder, trigger)
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        configuration = auto_receiver_job(recording, mode="Active")
        configuration["EventFilter"] = {"Filter": [{"Topic": trigger}], "Before": "PT2S",
                                        "After": "PT1S"}
        job = trc.CreateRecordingJob(JobConfiguration=configuration)
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/h264"))
        events.pull_until(lambda r: len(r) >= 1)  # our own CreateRecording, before the job
        moments = []
        for _ in range(2):
            time.sleep(4.0)  # the buffer fills; the windows stay apart
            trc.CreateRecording(RecordingConfiguration=recording_configuration())
            moments.append(utc(events.pull_until(lambda r: len(r) >= 1)[0]))
            assert wait_until(lambda: str(trc.GetRecordingJobState(
                JobToken=job.JobToken).State) == "Active", 5.0)
            assert wait_until(lambda: str(trc.GetRecordingJobState(
                JobToken=job.JobToken).State) == "Idle", 10.0)
        assert wait_until(lambda: not list(data.rglob("*.partial")), 5.0)
        history = find_events(tse, rec, recording, moments[0] - 10, moments[1] + 10, False)
        state = [(e[0].timestamp(), e[2]) for e in history if e[1] == ""]
        assert [value for _, value in state] == ["true", "false", "true", "false"]
        for (start, _), (stop, _), moment in zip(state[::2], state[1::2], moments,
                                                 strict=True):
            assert moment - BEFORE - GOP - LATENCY <= start <= moment - BEFORE + 0.1
            assert moment + MOMENTARY_HOLD + 1.0 - LATENCY <= stop
        assert len(list(data.rglob("*.mp4_end"))) == 2  # a span per window
        stored = [read_segment(path.read_bytes()) for path in segments(data, recording)]
        for span in {s.info.span_start_utc for s in stored if s.info}:
            mine = [s for s in stored if s.info and s.info.span_start_utc == span]
            pictures = video_times(mine)
            assert pictures[0][1]  # a momentary event: at least one I-frame, the first
            assert pictures[-1][0] - pictures[0][0] >= BEFORE + MOMENTARY_HOLD


def test_metrics_show_what_a_waiting_job_holds(tmp_path: Path) -> None:
    """``job_pre_event_buffer_bytes`` of the production recorder process: what the
    waiting job's buffer holds, Before + slack + up to a GOP of a 4 Mbit/s stream."""
    with Camera() as camera, RecorderProcess(tmp_path / "data", extra_args=(
            "--rtsp-listen", f"127.0.0.1:{free_port()}"), separate_stderr=True) as recorder:
        trc, _ = client(recorder, "recording")  # type: ignore[arg-type]
        trv, _ = client(recorder, "receiver")  # type: ignore[arg-type]
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=motion_job(recording, "VideoSource_1"))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/h264-4m"))
        name = "onvif_recorder_job_pre_event_buffer_bytes"
        assert wait_until(lambda: value(scrape(recorder.url), name, job=job.JobToken) > 0,
                          10.0), recorder.log_tail()
        rate = 4_000_000 / 8  # the mount's 4 Mbit/s
        for _ in range(2):  # full, then no fuller: Before + the 1 s slack + up to a GOP
            time.sleep(BEFORE + 2 * GOP + 1.0)
            held = value(scrape(recorder.url), name, job=job.JobToken)
            assert 0.8 * (BEFORE + GOP) * rate <= held <= 1.2 * (BEFORE + 2 * GOP) * rate, held
