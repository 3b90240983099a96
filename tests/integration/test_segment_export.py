"""RC 26.06 segment listing and export (§5.26-5.28, Annex C) with the real camera, moto S3
and Azurite, driven by a zeep client from the 26.06 recording.wsdl (answers validated
against the 26.06 schema) and a PullPoint (events validated against the 25.12 schema).

One recorder records the camera into three recordings for 6 s with 1 s segments:
StorageStrategy Local (MP4, target S3), Both (CMAF, target Azure) and External (MP4,
target S3). Then: Local uploaded nothing and kept its segments, External kept nothing
and uploaded; Both kept and uploaded the same bytes under the same keys. The Local
recording is listed (whole, paged, twice) and exported to S3 twice (byte-identical
objects, one event per segment with one FileProgress), to Azure by StorageToken; an
export to a store that refuses connections reports its Error, a queued one is stopped.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.storage.local import layout_for
from onvif_recorder.storage.object_key import KeyLayout, parse_key, segment_key
from onvif_recorder.upload_status import read_status
from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.event_client import Received, subscribe
from tests.integration.helpers import (
    auto_receiver_job,
    client,
    expect_fault,
    recording_configuration,
)
from tests.integration.object_checks import decoded_frames
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.object_peers import Azurite, MotoS3, StoredObject
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow
TOPIC = "tns1:Monitoring/AsynchronousOperationStatus"
RECORD_SECONDS = 6.0
LOCAL, BOTH, EXTERNAL = "site-2/local", "site-2/both", "site-2/external"


def _time() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"From": (now - timedelta(hours=1)).isoformat(),
            "Until": (now + timedelta(hours=1)).isoformat()}


def local_files(data: Path, recording: str) -> dict[str, bytes]:
    """Finished local segments of ``recording`` by local key (span ends left out)."""
    root = data / "media"
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / recording).rglob("*"))
            if p.is_file() and p.suffix in (".mp4", ".m4v", ".m4a", ".m4m")}


def exported_key(local_key: str, recording: str, layout: KeyLayout) -> str:
    parsed = parse_key(local_key, layout_for(recording))
    return segment_key(layout, parsed.time, parsed.counter, parsed.extension)


def record(recorder: RunningRecorder, camera: Camera, s3: str, azure: str) -> dict[str, str]:
    """The three recordings, recorded for RECORD_SECONDS; name -> recording token."""
    trc, _ = client(recorder, "recording", version="26.06")
    trv, _ = client(recorder, "receiver")
    recordings, jobs = {}, []
    for name, storage, fmt, strategy in (("local", s3, "MP4", "Local"),
                                         ("both", azure, "CMAF", "Both"),
                                         ("external", s3, "MP4", None)):
        target: dict[str, Any] = {"Storage": storage, "Format": fmt, "Prefix": f"site-2/{name}",
                                  "Postfix": "camera-5", "SegmentDuration": "PT1S"}
        if strategy:
            target["StorageStrategy"] = strategy
        token = trc.CreateRecording(RecordingConfiguration=recording_configuration(Target=target))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(token))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        recordings[name] = token
        jobs.append(job.JobToken)
    for job_token in jobs:
        trc.SetRecordingJobMode(JobToken=job_token, Mode="Active")
    assert wait_until(lambda: all(trc.GetRecordingJobState(JobToken=j).State == "Active"
                                  for j in jobs), 10.0)
    time.sleep(RECORD_SECONDS / 2)
    check_live_listing(trc, recorder.data_dir, recordings["local"])
    time.sleep(RECORD_SECONDS / 2)
    for job_token in jobs:
        trc.SetRecordingJobMode(JobToken=job_token, Mode="Idle")
    return recordings


def check_live_listing(trc: Any, data: Path, recording: str) -> None:
    """While recording: never the segment still growing; later only appended (Annex C)."""
    early = trc.ListRecordedSegments(Time=_time(), RecordingToken=recording).Segment
    growing = [p.relative_to(data / "media").as_posix().removesuffix(".partial")
               for p in (data / "media" / recording).rglob("*.partial")]
    assert early and len(growing) == 1
    moment = parse_key(growing[0], layout_for(recording)).time
    assert all((s.StartTime.hour, s.StartTime.minute, s.StartTime.second,
                s.StartTime.microsecond // 1000) != (moment.hour, moment.minute, moment.second,
                                                     moment.microsecond // 1000)
               for s in early)
    time.sleep(1.5)
    later = trc.ListRecordedSegments(Time=_time(), RecordingToken=recording).Segment
    assert len(later) > len(early)
    assert [(s.StartTime, s.EndTime) for s in later[:len(early)]] == [
        (s.StartTime, s.EndTime) for s in early]


def settled(data: Path) -> bool:
    """Every span closed (no segment being written, locally or in the spool) and every
    upload confirmed."""
    def done() -> bool:
        if any(data.glob("media/**/*.partial")) or any(data.glob("spool/**/*.partial")):
            return False
        status = read_status(data / "recorder.sqlite3")
        return bool(status) and all(s.pending_objects == 0 for s in status)
    return wait_until(done, 20.0, step=0.25)


def by_key(objects: list[StoredObject]) -> dict[str, StoredObject]:
    return {o.key: o for o in objects}


class Operations:
    """The AsynchronousOperationStatus events of a PullPoint, kept across pulls."""

    def __init__(self, recorder: RunningRecorder) -> None:
        self.subscription = subscribe(recorder, TOPIC)
        self.seen: list[Received] = []

    def of(self, token: str) -> list[Received]:
        """The events of one operation, up to its Deleted."""
        def mine() -> list[Received]:
            return [e for e in self.seen if e.source.get("Token") == token]
        deadline = time.monotonic() + 30.0
        while not any(e.operation == "Deleted" for e in mine()):
            assert time.monotonic() < deadline, mine()
            self.seen += self.subscription.pull()
        events = mine()
        assert events[0].operation == "Initialized" and events[-1].operation == "Deleted"
        return events


def check_upload_events(events: list[Received], uri: str, keys: list[str]) -> None:
    """One Changed per uploaded segment, each with exactly one FileProgress (§5.27)."""
    changed = events[1:-1]
    assert [e.operation for e in changed] == ["Changed"] * len(keys)
    names = []
    for n, event in enumerate(changed, 1):
        array = event.elements["FileProgressStatus"]
        files = list(array)
        assert len(files) == 1
        names.append(files[0][0].text)
        assert float(str(files[0][1].text)) == 1.0
        # progress_text writes 4 decimals: 1/9 is 0.1111
        assert float(event.data["Progress"]) == pytest.approx(n / len(keys), abs=5e-5)
    assert names == [f"{uri}/{key}" for key in keys]  # chronological: B.4 keys sort so
    assert float(events[-1].data["Progress"]) == 1.0


def test_storage_strategies_listing_and_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MotoS3() as s3, Azurite(tmp_path / "azurite") as azure, Camera() as camera, \
            engine_recorder(data) as recorder:
        tds, _ = client(recorder, "device")
        s3_token = tds.CreateStorageConfiguration(StorageConfiguration=s3.storage_configuration())
        az_token = tds.CreateStorageConfiguration(
            StorageConfiguration=azure.storage_configuration())
        recordings = record(recorder, camera, s3_token, az_token)
        assert settled(data), read_status(data / "recorder.sqlite3")
        check_strategies(data, recordings, s3, azure)
        trc, rec = client(recorder, "recording", version="26.06")
        listed = check_listing(trc, rec, recordings["local"], data)
        check_both_media_types(trc, recordings["both"], azure)
        check_exports(recorder, trc, recordings["local"], data, listed, s3, azure,
                      s3_token, az_token)
        check_failure_and_stop(recorder, trc, recordings["local"])


def check_strategies(data: Path, recordings: dict[str, str], s3: MotoS3,
                     azure: Azurite) -> None:
    local = local_files(data, recordings["local"])
    assert len(local) >= 4 and not s3.objects(LOCAL)  # Local: kept, nothing uploaded
    assert not local_files(data, recordings["external"])  # External: uploaded, not kept
    assert len(s3.objects(EXTERNAL)) >= 4
    both = local_files(data, recordings["both"])
    uploaded = by_key([o for o in azure.objects(BOTH) if not o.key.endswith("_end")])
    layout = KeyLayout("site-2/both", "camera-5")
    assert {k.rsplit(".", 1)[1] for k in both} == {"m4v", "m4a"}
    assert {exported_key(k, recordings["both"], layout) for k in both} == set(uploaded)
    for key, body in both.items():  # Both: the same bytes locally and in the store
        assert uploaded[exported_key(key, recordings["both"], layout)].body == body


def check_both_media_types(trc: Any, recording: str, azure: Azurite) -> None:
    """The listed MediaType of each segment is the Content-Type its upload carries."""
    answer = trc.ListRecordedSegments(Time=_time(), RecordingToken=recording)
    listed = answer.Segment
    assert answer.HasMoreResults is False
    uploaded = [o for o in azure.objects(BOTH) if not o.key.endswith("_end")]
    assert len(listed) == len(uploaded)
    assert sorted(s.MediaType for s in listed) == sorted(o.content_type for o in uploaded)
    assert {s.MediaType.split(";")[0] for s in listed} == {"video/mp4", "audio/mp4"}


def check_listing(trc: Any, rec: Any, recording: str, data: Path) -> list[Any]:
    span = _time()
    whole = trc.ListRecordedSegments(Time=span, RecordingToken=recording)
    validate_body(rec.last, version="26.06")
    assert whole.HasMoreResults is False
    files = local_files(data, recording)
    assert len(whole.Segment) == len(files)  # every finished segment, nothing else
    starts = [s.StartTime for s in whole.Segment]
    assert starts == sorted(starts)
    for segment, key in zip(whole.Segment, sorted(files), strict=True):
        moment = parse_key(key, layout_for(recording)).time
        assert segment.StartTime.replace(microsecond=segment.StartTime.microsecond // 1000
                                         * 1000) == datetime(
            moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
            moment.microsecond, tzinfo=UTC)  # the key's time, to its milliseconds
        assert segment.EndTime > segment.StartTime
        assert segment.MediaType.startswith('video/mp4; codecs="avc1.')
        assert "mp4a.40.2" in segment.MediaType
    for previous, following in zip(whole.Segment, whole.Segment[1:], strict=False):
        assert following.StartTime == previous.EndTime  # one span: no gap, no overlap
    paged: list[Any] = []
    start = span["From"]
    while True:
        page = trc.ListRecordedSegments(Time={"From": start, "Until": span["Until"]},
                                        RecordingToken=recording, MaxResults=2)
        validate_body(rec.last, version="26.06")
        paged += page.Segment
        if not page.HasMoreResults:
            break
        start = page.Segment[-1].EndTime.isoformat()
    assert [(s.StartTime, s.EndTime) for s in paged] == [
        (s.StartTime, s.EndTime) for s in whole.Segment]
    again = trc.ListRecordedSegments(Time=span, RecordingToken=recording)
    assert [(s.StartTime, s.EndTime, s.MediaType) for s in again.Segment] == [
        (s.StartTime, s.EndTime, s.MediaType) for s in whole.Segment]
    return list(whole.Segment)


def check_exports(recorder: RunningRecorder, trc: Any, recording: str, data: Path,
                  listed: list[Any], s3: MotoS3, azure: Azurite, s3_token: str,
                  az_token: str) -> None:
    operations = Operations(recorder)
    files = local_files(data, recording)
    layout = KeyLayout("site-2/local", "camera-5")
    keys = [exported_key(k, recording, layout) for k in sorted(files)]
    span = {"From": listed[0].StartTime.isoformat(), "Until": listed[-1].EndTime.isoformat()}
    token = trc.ExportRecordedSegments(Time=span, RecordingToken=recording, Alias="case 12")
    events = operations.of(token)
    assert all(e.data["Alias"] == "case 12" for e in events)
    check_upload_events(events, s3.storage_configuration()["StorageUri"], keys)
    first = by_key(s3.objects(LOCAL))
    assert sorted(first) == keys
    for key, (local_key, body) in zip(keys, sorted(files.items()), strict=True):
        assert first[key].body == body, local_key  # the local segment, as it is
    for obj, segment in zip([first[k] for k in keys], listed, strict=True):
        assert obj.content_type == segment.MediaType
    assert decoded_frames(first[keys[0]].body) >= 20  # one second at 25 fps
    again = trc.ExportRecordedSegments(Time=span, RecordingToken=recording)
    check_upload_events(operations.of(again), s3.storage_configuration()["StorageUri"],
                        keys)
    second = by_key(s3.objects(LOCAL))
    assert {k: o.body for k, o in second.items()} == {k: o.body for k, o in first.items()}
    override = trc.ExportRecordedSegments(Time=span, RecordingToken=recording,
                                          StorageToken=az_token, Track="Video")
    check_upload_events(operations.of(override), azure.container_uri, keys)
    assert {k: o.body for k, o in by_key(azure.objects(LOCAL)).items()} == {
        k: o.body for k, o in first.items()}


def check_failure_and_stop(recorder: RunningRecorder, trc: Any, recording: str) -> None:
    tds, _ = client(recorder, "device")
    dead = tds.CreateStorageConfiguration(StorageConfiguration={
        "type": "ObjectStorageS3", "StorageUri": "http://127.0.0.1:9/bucket",
        "User": {"UserName": "key", "Password": "secret"}})
    operations = Operations(recorder)
    span = _time()
    failing = trc.ExportRecordedSegments(Time=span, RecordingToken=recording, StorageToken=dead)
    queued = trc.ExportRecordedSegments(Time=span, RecordingToken=recording, StorageToken=dead)
    late = subscribe(recorder, TOPIC)  # a property: the running and the queued export
    initial = {(e.source["Token"], e.operation, float(e.data["Progress"]))
               for e in late.pull("PT0S")}
    assert {(failing, "Initialized", 0.0), (queued, "Initialized", 0.0)} <= initial
    trc.StopExportRecordedSegments(OperationToken=queued)
    stopped = operations.of(queued)
    assert [e.operation for e in stopped] == ["Initialized", "Deleted"]
    events = operations.of(failing)
    assert [e.operation for e in events] == ["Initialized", "Changed", "Deleted"]
    assert "Error" in events[1].elements and "FileProgressStatus" not in events[1].elements
    assert float(events[-1].data["Progress"]) == 0.0
    expect_fault(trc.StopExportRecordedSegments, OperationToken=failing,
                 chain=["Sender", "InvalidArgVal", "NoOperation"])
    running = trc.ExportRecordedSegments(Time=span, RecordingToken=recording, StorageToken=dead)
    time.sleep(0.3)  # retrying its first segment
    trc.StopExportRecordedSegments(OperationToken=running)
    ended = operations.of(running)
    assert [e.operation for e in ended] == ["Initialized", "Deleted"]
    assert float(ended[-1].data["Progress"]) == 0.0 and not ended[-1].elements
