"""RC §5.2: every object and its configuration survive a power cycle (``kill -9``).

The recorder runs as a real subprocess on a data dir; everything it persists is
configured through the official WSDLs, read back, the process is SIGKILLed and started
again on the same data dir, and everything is read back again and compared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep.exceptions
from zeep.helpers import serialize_object

from onvif_recorder.domain.recording import DEFAULT_TRACKS
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.settings import RecorderSettings
from tests.integration.helpers import RECEIVER_TYPE, auto_receiver_job, recording_configuration
from tests.integration.recorder_process import RecorderProcess
from tests.onvif_client import ResponseRecorder, fault_chain, onvif_service

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "Admin-Pass-1"
USERS = {  # username: (password, level)
    "admin2": ("Admin2-Pass", "Administrator"),
    "operator1": ("Operator-Pass", "Operator"),
    "viewer1": ("Viewer-Pass", "User"),
}
S3_SECRET = "s3-secret-key"
ENCRYPTION_KEY = "00112233445566778899aabbccddeeff"
ENCRYPTION_KID = "0123456789abcdef0123456789abcdef"
ENCRYPTION_KID_2 = "8f0a2c1e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"


@dataclass
class Clients:
    device: Any
    recording: Any
    receiver: Any
    raw: ResponseRecorder = field(default_factory=ResponseRecorder)


def connect(process: RecorderProcess, user: str = "admin",
            password: str = ADMIN_PASSWORD) -> Clients:
    raw = ResponseRecorder()
    device, recording, receiver = (
        onvif_service(name, process.service_url(name), username=user, password=password,
                      recorder=raw)
        for name in ("device", "recording", "receiver")
    )
    return Clients(device, recording, receiver, raw)


@pytest.fixture
def process(tmp_path: Path) -> Iterator[RecorderProcess]:
    with RecorderProcess(tmp_path / "data", admin_password=ADMIN_PASSWORD) as running:
        yield running


# --------------------------------------------------------------------------- configure


def create_storage(device: Any) -> dict[str, str]:
    s3 = device.CreateStorageConfiguration(StorageConfiguration={
        "type": "ObjectStorageS3", "Region": "eu-central-1",
        "StorageUri": "https://s3.eu-central-1.amazonaws.com/nvr-bucket",
        "User": {"UserName": "AKIAEXAMPLE", "Password": S3_SECRET},
    })
    azure = device.CreateStorageConfiguration(StorageConfiguration={
        "type": "ObjectStorageAzure",
        "StorageUri": "https://account.blob.core.windows.net/container",
        "User": {"UserName": "account", "Password": "sas-token"},
        "CertPathValidationPolicyID": "policy-1",
    })
    nfs = device.CreateStorageConfiguration(StorageConfiguration={
        "type": "NFS", "LocalPath": "/mnt/nfs", "StorageUri": "nfs://192.0.2.5/export",
    })
    return {"s3": s3, "azure": azure, "nfs": nfs}


def create_users(device: Any) -> None:
    device.CreateUsers(User=[
        {"Username": name, "Password": password, "UserLevel": level}
        for name, (password, level) in USERS.items()
    ])


def full_target(storage: str) -> dict[str, Any]:
    return {
        "Storage": storage, "Format": "MP4", "Prefix": "site-a/cam-1/", "Postfix": ".part",
        "SpanDuration": "PT1H", "SegmentDuration": "PT6S",
        "Encryption": [
            {"Mode": "CENC", "KID": ENCRYPTION_KID, "Key": ENCRYPTION_KEY,
             "Track": ["VIDEO001", "AUDIO001"]},
            {"Mode": "CENC", "KID": ENCRYPTION_KID_2, "Key": ENCRYPTION_KEY,
             "Track": ["META001"]},
        ],
    }


def create_recordings(trc: Any, s3: str) -> list[str]:
    plain = trc.CreateRecording(RecordingConfiguration=recording_configuration(
        Content="plain recording", MaximumRetentionTime="P7D"))
    targeted = trc.CreateRecording(RecordingConfiguration=recording_configuration(
        Content="to object storage", Target=full_target(s3)))
    changed = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    trc.SetRecordingConfiguration(RecordingToken=changed, RecordingConfiguration=(
        recording_configuration(Content="changed later", MaximumRetentionTime="PT36H")))
    doomed = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    trc.DeleteRecording(RecordingToken=doomed)  # its token must never come back
    tracks = [
        trc.CreateTrack(RecordingToken=plain, TrackConfiguration={
            "TrackType": "Video", "Description": "second camera angle"}),
        trc.CreateTrack(RecordingToken=plain, TrackConfiguration={
            "TrackType": "Audio", "Description": "microphone 2"}),
        trc.CreateTrack(RecordingToken=targeted, TrackConfiguration={
            "TrackType": "Metadata", "Description": "analytics"}),
    ]
    assert tracks == ["VIDEO002", "AUDIO002", "META002"]
    trc.SetTrackConfiguration(RecordingToken=targeted, TrackToken="VIDEO001",
                              TrackConfiguration={"TrackType": "Video",
                                                  "Description": "changed description"})
    return [plain, targeted, changed, doomed]


def receiver_configuration(mode: str, uri: str, stream: str,
                           transport: dict[str, Any]) -> dict[str, Any]:
    return {"Mode": mode, "MediaUri": uri,
            "StreamSetup": {"Stream": stream, "Transport": transport}}


def create_receivers(trv: Any) -> list[str]:
    configurations = [
        receiver_configuration("AlwaysConnect", "rtsp://192.0.2.10/main", "RTP-Unicast",
                               {"Protocol": "TCP"}),
        receiver_configuration("NeverConnect", "rtsp://192.0.2.11/sub", "RTP-Multicast",
                               {"Protocol": "UDP"}),
        receiver_configuration("AutoConnect", "rtsps://192.0.2.12/tunnel", "RTP-Unicast",
                               {"Protocol": "RTSP", "Tunnel": {
                                   "Protocol": "HTTP", "Tunnel": {"Protocol": "TCP"}}}),
    ]
    tokens = [trv.CreateReceiver(Configuration=c).Token for c in configurations]
    trv.SetReceiverMode(ReceiverToken=tokens[1], Mode="AutoConnect")
    trv.ConfigureReceiver(ReceiverToken=tokens[0], Configuration=receiver_configuration(
        "AlwaysConnect", "rtsp://192.0.2.10/reconfigured", "RTP-Unicast", {"Protocol": "HTTP"}))
    doomed = trv.CreateReceiver(Configuration=configurations[1]).Token
    trv.DeleteReceiver(ReceiverToken=doomed)
    return [*tokens, doomed]


def source(receiver: str, tracks: list[tuple[str, str]]) -> dict[str, Any]:
    return {"SourceToken": {"Token": receiver, "Type": RECEIVER_TYPE},
            "Tracks": [{"SourceTag": tag, "Destination": dest} for tag, dest in tracks]}


def create_jobs(trc: Any, recordings: list[str], receivers: list[str]) -> list[str]:
    plain, targeted, changed = recordings[:3]
    auto = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(plain, "Idle", 3)).JobToken
    explicit = trc.CreateRecordingJob(JobConfiguration={
        "RecordingToken": targeted, "Mode": "Active", "Priority": 10,
        "Source": [source(receivers[0], [("video", "VIDEO001"), ("audio", "AUDIO001")]),
                   source(receivers[2], [("meta", "META002")])],
    }).JobToken
    modal = trc.CreateRecordingJob(JobConfiguration={
        "RecordingToken": changed, "Mode": "Idle", "Priority": 0,
        "Source": [source(receivers[1], [])]}).JobToken
    trc.SetRecordingJobMode(JobToken=modal, Mode="Active")
    trc.SetRecordingJobMode(JobToken=auto, Mode="Active")
    doomed = trc.CreateRecordingJob(JobConfiguration={
        "RecordingToken": changed, "Mode": "Idle", "Priority": 1,
        "Source": [source(receivers[1], [])]}).JobToken
    trc.DeleteRecordingJob(JobToken=doomed)
    return [auto, explicit, modal, doomed]


@dataclass
class Configured:
    storage: dict[str, str]
    recordings: list[str]
    receivers: list[str]
    jobs: list[str]

    @property
    def tokens(self) -> set[str]:
        return {*self.storage.values(), *self.recordings, *self.receivers, *self.jobs}


def configure_everything(c: Clients) -> Configured:
    storage = create_storage(c.device)
    create_users(c.device)
    recordings = create_recordings(c.recording, storage["s3"])
    receivers = create_receivers(c.receiver)
    jobs = create_jobs(c.recording, recordings, receivers)
    return Configured(storage, recordings, receivers, jobs)


# --------------------------------------------------------------------------- read back


def plain(value: Any) -> Any:
    """zeep objects → nested dicts/lists of plain values, comparable with ==."""
    return _plain(serialize_object(value))  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def snapshot(c: Clients) -> dict[str, Any]:
    """Everything the recorder persists, as every Get* operation reports it."""
    c.raw.clear()
    recordings = plain(c.recording.GetRecordings())
    tokens = [r["RecordingToken"] for r in recordings]
    jobs = plain(c.recording.GetRecordingJobs())
    receivers = plain(c.receiver.GetReceivers())
    state = {
        "recordings": recordings,
        "recording_configurations": {t: plain(c.recording.GetRecordingConfiguration(
            RecordingToken=t)) for t in tokens},
        "track_configurations": {f"{r['RecordingToken']}/{t['TrackToken']}": plain(
            c.recording.GetTrackConfiguration(RecordingToken=r["RecordingToken"],
                                              TrackToken=t["TrackToken"]))
            for r in recordings for t in r["Tracks"]["Track"]},
        "jobs": jobs,
        "job_configurations": {j["JobToken"]: plain(c.recording.GetRecordingJobConfiguration(
            JobToken=j["JobToken"])) for j in jobs},
        "receivers": receivers,
        "auto_created": {r["Token"]: c.receiver.GetReceiverState(
            ReceiverToken=r["Token"]).AutoCreated for r in receivers},
        "users": plain(c.device.GetUsers()),
        "storage": plain(c.device.GetStorageConfigurations()),
    }
    # The exact response bytes too: durations keep their lexical form, order is stable.
    state["raw"] = [exchange.response for exchange in c.raw.exchanges]
    return state


def assert_same(before: Any, after: Any, path: str = "") -> None:
    """Field-by-field equality, failing with the path of the first difference."""
    if isinstance(before, dict) and isinstance(after, dict):
        assert list(before) == list(after), f"{path}: keys {list(before)} != {list(after)}"
        for key in before:
            assert_same(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list) and isinstance(after, list):
        assert len(before) == len(after), f"{path}: {len(before)} items != {len(after)}"
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            assert_same(old, new, f"{path}[{index}]")
    else:
        assert before == after, f"{path}: {before!r} != {after!r}"


def check_configured(state: dict[str, Any], configured: Configured) -> None:
    """The snapshot holds what was configured (so equality after restart means something)."""
    plain_rec, targeted, changed, _ = configured.recordings
    assert [r["RecordingToken"] for r in state["recordings"]] == [plain_rec, targeted, changed]
    target = state["recording_configurations"][targeted]["Target"]
    assert (target["Storage"], target["Format"], target["Prefix"], target["Postfix"]) == (
        configured.storage["s3"], "MP4", "site-a/cam-1/", ".part")
    first, second = target["Encryption"]
    assert (first["Mode"], first["KID"], first["Track"]) == (
        "CENC", ENCRYPTION_KID, ["VIDEO001", "AUDIO001"])
    assert (second["KID"], second["Track"]) == (ENCRYPTION_KID_2, ["META001"])
    assert state["recording_configurations"][changed]["Content"] == "changed later"
    descriptions = {k: v["Description"] for k, v in state["track_configurations"].items()}
    assert descriptions[f"{plain_rec}/VIDEO002"] == "second camera angle"
    assert descriptions[f"{targeted}/VIDEO001"] == "changed description"
    assert len(descriptions) == 3 + 2 + 3 + 1 + 3
    check_configured_rest(state, configured)


def check_configured_rest(state: dict[str, Any], configured: Configured) -> None:
    auto, explicit, modal, _ = configured.jobs
    assert [j["JobToken"] for j in state["jobs"]] == [auto, explicit, modal]
    assert state["job_configurations"][modal]["Mode"] == "Active"
    assert len(state["job_configurations"][explicit]["Source"]) == 2
    manual = configured.receivers[:3]
    auto_receiver = state["job_configurations"][auto]["Source"][0]["SourceToken"]["Token"]
    assert state["auto_created"] == {**dict.fromkeys(manual, False), auto_receiver: True}
    tunnel = state["receivers"][2]["Configuration"]["StreamSetup"]["Transport"]
    assert tunnel["Tunnel"]["Tunnel"]["Protocol"] == "TCP"
    assert {u["Username"]: u["UserLevel"] for u in state["users"]} == {
        "admin": "Administrator", **{name: level for name, (_, level) in USERS.items()}}
    s3 = state["storage"][0]
    assert (s3["token"], s3["Data"]["type"], s3["Data"]["Region"]) == (
        configured.storage["s3"], "ObjectStorageS3", "eu-central-1")
    assert s3["Data"]["User"]["UserName"] == "AKIAEXAMPLE"
    assert [s["Data"]["type"] for s in state["storage"]] == [
        "ObjectStorageS3", "ObjectStorageAzure", "NFS"]


# --------------------------------------------------------------------------- tests


def test_everything_survives_kill9(process: RecorderProcess) -> None:
    configured = configure_everything(connect(process))
    before = snapshot(connect(process))
    check_configured(before, configured)

    process.kill9()
    assert process.returncode == -9
    process.start(admin_password="A-Different-Pass-2")  # first-run flags must not apply

    after = snapshot(connect(process))
    assert_same({k: v for k, v in before.items() if k != "raw"},
                {k: v for k, v in after.items() if k != "raw"})
    assert before["raw"] == after["raw"]
    check_passwords_survive(process)
    check_new_tokens_are_fresh(connect(process), configured)
    process.kill9()
    check_secrets_in_the_database(process.data_dir)


def check_passwords_survive(process: RecorderProcess) -> None:
    for name, (password, _) in USERS.items():
        assert connect(process, name, password).recording.GetRecordings()
    refused = connect(process, "admin", "A-Different-Pass-2")
    with pytest.raises(zeep.exceptions.Fault) as fault:
        refused.device.GetUsers()
    assert fault_chain(fault.value) == ["Sender", "NotAuthorized"]


def check_new_tokens_are_fresh(c: Clients, configured: Configured) -> None:
    new = {
        c.recording.CreateRecording(RecordingConfiguration=recording_configuration()),
        c.receiver.CreateReceiver(Configuration=receiver_configuration(
            "NeverConnect", "rtsp://192.0.2.20/x", "RTP-Unicast", {"Protocol": "UDP"})).Token,
        c.device.CreateStorageConfiguration(StorageConfiguration={
            "type": "NFS", "LocalPath": "/mnt/other"}),
    }
    new.add(c.recording.CreateRecordingJob(JobConfiguration=auto_receiver_job(
        configured.recordings[0])).JobToken)
    assert not new & configured.tokens, "a token was handed out twice"


def check_secrets_in_the_database(data_dir: Path) -> None:
    """Secrets no Get* returns (user and storage passwords, the encryption key) are kept."""
    store = SqliteStore(RecorderSettings(data_dir=data_dir).database_path)
    try:
        state = store.load()
    finally:
        store.close()
    assert state.users["operator1"].password == "Operator-Pass"
    assert state.users["admin"].password == ADMIN_PASSWORD
    s3 = next(s for s in state.storage.values() if s.data.type == "ObjectStorageS3")
    assert s3.data.user is not None and s3.data.user.password == S3_SECRET
    keys = [e.key for r in state.recordings.values() if r.configuration.target
            for e in r.configuration.target.encryption if e.key]
    assert [k.lower() for k in keys] == [ENCRYPTION_KEY, ENCRYPTION_KEY]


# --------------------------------------------------------------------------- burst


@dataclass
class Burst:
    """Writes as fast as one client can: CreateRecording, then a job with an auto-created
    receiver on it (one transaction over jobs, receivers and counters); at the recordings
    limit, DeleteRecording the oldest (which deletes its job and receiver too)."""

    trc: Any
    created: list[str] = field(default_factory=list)  # acknowledged recordings, in order
    deleted: list[str] = field(default_factory=list)  # acknowledged deletes
    jobs: dict[str, str] = field(default_factory=dict)  # acknowledged job -> its recording
    pending_delete: str | None = None  # recording of an unacknowledged delete, if any
    error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                self._step()
        except (requests.RequestException, zeep.exceptions.TransportError):
            pass  # the recorder was killed under us
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error

    def _step(self) -> None:
        try:
            token = self.trc.CreateRecording(RecordingConfiguration=recording_configuration())
        except zeep.exceptions.Fault as fault:
            if fault_chain(fault)[-1] != "MaxRecordings":
                raise
            self._delete_oldest()
            return
        self.created.append(token)
        job = self.trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(token)).JobToken
        self.jobs[job] = token

    def _delete_oldest(self) -> None:
        oldest = next(t for t in self.created if t not in self.deleted)
        self.pending_delete = oldest
        self.trc.DeleteRecording(RecordingToken=oldest)
        self.deleted.append(oldest)
        self.pending_delete = None

    @property
    def live(self) -> set[str]:
        """Recordings acknowledged as created and not acknowledged as deleted."""
        return set(self.created) - set(self.deleted)


def run_burst_and_kill(process: RecorderProcess) -> Burst:
    burst = Burst(connect(process).recording)
    worker = threading.Thread(target=burst.run, daemon=True)
    worker.start()
    time.sleep(0.5)
    deadline = time.monotonic() + 5
    while len(burst.created) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)  # make sure the kill lands in the middle of the writes
    process.kill9()
    worker.join(10)
    assert not worker.is_alive() and burst.error is None, burst.error
    assert len(burst.created) >= 10, "the burst did not get going"
    return burst


def test_kill9_during_a_burst_of_writes_loses_nothing_acknowledged(
    process: RecorderProcess,
) -> None:
    burst = run_burst_and_kill(process)
    process.start()
    c = connect(process)
    recordings = c.recording.GetRecordings()
    present = {r.RecordingToken for r in recordings}
    must_exist = burst.live - {burst.pending_delete}
    assert must_exist <= present, f"acknowledged but lost: {sorted(must_exist - present)}"
    assert not present & set(burst.deleted), "an acknowledged delete came back"
    assert len(present - burst.live) <= 1, "more than the one unacknowledged create"
    for recording in recordings:  # no half-written recording
        tracks = [(t.TrackToken, t.Configuration.TrackType) for t in recording.Tracks.Track]
        assert tracks == [(token, kind.value) for token, kind in DEFAULT_TRACKS]
    check_jobs_after_burst(c, burst, present)


def check_jobs_after_burst(c: Clients, burst: Burst, recordings: set[str]) -> None:
    """Acknowledged jobs exist; jobs, recordings and auto-created receivers are consistent."""
    jobs = {j.JobToken: j.JobConfiguration for j in c.recording.GetRecordingJobs()}
    expected = {job for job, rec in burst.jobs.items() if rec in recordings}
    assert expected <= set(jobs), f"acknowledged jobs lost: {sorted(expected - set(jobs))}"
    assert len(set(jobs) - set(burst.jobs)) <= 1, "more than the one unacknowledged job"
    used = {source.SourceToken.Token for job in jobs.values() for source in job.Source}
    assert {job.RecordingToken for job in jobs.values()} <= recordings
    receivers = {r.Token for r in c.receiver.GetReceivers()}
    assert used <= receivers, f"jobs on missing receivers: {sorted(used - receivers)}"
    orphans = {r for r in receivers - used
               if c.receiver.GetReceiverState(ReceiverToken=r).AutoCreated}
    assert not orphans, f"auto-created receivers without a job: {sorted(orphans)}"
