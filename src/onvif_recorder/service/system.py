"""Core 25.12 "System": SystemReboot, SetSystemFactoryDefault, GetSystemLog and
GetSystemSupportInformation. A reboot restarts the recorder process (``lifecycle``); a
factory default is applied while it is down, before it starts again (``factory_reset``)."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

import onvif_recorder
from onvif_recorder.domain import errors
from onvif_recorder.service.state import StateHolder
from onvif_recorder.settings import RecorderSettings

RESTART_DELAY_S = 0.5  # lets the answer reach the client first (Core SystemReboot)


class FactoryDefault(Enum):
    HARD = "Hard"
    SOFT = "Soft"


class SystemLogType(Enum):
    SYSTEM = "System"
    ACCESS = "Access"


class Lifecycle(Protocol):
    """Port: implemented by ``lifecycle.ProcessLifecycle`` (``onvif-recorder serve``)."""

    def restart(self, reset: FactoryDefault | None, delay: float) -> None: ...


class LogSource(Protocol):
    """Port: implemented by ``logbuffer.LogBuffer``."""

    def text(self) -> str: ...


class SystemService:
    def __init__(
        self,
        settings: RecorderSettings,
        holder: StateHolder,
        log: LogSource | None,
        lifecycle: Lifecycle | None,
    ) -> None:
        self.settings = settings
        self.holder = holder
        self.log = log
        self.lifecycle = lifecycle
        self.started = time.time()
        self._facts: list[Callable[[], str]] = []

    def add_facts(self, source: Callable[[], str]) -> None:
        """A line for GetSystemSupportInformation from a running part (discovery…)."""
        self._facts.append(source)

    def _lifecycle(self) -> Lifecycle:
        if self.lifecycle is None:
            raise errors.ActionNotSupported("this recorder cannot restart itself")
        return self.lifecycle

    def reboot(self) -> str:
        self._lifecycle().restart(None, RESTART_DELAY_S)
        return f"Restarting the recorder in {RESTART_DELAY_S:g} seconds"

    def factory_default(self, kind: FactoryDefault) -> None:
        """Soft: receivers, recording jobs, schedules and the device settings back to
        their defaults; users, recordings and storage configurations stay. Hard: everything in
        the data directory but the device identity, recordings included, and only where
        the operator allowed it (``serve --allow-hard-reset``)."""
        lifecycle = self._lifecycle()
        if kind is FactoryDefault.HARD and not self.settings.allow_hard_reset:
            raise errors.OperationProhibited(
                "a hard factory default deletes every recording; the operator has not "
                "allowed it (onvif-recorder serve --allow-hard-reset)"
            )
        lifecycle.restart(kind, RESTART_DELAY_S)

    def system_log(self, kind: SystemLogType) -> str:
        if kind is SystemLogType.ACCESS:
            raise errors.AccesslogUnavailable("the recorder keeps no client access log")
        if self.log is None:
            raise errors.SystemlogUnavailable("this recorder keeps no log in memory")
        text = self.log.text()
        if not text:
            raise errors.SystemlogUnavailable("nothing has been logged yet")
        return text

    def support_information(self) -> str:
        state = self.holder.state
        facts = [
            f"onvif-recorder {onvif_recorder.__version__}",
            f"python {sys.version.split()[0]} on {platform.platform()}",
            f"uptime {time.time() - self.started:.0f} s",
            f"data directory {self.settings.data_dir}",
            f"recordings {len(state.recordings)}, jobs {len(state.jobs)}, "
            f"receivers {len(state.receivers)}, users {len(state.users)}, "
            f"storage configurations {len(state.storage)}",
            f"discovery {'on' if self.settings.discovery else 'off'}",
            *(source() for source in self._facts),
        ]
        log = self.log.text() if self.log is not None else ""
        return "\n".join(facts) + "\n\n" + log
