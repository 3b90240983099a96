"""Receivers: ONVIF Receiver service configuration operations.

Connecting to cameras is the ingest engine's work; it reports connection
state through ``MediaFlow.receiver_state``.
"""

from __future__ import annotations

from dataclasses import replace

from onvif_recorder.domain import errors
from onvif_recorder.domain.receiver import (
    Receiver,
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
)
from onvif_recorder.service.jobs_common import receiver_tokens
from onvif_recorder.service.media_flow import MediaFlow
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.settings import Limits

RTSP_SCHEMES = ("rtsp://", "rtsps://")


class ReceiverService:
    def __init__(self, holder: StateHolder, limits: Limits, media: MediaFlow) -> None:
        self.holder = holder
        self.limits = limits
        self.media = media

    def receiver(self, token: str) -> Receiver:
        found = self.holder.state.receivers.get(token)
        if found is None:
            raise errors.UnknownToken(f"no receiver {token!r}")
        return found

    def receivers(self) -> list[Receiver]:
        return list(self.holder.state.receivers.values())

    def create_receiver(self, configuration: ReceiverConfiguration) -> Receiver:
        self._check(configuration)
        if len(self.holder.state.receivers) >= self.limits.max_receivers:
            raise errors.MaxReceivers(f"the recorder holds {self.limits.max_receivers} receivers")
        changes = Changes()
        receiver = Receiver(self.holder.next_token("receiver", changes, "Receiver_"), configuration)
        changes.receivers.append(receiver)
        self.holder.commit(changes)
        return receiver

    def delete_receiver(self, token: str) -> Receiver:
        receiver = self.receiver(token)
        if any(token in receiver_tokens(job) for job in self.holder.state.jobs.values()):
            raise errors.CannotDeleteReceiver(f"receiver {token!r} is used by a recording job")
        self.holder.commit(Changes(deleted_receivers=[token]))
        return receiver

    def configure_receiver(self, token: str, configuration: ReceiverConfiguration) -> Receiver:
        self._check(configuration)
        receiver = replace(self.receiver(token), configuration=configuration)
        self.holder.commit(Changes(receivers=[receiver]))
        return receiver

    def set_receiver_mode(self, token: str, mode: ReceiverMode) -> Receiver:
        receiver = self.receiver(token)
        configuration = replace(receiver.configuration, mode=mode)
        receiver = replace(receiver, configuration=configuration)
        self.holder.commit(Changes(receivers=[receiver]))
        return receiver

    def receiver_state(self, token: str) -> tuple[ReceiverState, bool]:
        receiver = self.receiver(token)
        return self.media.receiver_state(token), receiver.auto_created

    def _check(self, configuration: ReceiverConfiguration) -> None:
        if configuration.mode is ReceiverMode.UNKNOWN:
            raise errors.BadConfiguration("Mode Unknown cannot be configured")
        uri = configuration.media_uri
        if len(uri) > self.limits.max_receiver_uri_length:
            raise errors.BadConfiguration(
                f"MediaUri is longer than {self.limits.max_receiver_uri_length} characters"
            )
        if uri and not uri.lower().startswith(RTSP_SCHEMES):
            raise errors.BadConfiguration("MediaUri must be an rtsp:// or rtsps:// URI")
