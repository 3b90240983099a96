"""The one place that chooses how the per-packet ingest work runs: compiled or Python.

``pure`` is the reference implementation of the ingest kernels (framing, RTP parse, FU
runs; see its docstring); ``_native`` is the same in C, built by ``pip
install .`` when a compiler is there (``setup.py``: an optional extension, a failed build
is a warning and leaves the Python one). ``active`` is what the callers use
(``rtsp.message``, ``rtp.packet``, ``rtp.stream``): ``_native`` when it imports, else
``pure``. The environment variable ``ONVIF_RECORDER_KERNELS`` forces one: ``python``
(the reference, e.g. to compare), ``c`` (fail at import when the compiled one is
missing). ``select`` switches at run time (tests and benchmarks run both).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Protocol, cast

from onvif_recorder.rtp.kernels import pure

ENVIRONMENT = "ONVIF_RECORDER_KERNELS"
END_NONE, END_FRAGMENT, END_MARKER = pure.END_NONE, pure.END_FRAGMENT, pure.END_MARKER
"""How a ``fragment_run`` ended (see ``pure``)."""


class Kernels(Protocol):
    """What ``pure`` and ``_native`` both are."""

    def split_frames(self, buf: bytes | bytearray, pos: int, /
                     ) -> tuple[list[tuple[int, bytes]], int]: ...

    def parse_rtp(self, data: bytes | bytearray, /) -> pure.RtpFields: ...

    def fragment_run(self, packets: list[bytes], start: int, codec: int, payload_type: int,
                     ssrc: int, timestamp: int, seq: int, room: int, /
                     ) -> tuple[int, int, bytes, int]: ...


if TYPE_CHECKING:  # mypy checks the extension's stub (_native.pyi) against the protocol
    from onvif_recorder.rtp.kernels import _native

    _NATIVE_IS_KERNELS: Kernels = _native


def _load_native() -> tuple[Kernels | None, str | None]:
    try:
        module = importlib.import_module("onvif_recorder.rtp.kernels._native")
    except ImportError as exc:  # not built (no compiler at install time), or not loadable
        return None, f"the compiled ingest kernels are not installed: {exc}"
    return cast(Kernels, module), None


native, native_error = _load_native()
"""The compiled kernels, or None and why not."""
IMPLEMENTATIONS: dict[str, Kernels] = {"python": pure}
if native is not None:
    IMPLEMENTATIONS["c"] = native


def available() -> list[str]:
    """The implementations this install has: ``python``, and ``c`` when it was built."""
    return list(IMPLEMENTATIONS)


def select(name: str) -> None:
    """Use ``name`` (``python`` or ``c``) from now on."""
    global active, name_active
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"ingest kernels {name!r} not available ({native_error or 'unknown'})")
    active, name_active = IMPLEMENTATIONS[name], name


active: Kernels = pure
name_active = "python"
select(os.environ.get(ENVIRONMENT) or ("c" if native is not None else "python"))
