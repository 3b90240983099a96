"""Service semantics without SOAP: recordings, tracks, jobs and receivers over a real
SQLite store (RC §5.4-5.19)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import ZERO, XsDuration
from onvif_recorder.domain.job import JobMode, JobSource, RecordingJobConfiguration, SourceReference
from onvif_recorder.domain.recording import (
    AsymmetricEncryption,
    RecordingConfiguration,
    RecordingEncryption,
    RecordingSource,
    RecordingTarget,
)
from onvif_recorder.domain.storage import StorageConfiguration, StorageConfigurationData
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.jobs import JobService
from onvif_recorder.service.media_flow import NoMediaFlow
from onvif_recorder.service.recordings import RecordingService
from onvif_recorder.service.state import Changes, RecorderState, StateHolder
from onvif_recorder.settings import Limits

SOURCE = RecordingSource("urn:x", "cam", "hall", "door", "http://192.0.2.1/")
CONFIG = RecordingConfiguration(SOURCE, "content", ZERO)


class FailingStore(SqliteStore):
    """A real store whose commits fail, as a full disk would make them."""

    def commit(self, changes: Changes) -> None:
        raise OSError("disk full")


@pytest.fixture
def holder(tmp_path: Path) -> StateHolder:
    return StateHolder(SqliteStore(tmp_path / "db.sqlite3"))


def services(holder: StateHolder) -> tuple[RecordingService, JobService]:
    limits = Limits()
    return RecordingService(holder, limits), JobService(holder, limits, NoMediaFlow())


def auto_job(recording: str) -> RecordingJobConfiguration:
    source = JobSource(SourceReference(""), auto_create_receiver=True)
    return RecordingJobConfiguration(recording, JobMode.IDLE, 1, (source,))


def test_failed_write_changes_nothing(tmp_path: Path) -> None:
    holder = StateHolder(FailingStore(tmp_path / "db.sqlite3"))
    recordings, _ = services(holder)
    with pytest.raises(OSError):
        recordings.create_recording(CONFIG)
    assert holder.state == RecorderState()


def test_tokens_are_never_reused(holder: StateHolder) -> None:
    recordings, _ = services(holder)
    first = recordings.create_recording(CONFIG).token
    recordings.delete_recording(first)
    assert recordings.create_recording(CONFIG).token != first


def test_delete_recording_cascades_to_jobs_and_auto_receivers(holder: StateHolder) -> None:
    recordings, jobs = services(holder)
    token = recordings.create_recording(CONFIG).token
    job = jobs.create_job(auto_job(token))
    assert len(holder.state.receivers) == 1
    recordings.delete_recording(token)
    assert job.token not in holder.state.jobs and not holder.state.receivers


def test_target_rules(holder: StateHolder) -> None:
    recordings, _ = services(holder)
    storage = StorageConfiguration(
        "S3", StorageConfigurationData("ObjectStorageS3", storage_uri="http://s3")
    )
    holder.commit(Changes(storage=[storage]))
    target = RecordingTarget("S3", "MP4", XsDuration.parse("PT10S"))
    recordings.create_recording(RecordingConfiguration(SOURCE, "", ZERO, target))
    symmetric = RecordingEncryption("CENC", kid="0123456789abcdef0123456789abcdef",
                                    key="00112233445566778899aabbccddeeff")
    both = RecordingEncryption("CENC", key="00ff", asymmetric=AsymmetricEncryption(("cert",)))
    with pytest.raises(errors.AmbiguousConfiguration):
        recordings.create_recording(
            RecordingConfiguration(
                SOURCE,
                "",
                ZERO,
                RecordingTarget("S3", "MP4", target.segment_duration, encryption=(both,)),
            )
        )
    recordings.create_recording(
        RecordingConfiguration(
            SOURCE,
            "",
            ZERO,
            RecordingTarget("S3", "CMAF", target.segment_duration, encryption=(symmetric,)),
        )
    )
    for bad in (
        RecordingTarget("nope", "MP4", target.segment_duration),
        RecordingTarget("S3", "AVI", target.segment_duration),
        RecordingTarget("S3", "MP4", XsDuration.parse("PT0S")),
        RecordingTarget("S3", "MP4", target.segment_duration,
                        encryption=(RecordingEncryption("CENC", kid="k", key="00ff"),)),
    ):
        with pytest.raises(errors.BadConfiguration):
            recordings.create_recording(RecordingConfiguration(SOURCE, "", ZERO, bad))


def test_negative_retention_is_refused(holder: StateHolder) -> None:
    recordings, _ = services(holder)
    with pytest.raises(errors.BadConfiguration):
        recordings.create_recording(RecordingConfiguration(SOURCE, "", XsDuration.parse("-PT1S")))
    assert XsDuration.parse("P0D").seconds == Decimal(0)


def test_max_receivers_applies_to_auto_creation(tmp_path: Path) -> None:
    holder = StateHolder(SqliteStore(tmp_path / "db.sqlite3"))
    limits = Limits(max_receivers=1)
    recordings = RecordingService(holder, limits)
    jobs = JobService(holder, limits, NoMediaFlow())
    token = recordings.create_recording(CONFIG).token
    jobs.create_job(auto_job(token))
    with pytest.raises(errors.MaxReceivers):
        jobs.create_job(auto_job(token))
    assert len(holder.state.jobs) == 1
