"""Receiver service configuration (ONVIF Receiver spec; RECEIVER-x-y-z checks)."""

from __future__ import annotations

from typing import Any

import pytest

from onvif_recorder.settings import Limits
from tests.conftest import RunningRecorder, start_recorder
from tests.integration.helpers import RECEIVER_TYPE, client, expect_fault
from tests.onvif_client import ResponseRecorder, validate_body

UNKNOWN_TOKEN = ["Sender", "InvalidArgVal", "UnknownToken"]
BAD_CONFIGURATION = ["Sender", "InvalidArgVal", "BadConfiguration"]


def receiver_configuration(**overrides: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = {
        "Mode": "NeverConnect",
        "MediaUri": "rtsp://192.0.2.20:554/stream1",
        "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "UDP"}},
    }
    configuration.update(overrides)
    return configuration


@pytest.fixture
def trv(recorder: RunningRecorder) -> tuple[Any, ResponseRecorder]:
    return client(recorder, "receiver")


def test_capabilities_satisfy_receiver_1_1_1(trv: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trv
    caps = svc.GetServiceCapabilities()
    validate_body(rec.last)
    assert caps.SupportedReceivers >= 1 and caps.MaximumRTSPURILength >= 128
    # README "Ingest": multicast and interleaved RTSP work; RFC 4571 RTP/TCP is not offered.
    assert (caps.RTP_Multicast, caps.RTP_TCP, caps.RTP_RTSP_TCP) == (True, False, True)


def test_create_get_configure_delete(trv: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trv
    created = svc.CreateReceiver(Configuration=receiver_configuration())
    validate_body(rec.last)
    token = created.Token
    uri = "rtsp://192.0.2.21:8554/" + "p" * 104  # 128 characters (MaximumRTSPURILength)
    tunnel = {"Protocol": "RTSP", "Tunnel": {"Protocol": "HTTP"}}
    svc.ConfigureReceiver(
        ReceiverToken=token,
        Configuration=receiver_configuration(
            Mode="AlwaysConnect",
            MediaUri=uri,
            StreamSetup={"Stream": "RTP-Unicast", "Transport": tunnel},
        ),
    )
    validate_body(rec.last)
    receiver = svc.GetReceiver(ReceiverToken=token)
    validate_body(rec.last)
    configuration = receiver.Configuration
    assert (configuration.Mode, configuration.MediaUri) == ("AlwaysConnect", uri)
    assert configuration.StreamSetup.Transport.Protocol == "RTSP"
    assert configuration.StreamSetup.Transport.Tunnel.Protocol == "HTTP"
    svc.SetReceiverMode(ReceiverToken=token, Mode="NeverConnect")
    validate_body(rec.last)
    assert svc.GetReceiver(ReceiverToken=token).Configuration.Mode == "NeverConnect"
    state = svc.GetReceiverState(ReceiverToken=token)
    validate_body(rec.last)
    assert (state.State, state.AutoCreated) == ("NotConnected", False)
    svc.DeleteReceiver(ReceiverToken=token)
    validate_body(rec.last)
    assert token not in [r.Token for r in svc.GetReceivers()]


def test_invalid_tokens(trv: tuple[Any, ResponseRecorder]) -> None:
    """RECEIVER-2-1-3/5/10/13/19: every operation on an unknown token."""
    svc, rec = trv
    for call, extra in (
        (svc.GetReceiver, {}),
        (svc.DeleteReceiver, {}),
        (svc.GetReceiverState, {}),
        (svc.SetReceiverMode, {"Mode": "AutoConnect"}),
        (svc.ConfigureReceiver, {"Configuration": receiver_configuration()}),
    ):
        expect_fault(call, ReceiverToken="ghost", chain=UNKNOWN_TOKEN, rec=rec, **extra)


def test_bad_configurations(trv: tuple[Any, ResponseRecorder]) -> None:
    svc, rec = trv
    for configuration in (
        receiver_configuration(MediaUri="http://192.0.2.1/"),
        receiver_configuration(MediaUri="rtsp://x/" + "a" * 2000),
        receiver_configuration(Mode="Unknown"),
    ):
        expect_fault(
            svc.CreateReceiver, Configuration=configuration, chain=BAD_CONFIGURATION, rec=rec
        )


def test_receiver_in_use_cannot_be_deleted(recorder: RunningRecorder) -> None:
    trv, rec = client(recorder, "receiver")
    trc, _ = client(recorder, "recording")
    token = trv.CreateReceiver(Configuration=receiver_configuration()).Token
    recording = trc.CreateRecording(
        RecordingConfiguration={
            "Source": {
                "SourceId": "urn:x",
                "Name": "n",
                "Location": "",
                "Description": "",
                "Address": "http://192.0.2.1/",
            },
            "Content": "",
            "MaximumRetentionTime": "PT0S",
        }
    )
    trc.CreateRecordingJob(
        JobConfiguration={
            "RecordingToken": recording,
            "Mode": "Idle",
            "Priority": 1,
            "Source": [{"SourceToken": {"Token": token, "Type": RECEIVER_TYPE}}],
        }
    )
    expect_fault(
        trv.DeleteReceiver,
        ReceiverToken=token,
        chain=["Receiver", "Action", "CannotDeleteReceiver"],
        rec=rec,
    )


def test_max_receivers(tmp_path: Any) -> None:
    """RECEIVER-2-1-8: one receiver more than SupportedReceivers is refused."""
    running, thread = start_recorder(tmp_path / "d", Limits(max_receivers=3))
    try:
        svc, rec = client(running, "receiver")
        supported = svc.GetServiceCapabilities().SupportedReceivers
        for _ in range(supported):
            svc.CreateReceiver(Configuration=receiver_configuration())
        expect_fault(
            svc.CreateReceiver,
            Configuration=receiver_configuration(),
            chain=["Receiver", "Action", "MaxReceivers"],
            rec=rec,
        )
    finally:
        thread.stop()
