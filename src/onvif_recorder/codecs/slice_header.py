"""What the H.264 and H.265 slice header length readers share (``h264_slice``,
``h265_slice``), for ``cbcs`` encryption (ISO/IEC 23001-7 §10.4).

A slice header's length depends on the SPS and PPS it names, so each reader keeps its
track's ``ParameterSets``: every SPS and PPS NAL unit, unescaped and parsed by the codec's
own functions only as far as slice headers need, by id. ``header_length`` reads a slice
header after the NAL unit header over the escaped bytes (``bits.read_prefix``) and counts
the NAL unit header in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from onvif_recorder.codecs.bits import BitReader, read_prefix, unescape_rbsp
from onvif_recorder.codecs.errors import BitstreamError


class _NamesSps(Protocol):
    @property
    def sps_id(self) -> int: ...


SpsT = TypeVar("SpsT")
PpsT = TypeVar("PpsT", bound=_NamesSps)


@dataclass(frozen=True, slots=True)
class NalSyntax(Generic[SpsT, PpsT]):
    """How one codec frames and parses its parameter sets."""

    header_size: int
    """NAL unit header bytes: 1 for H.264 (§7.3.1), 2 for H.265 (§7.3.1.2)."""
    nal_type: Callable[[bytes], int]
    sps_type: int
    pps_type: int
    parse_sps: Callable[[bytes], tuple[int, SpsT]]
    """An SPS RBSP (after the NAL unit header) to its id and what slice headers need."""
    parse_pps: Callable[[bytes], tuple[int, PpsT]]


class ParameterSets(Generic[SpsT, PpsT]):
    """One track's SPS and PPS by id (see the module docstring)."""

    def __init__(self, syntax: NalSyntax[SpsT, PpsT], nal_units: Sequence[bytes]) -> None:
        self.syntax = syntax
        self._sps: dict[int, SpsT] = {}
        self._pps: dict[int, PpsT] = {}
        for nal in nal_units:
            kind = syntax.nal_type(nal)
            if kind == syntax.sps_type:
                sps_id, sps = syntax.parse_sps(unescape_rbsp(nal[syntax.header_size:]))
                self._sps[sps_id] = sps
            elif kind == syntax.pps_type:
                pps_id, pps = syntax.parse_pps(unescape_rbsp(nal[syntax.header_size:]))
                self._pps[pps_id] = pps

    def for_slice(self, pps_id: int) -> tuple[SpsT, PpsT]:
        """The SPS and PPS of a slice that names PPS ``pps_id``."""
        pps = self._pps.get(pps_id)
        sps = self._sps.get(pps.sps_id) if pps is not None else None
        if pps is None or sps is None:
            raise BitstreamError(f"slice names PPS {pps_id}, which the track does not have")
        return sps, pps

    def header_length(self, nal: bytes, read: Callable[[BitReader], None]) -> int:
        """Bytes of ``nal`` from its first byte to the end of the header ``read`` reads
        after the NAL unit header, emulation-prevention bytes included, rounded up."""
        size = self.syntax.header_size
        return size + read_prefix(nal[size:], read)
