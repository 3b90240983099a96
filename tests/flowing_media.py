"""The MediaFlow seam driven the way the ingest engine (a later issue) will drive it.

Until the engine exists, a job can only become Active if something says media flows; tests
that need job states to change use this stand-in, which says samples flow on every track a
job owns unless ``stopped``. Arbitration, job states and events stay the real code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from onvif_recorder.domain.receiver import ReceiverState


@dataclass
class FlowingMedia:
    stopped: bool = False
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def flowing(self, job_token: str, source_token: str, destination: str) -> bool:
        return not self.stopped

    def errors(self) -> Mapping[tuple[str, str, str], str]:
        return self.failures

    def receiver_state(self, receiver_token: str) -> ReceiverState:
        return ReceiverState.NOT_CONNECTED if self.stopped else ReceiverState.CONNECTED
