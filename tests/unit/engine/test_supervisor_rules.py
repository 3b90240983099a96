"""Which receivers the supervisor connects (Receiver spec "Receiver modes"), pure parts."""

from __future__ import annotations

from dataclasses import replace

from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    RecordingJob,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    Receiver,
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.engine.receiver_supervisor import (
    IngestMediaFlow,
    ReceiverStates,
    connection_key,
    desired_receivers,
)
from onvif_recorder.service.state import RecorderState
from tests.flowing_media import FlowingMedia


def configuration(mode: ReceiverMode, uri: str = "rtsp://127.0.0.1/x") -> ReceiverConfiguration:
    return ReceiverConfiguration(mode, uri, StreamType.RTP_UNICAST,
                                 Transport(TransportProtocol.UDP))


def job(token: str, mode: JobMode, *receivers: str) -> RecordingJob:
    sources = tuple(JobSource(SourceReference(r)) for r in receivers)
    return RecordingJob(token, RecordingJobConfiguration("Recording_1", mode, 1, sources))


def state(receivers: dict[str, ReceiverConfiguration], *jobs: RecordingJob) -> RecorderState:
    result = RecorderState()
    result.receivers = {t: Receiver(t, c) for t, c in receivers.items()}
    result.jobs = {j.token: j for j in jobs}
    return result


def test_always_connect_is_wanted_and_never_connect_is_not() -> None:
    receivers = {"A": configuration(ReceiverMode.ALWAYS_CONNECT),
                 "N": configuration(ReceiverMode.NEVER_CONNECT)}
    assert set(desired_receivers(state(receivers, job("J", JobMode.ACTIVE, "N")))) == {"A"}


def test_auto_connect_follows_active_jobs_that_use_it() -> None:
    receivers = {"R": configuration(ReceiverMode.AUTO_CONNECT),
                 "S": configuration(ReceiverMode.AUTO_CONNECT)}
    assert desired_receivers(state(receivers)) == {}
    assert desired_receivers(state(receivers, job("J", JobMode.IDLE, "R"))) == {}
    wanted = desired_receivers(state(receivers, job("J", JobMode.ACTIVE, "R"),
                                     job("K", JobMode.IDLE, "S")))
    assert wanted == {"R": receivers["R"]}


def test_a_receiver_without_a_uri_is_never_connected() -> None:
    receivers = {"E": configuration(ReceiverMode.ALWAYS_CONNECT, uri="")}
    assert desired_receivers(state(receivers)) == {}


def test_switching_between_always_and_auto_keeps_the_connection() -> None:
    always = configuration(ReceiverMode.ALWAYS_CONNECT)
    assert connection_key(always) == connection_key(replace(always,
                                                            mode=ReceiverMode.AUTO_CONNECT))
    assert connection_key(always) != connection_key(replace(always, media_uri="rtsp://o/x"))
    tcp = replace(always, transport=Transport(TransportProtocol.RTSP))
    assert connection_key(always) != connection_key(tcp)


def test_media_flow_reports_receiver_states_and_delegates_the_rest() -> None:
    states = ReceiverStates()
    flow = IngestMediaFlow(states, FlowingMedia(failures={("J", "R", "T"): "disk full"}))
    assert flow.receiver_state("R") is ReceiverState.NOT_CONNECTED
    states.update("R", ReceiverState.CONNECTED)
    assert flow.receiver_state("R") is ReceiverState.CONNECTED
    assert flow.flowing("J", "R", "T") and flow.errors() == {("J", "R", "T"): "disk full"}
    states.retain({"S"})
    assert flow.receiver_state("R") is ReceiverState.NOT_CONNECTED
    assert not IngestMediaFlow(states).flowing("J", "R", "T")  # no recording engine yet
