"""The Replay Control service through a zeep client of the official replay.wsdl, every
answer validated against the official XSD (TS-REPLAY REPLAY-1-1-1, 1-1-2, 1-2-1, 4-1-1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import RunningRecorder, start_recorder
from tests.integration.helpers import client, expect_fault, recording_configuration
from tests.integration.test_device_service import legacy_extension
from tests.onvif_client import ResponseRecorder, validate_body

TRP = "http://www.onvif.org/ver10/replay/wsdl"
TT = "http://www.onvif.org/ver10/schema"


@pytest.fixture
def trp(recorder: RunningRecorder) -> tuple[Any, ResponseRecorder]:
    return client(recorder, "replay")


def setup(protocol: str = "RTSP", stream: str = "RTP-Unicast") -> dict[str, Any]:
    return {"Stream": stream, "Transport": {"Protocol": protocol}}


def test_capabilities_are_pre_auth_and_agree_with_get_services(recorder: RunningRecorder
                                                               ) -> None:
    anonymous, rec = client(recorder, "replay", user="", password="")
    caps = anonymous.GetServiceCapabilities()
    validate_body(rec.last)
    device, device_rec = client(recorder, "device")
    [entry] = [s for s in device.GetServices(IncludeCapability=True) if s.Namespace == TRP]
    validate_body(device_rec.last)
    assert entry.XAddr == recorder.service_url("replay")
    [listed] = etree.fromstring(device_rec.last).iter(f"{{{TRP}}}Capabilities")
    assert listed.get("RTP_RTSP_TCP") == "true" and caps.RTP_RTSP_TCP is True
    assert listed.get("ReversePlayback") == str(caps.ReversePlayback).lower()
    low, high = (float(v) for v in str(listed.get("SessionTimeoutRange")).split())
    assert [low, high] == list(caps.SessionTimeoutRange)
    assert low <= 60 <= high


def test_get_capabilities_names_the_replay_service(recorder: RunningRecorder) -> None:
    device, rec = client(recorder, "device")
    device.GetCapabilities(Category="All")
    validate_body(rec.last)
    assert legacy_extension(rec.last, "Replay") == {"XAddr": recorder.service_url("replay")}


def test_replay_uri_names_the_rtsp_server(recorder: RunningRecorder,
                                          trp: tuple[Any, ResponseRecorder]) -> None:
    trc, _ = client(recorder, "recording")
    token = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    service, rec = trp
    for protocol in ("RTSP", "TCP", "UDP", "HTTP"):
        uri = service.GetReplayUri(StreamSetup=setup(protocol), RecordingToken=token)
        validate_body(rec.last)
        port = recorder.services.replay.address.port
        assert uri == f"rtsp://127.0.0.1:{port}/replay/{token}"


def test_replay_uri_faults(recorder: RunningRecorder, trp: tuple[Any, ResponseRecorder]) -> None:
    service, rec = trp
    expect_fault(service.GetReplayUri, StreamSetup=setup(), RecordingToken="nothing",
                 chain=["Sender", "InvalidArgVal", "NoRecording"], rec=rec)
    trc, _ = client(recorder, "recording")
    token = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    tunnelled = {"Stream": "RTP-Unicast",
                 "Transport": {"Protocol": "RTSP", "Tunnel": {"Protocol": "HTTP"}}}
    for bad in (setup(stream="RTP-Multicast"), tunnelled):
        expect_fault(service.GetReplayUri, StreamSetup=bad, RecordingToken=token,
                     chain=["Sender", "InvalidArgVal", "InvalidStreamSetup"], rec=rec)


@pytest.mark.parametrize("edge", [0, 1])
def test_session_timeout_reads_back_and_persists(tmp_path: Path, edge: int) -> None:
    """REPLAY-4-1-1: the first or last value of SessionTimeoutRange reads back; it
    survives a restart and is what SETUP answers with."""
    data = tmp_path / "data"
    running, thread = start_recorder(data)
    try:
        service, rec = client(running, "replay")
        value = int(service.GetServiceCapabilities().SessionTimeoutRange[edge])
        assert service.GetReplayConfiguration().SessionTimeout.total_seconds() == 60
        service.SetReplayConfiguration(Configuration={"SessionTimeout": f"PT{value}S"})
        validate_body(rec.last)
        answer = service.GetReplayConfiguration()
        validate_body(rec.last)
        assert answer.SessionTimeout.total_seconds() == value
    finally:
        thread.stop()
    running, thread = start_recorder(data)
    try:
        service, _ = client(running, "replay")
        assert service.GetReplayConfiguration().SessionTimeout.total_seconds() == value
        assert running.services.replay.session_timeout_seconds == value
    finally:
        thread.stop()


def test_session_timeout_outside_the_range_is_config_modify(
        trp: tuple[Any, ResponseRecorder]) -> None:
    service, rec = trp
    for bad in ("PT1S", "PT1H", "PT10.5S"):
        expect_fault(service.SetReplayConfiguration, Configuration={"SessionTimeout": bad},
                     chain=["Sender", "InvalidArgVal", "ConfigModify"], rec=rec)
    assert service.GetReplayConfiguration().SessionTimeout.total_seconds() == 60
