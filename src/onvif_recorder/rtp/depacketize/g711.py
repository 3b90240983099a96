"""G.711 depacketizer: PCMU (µ-law) and PCMA (A-law), RFC 3551 §4.5.14.

Each packet is one access unit of ``len(payload) / channels`` samples at 8000 Hz (or
the rtpmap rate).
"""

from __future__ import annotations

from onvif_recorder.rtp.depacketize.base import AccessUnit, G711Config
from onvif_recorder.rtp.errors import DepacketizeError, LimitExceeded
from onvif_recorder.rtp.packet import RtpPacket

MAX_G711_PACKET = 16 * 1024


class G711Depacketizer:
    """RTP packets in, G.711 sample blocks out; every block is a sync sample."""

    def __init__(self, encoding: str = "PCMU", sample_rate: int = 8000, channels: int = 1,
                 *, max_size: int = MAX_G711_PACKET) -> None:
        encoding = encoding.upper()
        if encoding not in ("PCMU", "PCMA") or sample_rate <= 0 or not 1 <= channels <= 8:
            raise DepacketizeError(f"unsupported G.711 format {encoding}/{sample_rate}/{channels}")
        self.config = G711Config(encoding, sample_rate, channels)
        self.max_size = max_size
        self.discarded = 0
        self.skipped_before_sync = 0
        self._sent_config = False

    def push(self, packet: RtpPacket) -> list[AccessUnit]:
        """See ``base`` for the contract."""
        payload = packet.payload
        if not payload or len(payload) % self.config.channels:
            raise DepacketizeError("G.711 payload is empty or not whole samples")
        if len(payload) > self.max_size:
            raise LimitExceeded("G.711 packet size", len(payload), self.max_size)
        changed, self._sent_config = not self._sent_config, True
        return [AccessUnit(packet.timestamp, (payload,), True, self.config, changed)]
