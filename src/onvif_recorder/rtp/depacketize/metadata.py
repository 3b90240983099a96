"""ONVIF metadata stream depacketizer (ONVIF Streaming, "RTP for Metadata stream").

An XML document (root ``tt:MetadataStream``) may span several packets; the marker bit
is set on the packet that closes it. Its timestamp "has no specific meaning", so
fragments are joined by sequence number, not timestamp; the unit takes the first
packet's timestamp. A gap discards the partial document. ``+gzip`` payloads are
inflated (RFC 1952) under the same size cap, so a compression bomb is refused.
EXI payloads are passed through untouched.
"""

from __future__ import annotations

import zlib

from onvif_recorder.rtp.depacketize.base import AccessUnit, MetadataConfig
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded
from onvif_recorder.rtp.packet import RtpPacket

MAX_METADATA_DOCUMENT = 1024 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS


class MetadataDepacketizer:
    """RTP packets in, one access unit per complete metadata document out."""

    def __init__(self, encoding: str = "vnd.onvif.metadata", *,
                 max_size: int = MAX_METADATA_DOCUMENT) -> None:
        self.config = MetadataConfig(encoding.lower())
        self.max_size = max_size
        self.discarded = 0
        self.skipped_before_sync = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._timestamp = 0
        self._next_seq: int | None = None
        self._skipping = False
        self._sent_config = False

    def push(self, packet: RtpPacket) -> list[AccessUnit]:
        """See ``base`` for the contract."""
        if self._next_seq is not None and packet.sequence_number != self._next_seq:
            self._reset()
            self.discarded += 1
            self._skipping = True  # the rest of the broken document follows
        if not self._parts and not self._skipping:
            self._timestamp = packet.timestamp
        self._next_seq = (packet.sequence_number + 1) & 0xFFFF
        if self._skipping:
            self._skipping = not packet.marker
            self._next_seq = None if packet.marker else self._next_seq
            return []
        self._append(packet)
        if not packet.marker:
            return []
        document = b"".join(self._parts)
        self._reset()
        return [self._unit(document)]

    def _append(self, packet: RtpPacket) -> None:
        if self._size + len(packet.payload) > self.max_size:
            size = self._size + len(packet.payload)
            self._reset()
            self._skipping = not packet.marker
            raise LimitExceeded("metadata document size", size, self.max_size)
        self._parts.append(packet.payload)
        self._size += len(packet.payload)

    def _reset(self) -> None:
        self._parts, self._size, self._next_seq = [], 0, None

    def _unit(self, document: bytes) -> AccessUnit:
        if self.config.encoding.endswith("+gzip"):
            document = self._inflate(document)
        if not document:
            raise DepacketizeError("empty metadata document")
        changed, self._sent_config = not self._sent_config, True
        return AccessUnit(self._timestamp, (document,), True, self.config, changed)

    def _inflate(self, document: bytes) -> bytes:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            out = inflater.decompress(document, self.max_size)
        except zlib.error as exc:
            raise DepacketizeError(f"metadata gzip stream is corrupt: {exc}") from exc
        if inflater.unconsumed_tail:
            raise LimitExceeded("inflated metadata document size", self.max_size + 1,
                                self.max_size)
        return out
