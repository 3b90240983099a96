"""Helpers shared by the integration tests: authenticated clients and common requests."""

from __future__ import annotations

from typing import Any

import zeep.exceptions

from tests.conftest import RunningRecorder
from tests.onvif_client import (
    ResponseRecorder,
    fault_chain,
    onvif_service_with_recorder,
    validate_body,
)

RECEIVER_TYPE = "http://www.onvif.org/ver10/schema/Receiver"


def client(
    recorder: RunningRecorder,
    name: str,
    *,
    version: str = "25.12",
    user: str | None = None,
    password: str | None = None,
) -> tuple[Any, ResponseRecorder]:
    path = {
        "recording": "recording_service",
        "receiver": "receiver_service",
        "device": "device_service",
        "events": "event_service",
        "schedule": "schedule_service",
        "advancedsecurity": "advancedsecurity_service",
        "keystore": "advancedsecurity_service",
        "search": "search_service",
        "replay": "replay_service",
    }[name]
    return onvif_service_with_recorder(
        name,
        f"{recorder.url}/onvif/{path}",
        version=version,
        username=user or recorder.admin_user,
        password=password or recorder.admin_password,
    )


def recording_configuration(**overrides: Any) -> dict[str, Any]:
    configuration: dict[str, Any] = {
        "Source": {
            "SourceId": "urn:uuid:2c4c2d16-1b3c-4a49-9b8e-000000000001",
            "Name": "CameraName",
            "Location": "LocationDescription",
            "Description": "Source Description",
            "Address": "http://192.0.2.10/onvif/device_service",
        },
        "Content": "Create/Delete recordings test",
        "MaximumRetentionTime": "PT0S",
    }
    configuration.update(overrides)
    return configuration


def expect_fault(
    call: Any, *args: Any, chain: list[str], rec: ResponseRecorder | None = None, **kwargs: Any
) -> None:
    """Call and assert a SOAP fault with exactly ``chain`` (Code, Subcode, Subcode…)."""
    try:
        call(*args, **kwargs)
    except zeep.exceptions.Fault as fault:
        assert fault_chain(fault) == chain, fault.message
        if rec is not None:
            validate_body(rec.last)
        return
    raise AssertionError(f"expected fault {chain}, got a normal response")


def auto_receiver_job(
    recording_token: str, mode: str = "Idle", priority: int = 1
) -> dict[str, Any]:
    """Conformance Annex J: a job whose SourceToken has a Type but no Token."""
    return {
        "RecordingToken": recording_token,
        "Mode": mode,
        "Priority": priority,
        "Source": [
            {
                "SourceToken": {"Token": zeep.xsd.SkipValue, "Type": RECEIVER_TYPE},
                "AutoCreateReceiver": True,
            }
        ],
    }
