"""Recording to object storage (RC Annex B) from the real camera to moto S3 and Azurite.

Driven over SOAP like a client would: CreateStorageConfiguration, CreateRecording with
a Target (MP4 and CMAF recordings at once, SegmentDuration PT5S), a job with
AutoCreateReceiver, ConfigureReceiver with the camera's /av mount, SetRecordingJobMode
Active; after ~20 s Idle, then the spool must drain. Every object is checked: key
(regex from the B.4 ABNF, counters from 0, span end), content type with codecs,
B.9 attributes, no time gap, decodes with PyAV, SeekTable offsets on ``moof`` boxes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from onvif_recorder.mp4.inspect import find, read_boxes
from onvif_recorder.storage.object_key import KeyLayout
from onvif_recorder.upload_status import read_status
from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.object_checks import check_span, duration_seconds, spans
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.object_peers import Azurite, MotoS3, StoredObject

pytestmark = pytest.mark.slow
SOURCE = "urn:uuid:2c4c2d16-1b3c-4a49-9b8e-000000000001"
RECORD_SECONDS = 20.0
FPS = 25


def layout(fmt: str) -> KeyLayout:
    return KeyLayout(prefix=f"site-2/{fmt.lower()}", postfix="camera-5")


@contextmanager
def recording_jobs(recorder: RunningRecorder, storage: dict[str, Any], camera: Camera,
                   formats: tuple[str, ...] = ("MP4", "CMAF"),
                   encryption: list[dict[str, Any]] | None = None) -> Iterator[list[str]]:
    """One recording per format to ``storage``, recording while inside; yields job tokens."""
    tds, _ = client(recorder, "device")
    trc, _ = client(recorder, "recording")
    trv, _ = client(recorder, "receiver")
    token = tds.CreateStorageConfiguration(StorageConfiguration=storage)
    jobs = []
    for fmt in formats:
        target = {"Storage": token, "Format": fmt, "Prefix": layout(fmt).prefix,
                  "Postfix": layout(fmt).postfix, "SegmentDuration": "PT5S",
                  "Encryption": encryption or []}
        recording = trc.CreateRecording(
            RecordingConfiguration=recording_configuration(Target=target))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/av"))
        jobs.append(job.JobToken)
    for job_token in jobs:
        trc.SetRecordingJobMode(JobToken=job_token, Mode="Active")
    assert wait_until(lambda: all(trc.GetRecordingJobState(JobToken=j).State == "Active"
                                  for j in jobs), 10.0)
    yield jobs
    for job_token in jobs:
        trc.SetRecordingJobMode(JobToken=job_token, Mode="Idle")


def drained(data: Path, timeout: float) -> bool:
    """No segment being built (spans closed) and nothing pending in the spool."""
    def empty() -> bool:
        if list((data / "spool").rglob("*.partial")):
            return False
        status = read_status(data / "recorder.sqlite3")
        return bool(status) and all(s.pending_objects == 0 for s in status)
    return wait_until(empty, timeout, step=0.25)


def check_store(objects: list[StoredObject], s3: bool, seconds: float,
                key: bytes | None = None) -> None:
    for fmt, extensions in (("MP4", {"mp4"}), ("CMAF", {"m4v", "m4a"})):
        mine = [o for o in objects if o.key.startswith(layout(fmt).prefix + "/")]
        found = spans(mine, layout(fmt))
        assert {span.extension for span in found} == extensions, [o.key for o in mine]
        for span in found:
            frames = check_span(span, SOURCE, s3, content_key=key)
            segments = len(span.segments)
            assert segments >= 3, [k.counter for k, _ in span.segments]
            if span.extension in ("mp4", "m4v"):
                assert frames >= (seconds - 4) * FPS, frames


def test_mp4_and_cmaf_to_s3(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera, engine_recorder(data) as recorder:
        with recording_jobs(recorder, s3.storage_configuration(), camera):
            time.sleep(RECORD_SECONDS)
        assert drained(data, 20.0), read_status(data / "recorder.sqlite3")
        check_store(s3.objects(), s3=True, seconds=RECORD_SECONDS)
    assert not [p for p in (data / "spool").rglob("*") if p.is_file()]


@pytest.mark.parametrize("mode", ["CENC", "CBCS"])
def test_encrypted_mp4_and_cmaf_to_s3(tmp_path: Path, mode: str) -> None:
    """RC B.8: encrypted segments are uploaded (with the B.9 attributes) and decrypt."""
    data = tmp_path / "data"
    key, kid = "00112233445566778899aabbccddeeff", "0123456789abcdef0123456789abcdef"
    with MotoS3() as s3, Camera() as camera, engine_recorder(data) as recorder:
        with recording_jobs(recorder, s3.storage_configuration(), camera,
                            encryption=[{"Mode": mode, "KID": kid, "Key": key}]):
            time.sleep(RECORD_SECONDS)
        assert drained(data, 20.0), read_status(data / "recorder.sqlite3")
        objects = s3.objects()
        check_store(objects, s3=True, seconds=RECORD_SECONDS, key=bytes.fromhex(key))
    media = [obj for obj in objects if obj.body[4:8] == b"ftyp"]
    assert len(media) >= 6
    for obj in media:  # every uploaded segment is encrypted: no clear copy went out
        moov = find(read_boxes(obj.body), "moov")
        assert moov is not None and len(moov.find_all("pssh")) == 1, obj.key
        assert moov.find_all("pssh")[0].payload[-20:-4] == bytes.fromhex(kid)
        entries = moov.find_all("trak/mdia/minf/stbl/stsd")
        assert {e.payload[12:16] for e in entries} <= {b"encv", b"enca", b"encm"}, obj.key
        assert schemes(obj.body) == {mode.lower().encode()}, obj.key


def schemes(body: bytes) -> set[bytes]:
    """scheme_type of every ``schm`` (after its type, version and flags)."""
    found, at = set(), body.find(b"schm")
    while at >= 0:
        found.add(body[at + 8:at + 12])
        at = body.find(b"schm", at + 4)
    return found


def test_mp4_and_cmaf_to_azurite(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Azurite(tmp_path / "azurite") as azure, Camera() as camera, \
            engine_recorder(data) as recorder:
        with recording_jobs(recorder, azure.storage_configuration(), camera):
            time.sleep(RECORD_SECONDS)
        assert drained(data, 20.0), read_status(data / "recorder.sqlite3")
        check_store(azure.objects(), s3=False, seconds=RECORD_SECONDS)


def test_encrypted_mp4_and_cmaf_to_azurite(tmp_path: Path) -> None:
    """RC B.8 on Azure Blob: CBCS segments uploaded (B.9 attributes) decrypt."""
    data = tmp_path / "data"
    key, kid = "00112233445566778899aabbccddeeff", "0123456789abcdef0123456789abcdef"
    with Azurite(tmp_path / "azurite") as azure, Camera() as camera, \
            engine_recorder(data) as recorder:
        with recording_jobs(recorder, azure.storage_configuration(), camera,
                            encryption=[{"Mode": "CBCS", "KID": kid, "Key": key}]):
            time.sleep(RECORD_SECONDS)
        assert drained(data, 20.0), read_status(data / "recorder.sqlite3")
        objects = azure.objects()
        check_store(objects, s3=False, seconds=RECORD_SECONDS, key=bytes.fromhex(key))
    media = [obj for obj in objects if obj.body[4:8] == b"ftyp"]
    assert len(media) >= 6
    assert all(schemes(obj.body) == {b"cbcs"} for obj in media)


def test_override_segment_duration_live(tmp_path: Path) -> None:
    """RC §5.24: PT5S segments, PT1S for 4 s after the override, then PT5S again."""
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera, engine_recorder(data) as recorder:
        trc, _ = client(recorder, "recording")
        with recording_jobs(recorder, s3.storage_configuration(), camera, ("MP4",)):
            time.sleep(2.5)
            recording = trc.GetRecordings()[0].RecordingToken
            trc.OverrideSegmentDuration(TargetSegmentDuration="PT1S", Expiration="PT4S",
                                        RecordingConfiguration=recording)
            time.sleep(11.0)
        assert drained(data, 20.0), read_status(data / "recorder.sqlite3")
        (span,) = spans(s3.objects(), layout("MP4"))
    check_span(span, SOURCE, s3=True)
    lengths = [duration_seconds(obj.metadata["duration"]) for _, obj in span.segments]
    # the last segment is cut by SetRecordingJobMode Idle: it says nothing here
    short = [i for i, length in enumerate(lengths[:-1]) if length <= 1.1]
    assert lengths[0] <= 4.0, lengths  # the segment open at the request was closed early
    assert len(short) >= 3, lengths  # 1 s segments while the override lasted
    after = lengths[short[-1] + 1:]
    assert after and after[0] >= 4.5, lengths  # back to PT5S once it expired
