"""Access-unit assembly shared by the H.264 and H.265 depacketizers.

An access unit is every NAL unit with one RTP timestamp. It is complete when a packet
carries the marker bit (RFC 6184 §5.1, RFC 7798 §4.1) or, for senders that never set
the marker, when a packet with a new timestamp arrives. Parameter sets sent as their
own packets - GStreamer's ``rtph264pay config-interval=-1`` and many cameras send SPS
and PPS with the IDR's timestamp, sometimes with the marker bit on each - are not a
picture: an access unit with no VCL NAL unit is held and joined to the next one.

By default access units before the first sync sample are skipped: a client that joins
a shared stream mid-GOP cannot decode them (see ``peers.md`` §1).

Junk is kept out, and counted per stream: a fragment whose header has both the start
and the end bit (RFC 6184 §5.8, RFC 7798 §4.4.3 forbid it) or names a NAL unit type a
fragment cannot carry is refused (``invalid_fragments``), and an in-band parameter set
that does not parse leaves the one in force in place (``refused_parameter_sets``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from onvif_recorder.rtp.depacketize.base import (
    MAX_ACCESS_UNIT_SIZE,
    MAX_NAL_UNITS,
    AccessUnit,
    CodecConfig,
    FragmentBuffer,
    NalAccumulator,
)
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded
from onvif_recorder.rtp.packet import RtpPacket


class NalDepacketizer(ABC):
    """Template for NAL-unit codecs; subclasses say how to unpack one payload."""

    FRAGMENT_CODEC: int
    """The codec number of ``kernels.fragment_run`` for this format's fragments."""

    def __init__(self, *, wait_for_sync: bool = True, max_size: int = MAX_ACCESS_UNIT_SIZE,
                 max_nal_units: int = MAX_NAL_UNITS) -> None:
        self.discarded = 0
        self.skipped_before_sync = 0
        self.invalid_fragments = 0
        self.refused_parameter_sets = 0
        self.wait_for_sync = wait_for_sync
        self._acc = NalAccumulator(max_size, max_nal_units)
        self._fragment = FragmentBuffer(max_size)
        self._ready: list[AccessUnit] = []
        self._synced = False
        self._last_config: CodecConfig | None = None
        self._skip_timestamp: int | None = None

    def push(self, packet: RtpPacket) -> list[AccessUnit]:
        """See ``base`` for the contract; units completed before an error come next call."""
        self._process(packet)
        ready, self._ready = self._ready, []
        return ready

    def open_fragment(self) -> tuple[int, int, int, int] | None:
        """``(codec, timestamp, next sequence number, room)`` of the fragmented NAL unit
        being reassembled, for ``kernels.fragment_run``; None when there is none."""
        timestamp = self._acc.timestamp
        if not self._fragment.active or timestamp is None or self._skip_timestamp is not None:
            return None
        next_seq = self._fragment.next_seq
        assert next_seq is not None
        return self.FRAGMENT_CODEC, timestamp, next_seq, self._fragment.room

    def start_room(self, packet_size: int) -> int | None:
        """``room`` for ``kernels.fragment_run`` opening a fragment with a start fragment
        of ``packet_size`` bytes on the wire: what ``open_fragment`` says once ``push``
        took it; None when a run may not open here (``push`` would skip or strip it)."""
        if self._skip_timestamp is not None or not self._plain_start_fragments:
            return None
        # 12 bytes of RTP header; the FU indicator and header (1 + 1 for FU-A, 2 + 1 for
        # the H.265 FU) become the NAL unit header (1, 2 bytes): 13 bytes less in both.
        return self._fragment.max_size - (packet_size - 13)

    @property
    def _plain_start_fragments(self) -> bool:
        """Whether a start fragment holds only the FU headers and the data (no DONL)."""
        return True

    def open_fragment_run(self, timestamp: int, payload: bytes, seq: int) -> list[AccessUnit]:
        """``push`` of a packet that ``kernels.fragment_run`` found is a start fragment
        (neither end nor marker bit) where ``start_room`` allowed one: what it returns
        (an access unit a new timestamp completes), or raises."""
        try:
            if self._acc.timestamp is not None and timestamp != self._acc.timestamp:
                self._abandon_fragment()
                self._complete()
            self._acc.timestamp = timestamp
            header, data = self._start_fragment(payload)
            self._fragment_part(header, data, True, False, seq)
        except LimitExceeded:
            self._skip_oversized(False, timestamp)
            raise
        ready, self._ready = self._ready, []
        return ready

    def take_fragments(self, data: bytes, count: int) -> None:
        """``push`` of ``count`` packets that ``kernels.fragment_run`` found continue the
        open fragment (no start, end or marker bit), their fragment data joined."""
        self._fragment.extend(data, count)

    def end_fragment(self, data: bytes, count: int, marker: bool) -> list[AccessUnit]:
        """``push`` of ``count`` packets that ``kernels.fragment_run`` found continue the
        open fragment, the last one with the end bit (and ``marker``), their fragment data
        joined: what ``push`` of the last one returns, or raises."""
        timestamp = self._acc.timestamp
        self._fragment.extend(data, count)
        try:
            self._acc.add(self._fragment.finish())
        except LimitExceeded:
            self._skip_oversized(marker, timestamp)
            raise
        if marker:
            self._complete()
        ready, self._ready = self._ready, []
        return ready

    def _process(self, packet: RtpPacket) -> None:
        if self._skip_timestamp is not None:
            if packet.timestamp == self._skip_timestamp:
                self._skip_timestamp = None if packet.marker else self._skip_timestamp
                return
            self._skip_timestamp = None
        try:
            self._assemble(packet)
        except LimitExceeded:
            self._skip_oversized(packet.marker, packet.timestamp)
            raise

    def _skip_oversized(self, marker: bool, timestamp: int | None) -> None:
        """The rest of this oversized unit is useless: skip it up to its end."""
        self._fragment.reset()
        self._acc.clear()
        self.discarded += 1
        self._skip_timestamp = None if marker else timestamp

    def _assemble(self, packet: RtpPacket) -> None:
        if self._acc.timestamp is not None and packet.timestamp != self._acc.timestamp:
            self._abandon_fragment()
            self._complete()
        self._acc.timestamp = packet.timestamp
        for nal in self._unpack(packet):
            self._acc.add(nal)
        if packet.marker:
            self._complete()

    def _abandon_fragment(self) -> None:
        if self._fragment.active:
            self._fragment.reset()
            self.discarded += 1

    def _complete(self) -> None:
        if not any(self._is_vcl(nal) for nal in self._acc.nal_units):
            return  # parameter sets / SEI only: join them to the next picture
        timestamp = self._acc.timestamp
        assert timestamp is not None
        units = self._acc.take()
        self._acc.timestamp = None
        for nal in units:
            self._learn(nal)
        sync = self._is_sync(units)
        if self.wait_for_sync and not self._synced:
            if not sync:
                self.skipped_before_sync += 1
                return
            self._synced = True
        config = self._config()
        changed = config != self._last_config
        self._last_config = config
        self._ready.append(AccessUnit(timestamp, tuple(units), sync, config, changed,
                                      self._reorder_depth()))

    def _fragment_part(self, header: bytes, data: bytes, start: bool, end: bool,
                       seq: int) -> list[bytes]:
        """Feed one FU-A / H.265 FU fragment; returns the NAL unit once complete."""
        if start:
            self._abandon_fragment()
            if end:
                # RFC 6184 §5.8 and RFC 7798 §4.4.3: S and E MUST NOT both be set. A fuzzed
                # or corrupt stream sends exactly this (stored as an IDR picture before),
                # so it is refused even though one camera line (gortsplib issue 649)
                # sends whole NAL units so.
                self.invalid_fragments += 1
                raise DepacketizeError("fragment with both start and end bits set")
            self._acc.check(len(header) + len(data))
            self._fragment.start(header, data, seq)
            return []
        self._fragment.append(data, seq)
        return [self._fragment.finish()] if end else []

    def _single(self, nal: bytes) -> list[bytes]:
        """A single NAL unit packet; it ends any fragment still open."""
        self._abandon_fragment()
        return [nal]

    @abstractmethod
    def _start_fragment(self, payload: bytes) -> tuple[bytes, bytes]:
        """The NAL unit header and the data of a start fragment's payload."""

    @abstractmethod
    def _unpack(self, packet: RtpPacket) -> list[bytes]:
        """NAL units completed by this packet; raise DepacketizeError if it is malformed."""

    @abstractmethod
    def _is_vcl(self, nal: bytes) -> bool: ...

    @abstractmethod
    def _is_sync(self, units: list[bytes]) -> bool: ...

    @abstractmethod
    def _learn(self, nal: bytes) -> None:
        """Remember an in-band parameter set."""

    @abstractmethod
    def _config(self) -> CodecConfig | None: ...

    @abstractmethod
    def _reorder_depth(self) -> int | None:
        """The reorder depth the parameter sets in force declare (None: not said)."""


def split_aggregate(data: bytes, what: str, first_skip: int = 0, next_skip: int = 0
                    ) -> list[bytes]:
    """Split ``[skip][size16][NAL]...`` aggregation payloads (STAP-A, H.265 AP).

    ``first_skip``/``next_skip`` are the DON fields (DONL before the first unit, DOND
    before the others) present when the stream uses decoding order numbers.
    """
    units: list[bytes] = []
    pos = 0
    while pos < len(data):
        pos += next_skip if units else first_skip
        if pos + 2 > len(data):
            raise DepacketizeError(f"{what} is truncated")
        size = int.from_bytes(data[pos : pos + 2], "big")
        pos += 2
        if size == 0 or pos + size > len(data):
            raise DepacketizeError(f"{what} NAL unit size {size} is invalid")
        units.append(data[pos : pos + size])
        pos += size
    if not units:
        raise DepacketizeError(f"{what} holds no NAL unit")
    return units
