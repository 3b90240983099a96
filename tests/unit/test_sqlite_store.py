"""persistence.sqlite_store: what is committed is what a fresh store loads (RC §5.2)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    RECEIVER_SOURCE_TYPE,
    JobMode,
    JobSource,
    JobTrack,
    RecordingJob,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    EMPTY_RECEIVER_CONFIGURATION,
    Receiver,
    ReceiverConfiguration,
    ReceiverMode,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import (
    DEFAULT_TRACKS,
    AsymmetricEncryption,
    Recording,
    RecordingConfiguration,
    RecordingEncryption,
    RecordingSource,
    RecordingTarget,
    SegmentDurationOverride,
    Track,
    TrackConfiguration,
)
from onvif_recorder.domain.storage import (
    ConfigurationRenewal,
    StorageConfiguration,
    StorageConfigurationData,
    UserCredential,
)
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.persistence.schema import SCHEMA_VERSION
from onvif_recorder.persistence.sqlite_store import SchemaTooNew, SqliteStore
from onvif_recorder.service.state import Changes, RecorderState, StateHolder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "recorder.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(db)
    yield opened
    opened.close()


def reload(db: Path) -> RecorderState:
    fresh = SqliteStore(db)
    try:
        return fresh.load()
    finally:
        fresh.close()


def recording(token: str, *, target: bool = False, content: str = "content") -> Recording:
    configuration = RecordingConfiguration(
        source=RecordingSource("urn:uuid:1", "Cam", "Hall", "Entrance", "http://192.0.2.1/"),
        content=content,
        maximum_retention_time=XsDuration.parse("PT1.25S"),
        target=full_target() if target else None,
    )
    tracks = tuple(Track(t, TrackConfiguration(kind, "")) for t, kind in DEFAULT_TRACKS)
    return Recording(token, configuration, tracks)


def full_target() -> RecordingTarget:
    return RecordingTarget(
        storage="Storage_1",
        format="MP4",
        segment_duration=XsDuration.parse("PT10S"),
        prefix="pre/",
        postfix="/post",
        span_duration=XsDuration.parse("PT1H"),
        encryption=(
            RecordingEncryption("CENC", kid="kid", key="a1b2", tracks=("VIDEO001",)),
            RecordingEncryption(
                "CBCS", asymmetric=AsymmetricEncryption(("c1", "c2"), XsDuration.parse("P1D"))
            ),
        ),
        segment_duration_override=SegmentDurationOverride(
            XsDuration.parse("PT0.5S"), XsDuration.parse("PT2M")
        ),
    )


def receiver(token: str, mode: ReceiverMode = ReceiverMode.AUTO_CONNECT) -> Receiver:
    transport = Transport(TransportProtocol.RTSP, Transport(TransportProtocol.HTTP))
    configuration = ReceiverConfiguration(
        mode, f"rtsp://192.0.2.1/{token}", StreamType.RTP_MULTICAST, transport
    )
    return Receiver(token, configuration)


def job(token: str, recording_token: str, receiver_token: str) -> RecordingJob:
    sources = (
        JobSource(SourceReference(receiver_token, RECEIVER_SOURCE_TYPE),
                  (JobTrack("video", "VIDEO001"), JobTrack("audio", "AUDIO001"))),
        JobSource(SourceReference("Receiver_auto")),
    )
    return RecordingJob(
        token, RecordingJobConfiguration(recording_token, JobMode.ACTIVE, 3, sources)
    )


def storage(token: str) -> StorageConfiguration:
    data = StorageConfigurationData(
        type="ObjectStorageS3",
        storage_uri="https://s3.example/bucket",
        user=UserCredential("AKIA", "secret"),
        region="eu-central-1",
        cert_path_validation_policy_id="policy-1",
        configuration_renewal=ConfigurationRenewal("https://r/", "https://a/", "p", None),
    )
    return StorageConfiguration(token, data)


def one_of_each() -> Changes:
    return Changes(
        recordings=[recording("Recording_1", target=True), recording("Recording_2")],
        jobs=[job("RecordingJob_1", "Recording_1", "Receiver_1")],
        receivers=[
            receiver("Receiver_1"),
            Receiver("Receiver_auto", EMPTY_RECEIVER_CONFIGURATION, auto_created=True),
        ],
        users=[User("admin", "pw", UserLevel.ADMINISTRATOR), User("op", "pw2", UserLevel.OPERATOR),
               User("user", "pw3", UserLevel.USER)],
        storage=[storage("Storage_1"),
                 StorageConfiguration("Storage_2", StorageConfigurationData("NFS", "/mnt/x"))],
        counters={"recording": 2, "job": 1, "receiver": 7, "storage": 2},
    )


def expected_state(changes: Changes) -> RecorderState:
    state = RecorderState()
    state.apply(changes)
    return state


def test_new_database_is_empty(db: Path, store: SqliteStore) -> None:
    assert store.load() == RecorderState()
    assert reload(db) == RecorderState()


def test_round_trip_of_every_domain_type(db: Path, store: SqliteStore) -> None:
    changes = one_of_each()
    store.commit(changes)
    assert reload(db) == expected_state(changes)
    assert store.load() == expected_state(changes)


def test_updates_replace_the_document(db: Path, store: SqliteStore) -> None:
    store.commit(one_of_each())
    renamed = recording("Recording_2", content="changed")
    store.commit(Changes(recordings=[renamed], users=[User("op", "new", UserLevel.USER)]))
    loaded = reload(db)
    assert loaded.recordings["Recording_2"] == renamed
    assert loaded.users["op"] == User("op", "new", UserLevel.USER)


def test_deletion(db: Path, store: SqliteStore) -> None:
    store.commit(one_of_each())
    store.commit(Changes(
        deleted_recordings=["Recording_1"], deleted_jobs=["RecordingJob_1"],
        deleted_receivers=["Receiver_auto"], deleted_users=["op"], deleted_storage=["Storage_2"],
    ))
    loaded = reload(db)
    assert list(loaded.recordings) == ["Recording_2"]
    assert loaded.jobs == {}
    assert list(loaded.receivers) == ["Receiver_1"]
    assert list(loaded.users) == ["admin", "user"]
    assert list(loaded.storage) == ["Storage_1"]


def test_deleting_an_unknown_token_is_harmless(db: Path, store: SqliteStore) -> None:
    store.commit(one_of_each())
    store.commit(Changes(deleted_recordings=["nope"], deleted_users=["nobody"]))
    assert reload(db) == expected_state(one_of_each())


def test_creation_order_is_preserved_across_updates(db: Path, store: SqliteStore) -> None:
    tokens = ["Recording_9", "Recording_1", "Recording_5", "Recording_10"]
    for token in tokens:
        store.commit(Changes(recordings=[recording(token)]))
    # Updating the first one keeps its place; a delete and re-create moves it to the end.
    store.commit(Changes(recordings=[recording("Recording_9", content="updated")]))
    assert list(reload(db).recordings) == tokens
    store.commit(Changes(deleted_recordings=["Recording_1"]))
    store.commit(Changes(recordings=[recording("Recording_1")]))
    assert list(reload(db).recordings) == ["Recording_9", "Recording_5", "Recording_10",
                                           "Recording_1"]
    assert reload(db).recordings["Recording_9"].configuration.content == "updated"


def test_in_memory_order_matches_the_reloaded_order(db: Path, store: SqliteStore) -> None:
    holder = StateHolder(store)
    for token in ("B", "A", "C"):
        holder.commit(Changes(receivers=[receiver(token)]))
    holder.commit(Changes(receivers=[receiver("B", ReceiverMode.NEVER_CONNECT)]))
    assert reload(db) == holder.state
    assert list(reload(db).receivers) == ["B", "A", "C"]


def test_counters_persist_and_only_named_ones_change(db: Path, store: SqliteStore) -> None:
    store.commit(Changes(counters={"recording": 1, "job": 4}))
    store.commit(Changes(counters={"recording": 2}))
    assert reload(db).counters == {"recording": 2, "job": 4}


def test_next_token_is_never_reused_after_reload(db: Path, store: SqliteStore) -> None:
    holder = StateHolder(store)
    for _ in range(3):
        changes = Changes()
        token = holder.next_token("recording", changes, "Recording_")
        changes.recordings.append(recording(token))
        holder.commit(changes)
    holder.commit(Changes(deleted_recordings=["Recording_3"]))
    store.close()
    again = StateHolder(SqliteStore(db))
    try:
        assert again.next_token("recording", Changes(), "Recording_") == "Recording_4"
    finally:
        again.store.close()


def unserialisable_receiver() -> Receiver:
    """A receiver whose document json cannot encode: the store fails after other writes."""
    broken = replace(receiver("Receiver_bad").configuration, media_uri=cast(str, b"\x00bytes"))
    return Receiver("Receiver_bad", broken)


def test_a_failing_commit_leaves_the_previous_state(db: Path, store: SqliteStore) -> None:
    store.commit(one_of_each())
    # Recordings, jobs are written before receivers: the failure comes midway.
    failing = Changes(
        recordings=[recording("Recording_new"), recording("Recording_1", content="lost")],
        deleted_recordings=["Recording_2"],
        jobs=[job("RecordingJob_2", "Recording_new", "Receiver_1")],
        receivers=[unserialisable_receiver()],
        counters={"recording": 99},
    )
    with pytest.raises(TypeError):
        store.commit(failing)
    assert reload(db) == expected_state(one_of_each())
    # The transaction was rolled back, not left open: the same store commits again.
    store.commit(Changes(counters={"job": 5}))
    assert reload(db).counters["job"] == 5
    assert store.load().recordings == expected_state(one_of_each()).recordings


def test_state_holder_applies_nothing_when_the_commit_fails(db: Path, store: SqliteStore) -> None:
    holder = StateHolder(store)
    holder.commit(one_of_each())
    before = expected_state(one_of_each())
    with pytest.raises(TypeError):
        holder.commit(Changes(recordings=[recording("Recording_x")],
                              receivers=[unserialisable_receiver()]))
    assert holder.state == before
    assert reload(db) == before


def test_a_commit_on_a_closed_connection_changes_nothing(db: Path) -> None:
    first = SqliteStore(db)
    first.commit(one_of_each())
    first.close()
    with pytest.raises(sqlite3.ProgrammingError):
        first.commit(Changes(deleted_recordings=["Recording_1"], counters={"recording": 50}))
    assert reload(db) == expected_state(one_of_each())


def test_wal_and_full_synchronous(store: SqliteStore) -> None:
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_schema_version_is_set(db: Path, store: SqliteStore) -> None:
    assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master "
                                                  "WHERE type = 'table'")}
    raw.close()
    assert {"recordings", "jobs", "receivers", "users", "storage", "counters"} <= tables


def test_reopening_does_not_migrate_again(db: Path, store: SqliteStore) -> None:
    store.commit(one_of_each())
    store.close()
    for _ in range(2):
        assert reload(db) == expected_state(one_of_each())


def test_newer_schema_is_refused(db: Path, store: SqliteStore) -> None:
    store.commit(one_of_each())
    store.connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    store.close()
    with pytest.raises(SchemaTooNew):
        SqliteStore(db)
    with sqlite3.connect(db) as raw:  # refused, not modified
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert raw.execute("SELECT COUNT(*) FROM recordings").fetchone()[0] == 2
    raw.close()
