"""The seam between configuration and the running engine.

The services ask it whether media is really flowing, so that a job reports
``Active`` only while samples are being written (RC §5.19). Until the recording
engine is attached, ``NoMediaFlow`` answers honestly: nothing flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from onvif_recorder.domain.receiver import ReceiverState


class MediaFlow(Protocol):
    def flowing(self, job_token: str, source_token: str, destination: str) -> bool: ...

    def errors(self) -> Mapping[tuple[str, str, str], str]: ...

    def receiver_state(self, receiver_token: str) -> ReceiverState: ...


class NoMediaFlow:
    def flowing(self, job_token: str, source_token: str, destination: str) -> bool:
        return False

    def errors(self) -> Mapping[tuple[str, str, str], str]:
        return {}

    def receiver_state(self, receiver_token: str) -> ReceiverState:
        return ReceiverState.NOT_CONNECTED
