"""Playback over HTTP (web.playback) of what the real camera recorded, read by real
clients: ffprobe and PyAV (FFmpeg's HLS demuxer) through the playlist, PyAV on the parts
and on a clip. The recording has two spans (the job stopped and started again), so the
playlist crosses segment boundaries and a gap."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import av
import pytest
import requests

from onvif_recorder.replay.hls import iso_utc
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from tests.camera import Camera
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder
from tests.integration.helpers import client
from tests.integration.recording_support import engine_recorder, wait_until
from tests.integration.test_data_deletion import record_av, rows

AUTH = (ADMIN_USER, ADMIN_PASSWORD)
BASIC = "Authorization: Basic " + base64.b64encode(
    f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode() + "\r\n"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRecorder, str]]:
    """A stopped recording of the camera's /av mount (H.264 + AAC), 1 s segments, in two
    spans a second or more apart."""
    data = tmp_path_factory.mktemp("playback") / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording, job = record_av(trc, trv, camera, data)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: all(r.complete for r in rows(data, recording)), 10)
        first = len(rows(data, recording))
        time.sleep(1.5)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: sum(r.complete for r in rows(data, recording)) >= first + 3,
                          15)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: all(r.complete for r in rows(data, recording)), 10)
        yield recorder, recording


def media_rows(recorder: RunningRecorder, recording: str) -> list[SegmentRow]:
    return [r for r in rows(recorder.data_dir, recording) if r.extension == "mp4"]


def frame_hashes(container: Any) -> list[str]:
    return [hashlib.sha256(b"".join(bytes(p) for p in frame.planes)).hexdigest()
            for frame in container.decode(container.streams.video[0])]


def recorded_hashes(recorder: RunningRecorder, segments: list[SegmentRow]) -> list[str]:
    expected: list[str] = []
    for row in segments:
        with av.open(str(recorder.data_dir / "media" / row.key)) as container:
            expected += frame_hashes(container)
    return expected


def url(recorder: RunningRecorder, recording: str, path: str) -> str:
    return f"{recorder.url}/recordings/{recording}/{path}"


def test_timeline_spans_are_the_index_spans(recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    answer = requests.get(url(recorder, recording, "timeline.json"), auth=AUTH, timeout=10)
    assert answer.status_code == 200
    index = SegmentIndex(recorder.data_dir / "recorder.sqlite3")
    try:
        spans = index.spans(recording)
    finally:
        index.close()
    assert len(spans) == 2
    assert answer.json() == {
        "recording": recording, "start": iso_utc(spans[0].start_utc),
        "end": iso_utc(spans[-1].end_utc),
        "spans": [{"start": iso_utc(s.start_utc), "end": iso_utc(s.end_utc)} for s in spans]}
    middle = (spans[0].start_utc + spans[0].end_utc) / 2
    window = {"start": iso_utc(middle), "end": iso_utc(spans[1].start_utc + 0.5)}
    clipped = requests.get(url(recorder, recording, "timeline.json"), params=window,
                           auth=AUTH, timeout=10).json()
    assert clipped["spans"] == [{"start": window["start"], "end": iso_utc(spans[0].end_utc)},
                                {"start": iso_utc(spans[1].start_utc), "end": window["end"]}]


def test_playlist_has_a_part_per_segment_and_a_discontinuity_at_the_gap(
        recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    answer = requests.get(url(recorder, recording, "hls/index.m3u8"), auth=AUTH, timeout=10)
    assert answer.status_code == 200
    lines = answer.text.splitlines()
    assert lines[:2] == ["#EXTM3U", "#EXT-X-VERSION:7"]
    assert lines[-1] == "#EXT-X-ENDLIST"
    segments = media_rows(recorder, recording)
    assert sum(line.startswith("part/") for line in lines) == len(segments)
    assert sum(line.startswith("#EXT-X-PROGRAM-DATE-TIME:") for line in lines) == len(segments)
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    assert sum(line.startswith("#EXT-X-MAP:") for line in lines) == 2
    dates = [line.split(":", 1)[1] for line in lines if line.startswith("#EXT-X-PROGRAM")]
    assert dates == [iso_utc(row.start_utc) for row in segments]


def test_ffprobe_reads_the_playlist(recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-headers", BASIC, "-show_streams", "-of", "json",
         url(recorder, recording, "hls/index.m3u8")],
        capture_output=True, text=True, timeout=60, check=True)
    codecs = sorted(s["codec_name"] for s in json.loads(probe.stdout)["streams"])
    assert codecs == ["aac", "h264"]


def test_pyav_decodes_every_recorded_frame_through_the_playlist(
        recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    expected = recorded_hashes(recorder, media_rows(recorder, recording))
    with av.open(url(recorder, recording, "hls/index.m3u8"),
                 options={"headers": BASIC}, timeout=20) as container:
        assert frame_hashes(container) == expected


def test_init_and_parts_of_a_span_concatenate_into_one_stream(
        recorded: tuple[RunningRecorder, str], tmp_path: Any) -> None:
    recorder, recording = recorded
    text = requests.get(url(recorder, recording, "hls/index.m3u8"), auth=AUTH,
                        timeout=10).text
    first_span = text.split("#EXT-X-DISCONTINUITY")[0].splitlines()
    init = next(line for line in first_span if line.startswith("#EXT-X-MAP"))
    names = [init.split('"')[1]] + [line for line in first_span if line.startswith("part/")]
    path = tmp_path / "span.mp4"
    path.write_bytes(b"".join(requests.get(url(recorder, recording, f"hls/{name}"),
                                           auth=AUTH, timeout=10).content for name in names))
    first = media_rows(recorder, recording)[:len(names) - 1]
    with av.open(str(path)) as container:
        assert frame_hashes(container) == recorded_hashes(recorder, first)
    with av.open(str(path)) as container:
        dts = [p.dts for p in container.demux(container.streams.video[0]) if p.dts is not None]
    assert all(b > a for a, b in itertools.pairwise(dts))


def test_playlist_starts_at_the_part_holding_start(
        recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    segments = media_rows(recorder, recording)
    target = segments[2]
    moment = (target.start_utc + target.end_utc) / 2
    text = requests.get(url(recorder, recording, "hls/index.m3u8"),
                        params={"start": iso_utc(moment)}, auth=AUTH, timeout=10).text
    dates = [line.split(":", 1)[1] for line in text.splitlines()
             if line.startswith("#EXT-X-PROGRAM")]
    assert dates == [iso_utc(row.start_utc) for row in segments[2:]]


def test_playlist_starting_in_the_gap_starts_at_the_next_span(
        recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    segments = media_rows(recorder, recording)
    after_gap = next(i for i, (a, b) in enumerate(itertools.pairwise(segments), start=1)
                     if a.span != b.span)
    moment = (segments[after_gap - 1].end_utc + segments[after_gap].start_utc) / 2
    text = requests.get(url(recorder, recording, "hls/index.m3u8"),
                        params={"start": iso_utc(moment)}, auth=AUTH, timeout=10).text
    assert "#EXT-X-DISCONTINUITY" not in text
    dates = [line.split(":", 1)[1] for line in text.splitlines()
             if line.startswith("#EXT-X-PROGRAM")]
    assert dates == [iso_utc(row.start_utc) for row in segments[after_gap:]]


def test_clip_starts_with_the_key_frame_at_or_before_start(
        recorded: tuple[RunningRecorder, str], tmp_path: Any) -> None:
    recorder, recording = recorded
    segments = media_rows(recorder, recording)
    start = segments[1].start_utc + 0.5
    end = segments[3].end_utc
    answer = requests.get(url(recorder, recording, "clip.mp4"), auth=AUTH, timeout=30,
                          params={"start": iso_utc(start), "end": iso_utc(end)})
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    path = tmp_path / "clip.mp4"
    path.write_bytes(answer.content)
    with av.open(str(path)) as container:
        frames = list(container.decode(container.streams.video[0]))
        assert len(container.streams.audio) == 1
    assert frames[0].key_frame
    # Media time is the recording's UTC timeline (replay.hls_media).
    # Times agree to a 90 kHz tick (11 µs): start travels as ISO 8601 to the microsecond,
    # media time is in ticks, and a frame may lie right on a boundary.
    tick = 1 / 90000
    assert segments[1].start_utc - 0.01 <= frames[0].time <= start + tick
    assert segments[3].start_utc - tick <= frames[-1].time < end


@pytest.mark.parametrize(("path", "params", "status"), [
    ("timeline.json", {"start": "yesterday"}, 400),
    ("timeline.json", {"start": "2026-12-05T00:00:00"}, 400),
    ("timeline.json", {"start": "2026-12-05T01:00:00Z", "end": "2026-12-05T00:00:00Z"}, 400),
    ("clip.mp4", {"start": "2026-12-05T00:00:00Z", "end": "2026-12-05T02:00:00Z"}, 400),
    ("clip.mp4", {"start": "2026-12-05T00:00:00Z"}, 400),
    ("hls/part/999999.m4s", {}, 404),
    ("hls/init/abc.mp4", {}, 404),
    ("hls/index.m3u8", {"start": "2099-01-01T00:00:00Z"}, 404),
])
def test_bad_requests_get_a_readable_json_error(recorded: tuple[RunningRecorder, str],
                                                path: str, params: dict[str, str],
                                                status: int) -> None:
    recorder, recording = recorded
    answer = requests.get(url(recorder, recording, path), params=params, auth=AUTH,
                          timeout=10)
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"]


@pytest.mark.parametrize("path", ["timeline.json", "hls/index.m3u8", "hls/part/1.m4s",
                                  "clip.mp4"])
def test_unknown_recording_is_404(recorded: tuple[RunningRecorder, str], path: str) -> None:
    recorder, _ = recorded
    answer = requests.get(url(recorder, "NoSuchRecording", path), auth=AUTH, timeout=10)
    assert answer.status_code == 404
    assert "NoSuchRecording" in answer.json()["error"]


@pytest.mark.parametrize("auth", [None, (ADMIN_USER, "wrong")])
def test_without_valid_credentials_the_answer_is_401(recorded: tuple[RunningRecorder, str],
                                                     auth: tuple[str, str] | None) -> None:
    recorder, recording = recorded
    answer = requests.get(url(recorder, recording, "hls/index.m3u8"), auth=auth, timeout=10)
    assert answer.status_code == 401
    challenges = answer.headers["WWW-Authenticate"]
    assert "Basic" in challenges and "Digest" in challenges


def test_digest_credentials_are_accepted(recorded: tuple[RunningRecorder, str]) -> None:
    recorder, recording = recorded
    answer = requests.get(url(recorder, recording, "timeline.json"),
                          auth=requests.auth.HTTPDigestAuth(*AUTH), timeout=10)
    assert answer.status_code == 200
