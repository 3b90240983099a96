"""End to end through SOAP, the way the conformance tool drives a receiver: a zeep client
from the official WSDL against a recorder running the ingest engine, the real camera as
the transmitter, tns1:Receiver events read with PullMessages (Receiver spec; conformance
RECEIVER-2-1-16 UDP, -17 RTSP/TCP, -18 invalid URI)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.event_client import Received, subscribe
from tests.integration.helpers import client
from tests.integration.recording_support import engine_recorder
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow
CHANGE_STATE, CONNECTION_FAILED = "tns1:Receiver/ChangeState", "tns1:Receiver/ConnectionFailed"


@pytest.fixture(scope="module")
def camera() -> Iterator[Camera]:
    with Camera() as running:
        yield running


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[RunningRecorder]:
    with engine_recorder(tmp_path / "data") as running:
        yield running


def configuration(uri: str, protocol: str, mode: str = "NeverConnect") -> dict[str, Any]:
    """Conformance: new receivers are created NeverConnect, RTP-Unicast, then configured."""
    return {"Mode": mode, "MediaUri": uri,
            "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": protocol}}}


def state_within(trv: Any, token: str, wanted: str, seconds: float = 5.0) -> str:
    deadline = time.monotonic() + seconds
    while (state := trv.GetReceiverState(ReceiverToken=token).State) != wanted:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return str(state)


def states(received: list[Received], token: str) -> list[str]:
    return [r.data["NewState"] for r in received
            if r.topic == CHANGE_STATE and r.source == {"ReceiverToken": token}]


@pytest.mark.parametrize("protocol", ["UDP", "RTSP"])
def test_always_connect_then_never_connect(camera: Camera, recorder: RunningRecorder,
                                           protocol: str) -> None:
    trv, rec = client(recorder, "receiver")
    uri = camera.url("/h264")
    token = trv.CreateReceiver(Configuration=configuration(uri, protocol)).Token
    assert trv.GetReceiverState(ReceiverToken=token).State == "NotConnected"
    events = subscribe(recorder, CHANGE_STATE)

    trv.ConfigureReceiver(ReceiverToken=token,
                          Configuration=configuration(uri, protocol, "AlwaysConnect"))
    received = events.pull_until(lambda got: "Connected" in states(got, token))
    assert states(received, token) == ["Connecting", "Connected"]
    assert all(r.data.get("MediaUri") == uri for r in received)
    assert state_within(trv, token, "Connected", 0) == "Connected"
    validate_body(rec.last)

    trv.SetReceiverMode(ReceiverToken=token, Mode="NeverConnect")
    received = events.pull_until(lambda got: "NotConnected" in states(got, token))
    assert states(received, token) == ["NotConnected"]
    assert trv.GetReceiverState(ReceiverToken=token).State == "NotConnected"
    assert camera.wait_for_request("TEARDOWN /h264", timeout=2)
    camera.requests.clear()


def test_an_invalid_uri_gives_connection_failed(recorder: RunningRecorder) -> None:
    trv, _ = client(recorder, "receiver")
    uri = "rtsp://127.0.0.1:1/nothing-listens-here"
    failures = subscribe(recorder, CONNECTION_FAILED)
    token = trv.CreateReceiver(Configuration=configuration(uri, "UDP", "AlwaysConnect")).Token
    [failed, *_] = failures.pull_until(lambda got: len(got) >= 1)
    assert failed.source == {"ReceiverToken": token} and failed.data == {"MediaUri": uri}
    assert state_within(trv, token, "NotConnected") == "NotConnected"
    trv.SetReceiverMode(ReceiverToken=token, Mode="NeverConnect")
