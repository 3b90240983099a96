"""StorageService semantics (ONVIF Core "Storage Configuration") on a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from onvif_recorder.domain import errors
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.errors import ConfigModify, OperationProhibited
from onvif_recorder.domain.recording import (
    Recording,
    RecordingConfiguration,
    RecordingSource,
    RecordingTarget,
)
from onvif_recorder.domain.storage import (
    StorageConfiguration,
    StorageConfigurationData,
    UserCredential,
)
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.service.storage import StorageService
from onvif_recorder.settings import Limits

S3 = StorageConfigurationData(
    type="ObjectStorageS3",
    storage_uri="https://bucket.s3.example.com/recordings",
    user=UserCredential("AKIAEXAMPLE", "secret-key"),
    region="eu-central-1",
)
AZURE = StorageConfigurationData(
    type="ObjectStorageAzure",
    storage_uri="https://account.blob.core.windows.net/container",
    user=UserCredential("ignored", "sv=2024&sig=abc"),
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[StateHolder]:
    holder = StateHolder(SqliteStore(tmp_path / "db.sqlite3"))
    yield holder
    holder.store.close()


@pytest.fixture
def service(holder: StateHolder) -> StorageService:
    return StorageService(holder, Limits(max_storage_configurations=3))


def reopened(tmp_path: Path) -> StateHolder:
    return StateHolder(SqliteStore(tmp_path / "db.sqlite3"))


def test_create_returns_fresh_tokens_and_persists(service: StorageService, tmp_path: Path) -> None:
    first = service.create(S3)
    second = service.create(AZURE)
    assert first.token != second.token
    assert service.storage_configurations() == [first, second]
    state = reopened(tmp_path).state
    assert list(state.storage.values()) == [first, second]
    assert state.storage[first.token].data.user == UserCredential("AKIAEXAMPLE", "secret-key")


def test_tokens_are_not_reused_after_delete(service: StorageService) -> None:
    first = service.create(S3)
    service.delete(first.token)
    assert service.create(S3).token != first.token


def test_unknown_token_is_no_config(service: StorageService) -> None:
    with pytest.raises(errors.NoConfig):
        service.storage_configuration("nope")
    with pytest.raises(errors.NoConfig):
        service.delete("nope")
    with pytest.raises(errors.NoConfig):
        service.set(StorageConfiguration("nope", S3))


def test_max_storage_configurations(service: StorageService) -> None:
    for _ in range(3):
        service.create(S3)
    with pytest.raises(errors.MaxStorageConfigurations) as raised:
        service.create(S3)
    assert raised.value.subcodes == ("OperationProhibited", "MaxStorageConfigurations")
    assert len(service.storage_configurations()) == 3


@pytest.mark.parametrize("data", [
    replace(S3, type=""),
    replace(S3, type="  "),
    replace(S3, storage_uri=None),
    replace(S3, storage_uri="ftp://bucket.example.com/"),
    replace(AZURE, storage_uri="not a uri"),
    replace(AZURE, storage_uri="https://"),
])
def test_invalid_data_is_refused(service: StorageService, data: StorageConfigurationData) -> None:
    with pytest.raises(errors.InvalidArgVal):
        service.create(data)
    existing = service.create(S3)
    with pytest.raises(ConfigModify) as raised:
        service.set(StorageConfiguration(existing.token, data))
    assert raised.value.subcodes == ("InvalidArgVal", "ConfigModify")
    assert service.storage_configuration(existing.token) == existing


def test_other_types_need_no_uri(service: StorageService) -> None:
    created = service.create(StorageConfigurationData(type="NFS", local_path="/mnt/nvr"))
    assert created.data.local_path == "/mnt/nvr"


def test_set_replaces_the_data(service: StorageService, tmp_path: Path) -> None:
    token = service.create(S3).token
    new = StorageConfiguration(token, replace(AZURE, region="westeurope"))
    assert service.set(new) == new
    assert service.storage_configuration(token) == new
    assert reopened(tmp_path).state.storage[token] == new


def test_set_without_password_keeps_the_stored_one(service: StorageService) -> None:
    token = service.create(S3).token
    read_back = replace(S3, user=UserCredential("AKIAEXAMPLE"), region="us-west-2")
    service.set(StorageConfiguration(token, read_back))
    stored = service.storage_configuration(token).data
    assert stored.region == "us-west-2"
    assert stored.user == UserCredential("AKIAEXAMPLE", "secret-key")


def test_set_with_another_user_or_explicit_password_replaces_it(service: StorageService) -> None:
    token = service.create(S3).token
    service.set(StorageConfiguration(token, replace(S3, user=UserCredential("OTHER"))))
    assert service.storage_configuration(token).data.user == UserCredential("OTHER")
    service.set(StorageConfiguration(token, replace(S3, user=UserCredential("OTHER", ""))))
    assert service.storage_configuration(token).data.user == UserCredential("OTHER", "")


def _recording_on(token: str) -> Recording:
    source = RecordingSource("urn:x", "Cam", "Hall", "Door", "http://192.0.2.1/")
    target = RecordingTarget(storage=token, format="MP4",
                             segment_duration=XsDuration.from_seconds(60))
    configuration = RecordingConfiguration(source, "", XsDuration.from_seconds(0), target)
    return Recording("Recording_1", configuration)


def test_delete_refuses_a_storage_a_recording_targets(
    service: StorageService, holder: StateHolder
) -> None:
    token = service.create(S3).token
    holder.commit(Changes(recordings=[_recording_on(token)]))
    with pytest.raises(OperationProhibited) as raised:
        service.delete(token)
    assert raised.value.code is errors.FaultCode.SENDER
    assert raised.value.subcodes == ("OperationProhibited",)
    holder.commit(Changes(deleted_recordings=["Recording_1"]))
    assert service.delete(token).token == token
    assert service.storage_configurations() == []
