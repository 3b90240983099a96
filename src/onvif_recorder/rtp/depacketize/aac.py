"""AAC depacketizer for RTP payload format mpeg4-generic (RFC 3640).

The payload is an AU-headers section (a 16-bit bit length, then one header per access
unit: AU-size, AU-index or AU-index-delta, optional CTS/DTS deltas, RAP flag and stream
state, §3.2.1), an optional auxiliary section (§3.2.2), then the access units. One AU
may be fragmented over several packets with the same timestamp, the last one with the
marker bit (§3.2.3). Interleaving (a non-zero AU-index-delta) is refused.

AU-headers of a whole number of bytes with nothing but AU-size and AU-index(-delta) -
AAC-hbr's 16 bits (sizelength 13, indexlength 3, §3.3.6) and AAC-lbr's 8 bits (6, 2,
§3.3.5), what cameras send - are read a section at a time (``_fixed_sizes``); any other
layout, and any section that fast read does not accept, go through the bit reader, which
then gives the same sizes or the same error.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass

from onvif_recorder.codecs.aac import parse_audio_specific_config
from onvif_recorder.codecs.bits import BitReader
from onvif_recorder.codecs.errors import BitstreamError
from onvif_recorder.rtp.depacketize.base import AacConfig, AccessUnit
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded
from onvif_recorder.rtp.packet import RtpPacket

MAX_AAC_ACCESS_UNIT = 64 * 1024
MAX_AUS_PER_PACKET = 512


@dataclass(frozen=True, slots=True)
class AuHeaderLayout:
    """The fmtp parameters that shape AU headers (RFC 3640 §4.1); AAC-hbr by default."""

    size_length: int = 13
    index_length: int = 3
    index_delta_length: int = 3
    cts_delta_length: int = 0
    dts_delta_length: int = 0
    random_access_indication: bool = False
    stream_state_indication: int = 0
    auxiliary_data_size_length: int = 0

    @classmethod
    def from_fmtp(cls, fmtp: Mapping[str, str]) -> AuHeaderLayout:
        """Read the layout from lower-cased fmtp keys; bad numbers raise DepacketizeError."""
        def number(key: str) -> int:
            try:
                value = int(fmtp.get(key, "0"))
            except ValueError as exc:
                raise DepacketizeError(f"fmtp {key} is not a number") from exc
            if not 0 <= value <= 32:
                raise DepacketizeError(f"fmtp {key}={value} is out of range")
            return value
        return cls(number("sizelength"), number("indexlength"), number("indexdeltalength"),
                   number("ctsdeltalength"), number("dtsdeltalength"),
                   number("randomaccessindication") == 1, number("streamstateindication"),
                   number("auxiliarydatasizelength"))

    @property
    def fixed_header_bytes(self) -> int:
        """1 or 2 when every AU-header is that many whole bytes holding only AU-size and
        AU-index (AU-index-delta of the same length); 0 otherwise."""
        if (self.index_delta_length != self.index_length or self.cts_delta_length
                or self.dts_delta_length or self.random_access_indication
                or self.stream_state_indication or self.auxiliary_data_size_length):
            return 0
        bits = self.size_length + self.index_length
        return bits // 8 if bits in (8, 16) else 0

    @property
    def has_headers(self) -> bool:
        return any((self.size_length, self.index_length, self.index_delta_length,
                    self.cts_delta_length, self.dts_delta_length,
                    self.random_access_indication, self.stream_state_indication))


class AacDepacketizer:
    """RTP packets in, AAC access units (raw frames, no ADTS) out; one unit per frame."""

    def __init__(self, config: bytes, layout: AuHeaderLayout | None = None, *,
                 max_size: int = MAX_AAC_ACCESS_UNIT) -> None:
        try:
            info = parse_audio_specific_config(config)
        except BitstreamError as exc:
            raise DepacketizeError(f"invalid AudioSpecificConfig: {exc}") from exc
        self.config = AacConfig(config, info)
        self.layout = layout or AuHeaderLayout()
        if self.layout.size_length == 0:
            raise DepacketizeError("mpeg4-generic without sizelength is not supported")
        self.max_size = max_size
        self.discarded = 0
        self.skipped_before_sync = 0
        self._fragment: list[bytes] = []
        self._fragment_size = 0
        self._fragment_key: tuple[int, int, int] | None = None  # timestamp, AU size, next seq
        self._sent_config = False
        self._header_bytes = self.layout.fixed_header_bytes
        self._index_mask = (1 << self.layout.index_length) - 1

    def push(self, packet: RtpPacket) -> list[AccessUnit]:
        """See ``base`` for the contract."""
        sizes, data = self._split(packet.payload)
        if self._fragment_key is not None:
            return self._continue_fragment(packet, sizes, data)
        if len(sizes) == 1 and sizes[0] > len(data):
            return self._start_fragment(packet, sizes[0], data)
        if sum(sizes) > len(data):
            raise DepacketizeError("AAC access units are longer than the payload")
        units, pos = [], 0
        for size in sizes:
            units.append(data[pos : pos + size])
            pos += size
        return [self._unit(packet.timestamp, i, unit) for i, unit in enumerate(units)]

    def single_unit(self, timestamp: int, payload: bytes) -> AccessUnit | None:
        """``push`` of a packet whose payload is one 16-bit AU-header and that whole AU,
        with no fragment open (what cameras send for each frame); None, with nothing
        changed, for any other payload (``push`` it)."""
        if (self._fragment_key is not None or self._header_bytes != 2
                or payload[:2] != b"\x00\x10" or len(payload) < 4
                or int.from_bytes(payload[2:4], "big") >> self.layout.index_length
                != len(payload) - 4):
            return None
        return self._unit(timestamp, 0, payload[4:])

    def _split(self, payload: bytes) -> tuple[list[int], bytes]:
        """Parse the AU-headers and auxiliary sections; return AU sizes and the AU data."""
        if len(payload) < 2:
            raise DepacketizeError("AAC payload is too short")
        header_bits = int.from_bytes(payload[:2], "big")
        header_end = 2 + (header_bits + 7) // 8
        if header_end > len(payload):
            raise DepacketizeError("AAC AU-headers section is truncated")
        if self._header_bytes:
            sizes = self._fixed_sizes(payload, header_bits)
            if sizes is not None:
                return sizes, payload[header_end:]
        try:
            sizes = self._read_headers(BitReader(payload[2:header_end]), header_bits)
            data_start = self._skip_auxiliary(payload, header_end)
        except BitstreamError as exc:
            raise DepacketizeError(f"AAC AU header: {exc}") from exc
        if not sizes:
            raise DepacketizeError("AAC packet has no AU header")
        return sizes, payload[data_start:]

    def _fixed_sizes(self, payload: bytes, header_bits: int) -> list[int] | None:
        """The AU sizes of a section of whole fixed-size headers, none interleaved and no
        more than ``MAX_AUS_PER_PACKET``; None for anything else, left to the bit reader
        so that errors stay the same."""
        width = self._header_bytes
        count, rest = divmod(header_bits, 8 * width)
        if rest or not 0 < count <= MAX_AUS_PER_PACKET:
            return None
        mask, shift = self._index_mask, self.layout.index_length
        if width == 2:
            headers: tuple[int, ...] | bytes = struct.unpack_from(f"!{count}H", payload, 2)
        else:
            headers = payload[2 : 2 + count]
        if count > 1 and any(header & mask for header in headers[1:]):
            return None  # interleaved: the bit reader says so
        return [header >> shift for header in headers]

    def _read_headers(self, reader: BitReader, header_bits: int) -> list[int]:
        layout, sizes = self.layout, []
        total = reader.bits_left
        while total - reader.bits_left < header_bits:
            sizes.append(reader.read_bits(layout.size_length))
            index = reader.read_bits(layout.index_delta_length if len(sizes) > 1
                                     else layout.index_length)
            if len(sizes) > 1 and index != 0:
                raise DepacketizeError("interleaved AAC (AU-index-delta != 0) is not supported")
            for length in (layout.cts_delta_length, layout.dts_delta_length):
                if length and reader.read_flag():
                    reader.skip_bits(length)
            reader.skip_bits(int(layout.random_access_indication)
                             + layout.stream_state_indication)
            if len(sizes) > MAX_AUS_PER_PACKET:
                raise LimitExceeded("AUs per packet", len(sizes), MAX_AUS_PER_PACKET)
        if total - reader.bits_left != header_bits:
            raise DepacketizeError("AU-headers-length does not match the AU headers")
        return sizes

    def _skip_auxiliary(self, payload: bytes, pos: int) -> int:
        length = self.layout.auxiliary_data_size_length
        if not length:
            return pos
        reader = BitReader(payload[pos:])
        aux_bits = reader.read_bits(length)
        return pos + (length + aux_bits + 7) // 8

    def _start_fragment(self, packet: RtpPacket, size: int, data: bytes) -> list[AccessUnit]:
        if size > self.max_size:
            raise LimitExceeded("AAC access unit size", size, self.max_size)
        self._fragment, self._fragment_size = [data], len(data)
        self._fragment_key = (packet.timestamp, size, (packet.sequence_number + 1) & 0xFFFF)
        return []

    def _continue_fragment(self, packet: RtpPacket, sizes: list[int],
                           data: bytes) -> list[AccessUnit]:
        timestamp, size, seq = self._fragment_key or (0, 0, 0)
        if (packet.timestamp, packet.sequence_number) != (timestamp, seq) or sizes != [size]:
            self._drop_fragment()
            self.discarded += 1
            return self.push(packet)
        self._fragment.append(data)
        self._fragment_size += len(data)
        self._fragment_key = (timestamp, size, (seq + 1) & 0xFFFF)
        if self._fragment_size > size or (packet.marker and self._fragment_size != size):
            self._drop_fragment()
            raise DepacketizeError("AAC fragments do not add up to the AU size")
        if not packet.marker:
            return []
        unit = b"".join(self._fragment)
        self._drop_fragment()
        return [self._unit(timestamp, 0, unit)]

    def _drop_fragment(self) -> None:
        self._fragment, self._fragment_size, self._fragment_key = [], 0, None

    def _unit(self, timestamp: int, index: int, data: bytes) -> AccessUnit:
        changed, self._sent_config = not self._sent_config, True
        offset = index * self.config.info.frame_length
        return AccessUnit((timestamp + offset) & 0xFFFFFFFF, (data,), True, self.config, changed)
