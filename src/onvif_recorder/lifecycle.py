"""Restarting the recorder process for SystemReboot and SetSystemFactoryDefault.

The request is answered first; then the process shuts down the way SIGTERM makes it
(engine stopped, spans closed, WS-Discovery Bye, store closed), applies a factory
default to the data directory if one was asked for, and replaces itself with the same
command line (``os.execv``): same PID, same arguments, and recording resumes as after any
restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiohttp.web_runner import GracefulExit

from onvif_recorder.service.system import FactoryDefault

log = logging.getLogger(__name__)


class ProcessLifecycle:
    """Implements ``service.system.Lifecycle`` for ``onvif-recorder serve``."""

    def __init__(self) -> None:
        self.requested = False
        self.reset: FactoryDefault | None = None

    def restart(self, reset: FactoryDefault | None, delay: float) -> None:
        if self.requested:  # a second request while the first runs changes nothing
            return
        self.requested, self.reset = True, reset
        what = f"factory default ({reset.value})" if reset else "reboot"
        log.warning("%s requested: restarting in %g s", what, delay)
        asyncio.get_running_loop().call_later(delay, _stop_serving)


def _stop_serving() -> None:
    """What aiohttp's own SIGTERM handler does: ``web.run_app`` shuts down gracefully."""
    raise GracefulExit()


def exec_again() -> None:
    """Replace this process with the command that started it."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, sys.orig_argv)
