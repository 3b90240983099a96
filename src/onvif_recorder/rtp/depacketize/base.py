"""What every depacketizer produces, and the contract they all follow.

Contract: ``push(packet)`` returns the access units completed by that packet (often
none). A packet that cannot be used raises ``DepacketizeError`` (or its subclass
``LimitExceeded``); the depacketizer has then already discarded any partial access
unit, stays usable, and the caller counts the error and moves on. Nothing else is
raised for any input. Access units thrown away because packets went missing are
counted in ``discarded``; those dropped while waiting for the first sync sample are
counted in ``skipped_before_sync``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from onvif_recorder.codecs import h264, h265
from onvif_recorder.codecs.aac import AudioSpecificConfig
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded
from onvif_recorder.rtp.packet import RtpPacket

MAX_ACCESS_UNIT_SIZE = 8 * 1024 * 1024
MAX_NAL_UNITS = 256


@dataclass(frozen=True, slots=True)
class H264Config:
    """Parameter sets in force (RFC 6184 §8.1 sprop-parameter-sets or in band)."""

    sps: bytes
    pps: bytes | None
    info: h264.SpsInfo | None
    """None when the SPS could not be parsed."""


@dataclass(frozen=True, slots=True)
class H265Config:
    """Parameter sets in force (RFC 7798 §7.1 sprop-vps/sps/pps or in band)."""

    vps: bytes | None
    sps: bytes
    pps: bytes | None
    info: h265.SpsInfo | None


@dataclass(frozen=True, slots=True)
class AacConfig:
    """mpeg4-generic AAC (RFC 3640 §4.1 ``config=`` AudioSpecificConfig)."""

    config: bytes
    info: AudioSpecificConfig


@dataclass(frozen=True, slots=True)
class G711Config:
    """PCMU (µ-law) or PCMA (A-law), RFC 3551 §4.5.14."""

    encoding: str
    sample_rate: int
    channels: int


@dataclass(frozen=True, slots=True)
class MetadataConfig:
    """ONVIF metadata stream (ONVIF Streaming, "RTP for Metadata stream")."""

    encoding: str
    """``vnd.onvif.metadata``, ``vnd.onvif.metadata+gzip`` or ``...exi.ext``."""


CodecConfig = Hashable
"""A depacketizer's codec parameters: a frozen value, compared to notice a change. The
codec table (``onvif_recorder.media``) knows which config belongs to which codec, so a
new codec brings its own config type without touching this module."""


@dataclass(frozen=True, slots=True)
class AccessUnit:
    """One decodable unit: a picture's NAL units, one audio frame, or one XML document."""

    timestamp: int
    """32-bit RTP timestamp of the presentation time."""
    units: tuple[bytes, ...]
    sync: bool
    config: CodecConfig | None
    config_changed: bool = False
    """True on the first unit and whenever the codec parameters differ from the last unit's."""
    reorder_depth: int | None = 0
    """How many pictures may follow this one in decode order yet precede it in output
    order, as the parameter sets declare (B-frames); None when they do not say."""

    @property
    def size(self) -> int:
        return sum(len(unit) for unit in self.units)


class Depacketizer(Protocol):
    """See the module docstring for the contract."""

    discarded: int
    skipped_before_sync: int

    def push(self, packet: RtpPacket) -> list[AccessUnit]: ...


class NalAccumulator:
    """Collects NAL units of one access unit and enforces the size and count caps."""

    __slots__ = ("max_nal_units", "max_size", "nal_units", "size", "timestamp")

    def __init__(self, max_size: int, max_nal_units: int) -> None:
        self.max_size = max_size
        self.max_nal_units = max_nal_units
        self.nal_units: list[bytes] = []
        self.size = 0
        self.timestamp: int | None = None

    def add(self, nal: bytes) -> None:
        if not nal:
            raise DepacketizeError("empty NAL unit")
        self.check(len(nal))
        if len(self.nal_units) >= self.max_nal_units:
            self.clear()
            raise LimitExceeded("NAL unit count", self.max_nal_units + 1, self.max_nal_units)
        self.nal_units.append(nal)
        self.size += len(nal)

    def check(self, extra: int) -> None:
        """Raise (and clear) if ``extra`` more bytes would pass the size cap."""
        if self.size + extra > self.max_size:
            size = self.size + extra
            self.clear()
            raise LimitExceeded("access unit size", size, self.max_size)

    def take(self) -> list[bytes]:
        units, self.nal_units, self.size = self.nal_units, [], 0
        return units

    def clear(self) -> None:
        self.nal_units, self.size, self.timestamp = [], 0, None


class FragmentBuffer:
    """Reassembles one fragmented NAL unit (FU-A, H.265 FU) across sequential packets."""

    __slots__ = ("_next_seq", "_parts", "_size", "max_size")

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._parts: list[bytes] = []
        self._size = 0
        self._next_seq: int | None = None

    @property
    def active(self) -> bool:
        return self._next_seq is not None

    def start(self, header: bytes, data: bytes, seq: int) -> None:
        self._parts, self._size, self._next_seq = [header, data], len(header) + len(data), seq
        self._advance(seq)

    def append(self, data: bytes, seq: int) -> None:
        if self._next_seq is None:
            raise DepacketizeError("fragment continuation without a start fragment")
        if seq != self._next_seq:
            self.reset()
            raise DepacketizeError("fragment lost: sequence gap inside a fragmented NAL unit")
        if self._size + len(data) > self.max_size:
            size = self._size + len(data)
            self.reset()
            raise LimitExceeded("fragmented NAL unit size", size, self.max_size)
        self._parts.append(data)
        self._size += len(data)
        self._advance(seq)

    @property
    def next_seq(self) -> int | None:
        return self._next_seq

    @property
    def room(self) -> int:
        """Bytes ``append`` still takes before the size cap."""
        return self.max_size - self._size

    def extend(self, data: bytes, count: int) -> None:
        """``append`` of ``count`` consecutive fragments whose data, joined, is ``data``
        (the caller checked the sequence numbers and the room)."""
        assert self._next_seq is not None and len(data) <= self.room
        self._parts.append(data)
        self._size += len(data)
        self._next_seq = (self._next_seq + count) & 0xFFFF

    def finish(self) -> bytes:
        nal = b"".join(self._parts)
        self.reset()
        return nal

    def reset(self) -> None:
        self._parts, self._size, self._next_seq = [], 0, None

    def _advance(self, seq: int) -> None:
        self._next_seq = (seq + 1) & 0xFFFF
