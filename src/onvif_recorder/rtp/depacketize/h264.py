"""H.264 RTP depacketizer (RFC 6184): single NAL unit, STAP-A and FU-A packets.

Non-interleaved mode only (packetization-mode 0 or 1, §5.4), which is what cameras
use; STAP-B, MTAP and FU-B (interleaved mode, §5.7) are refused packet by packet.
"""

from __future__ import annotations

from collections.abc import Sequence

from onvif_recorder.codecs import h264
from onvif_recorder.codecs.errors import BitstreamError
from onvif_recorder.rtp.depacketize.base import MAX_ACCESS_UNIT_SIZE, MAX_NAL_UNITS, H264Config
from onvif_recorder.rtp.depacketize.nal import NalDepacketizer, split_aggregate
from onvif_recorder.rtp.errors import DepacketizeError
from onvif_recorder.rtp.kernels.pure import CODEC_H264
from onvif_recorder.rtp.packet import RtpPacket

_AGGREGATION_TYPES = range(24, 30)


class H264Depacketizer(NalDepacketizer):
    """RTP packets in, H.264 access units (NAL units without start codes) out."""

    FRAGMENT_CODEC = CODEC_H264

    def __init__(self, sprop_parameter_sets: Sequence[bytes] = (), *,
                 wait_for_sync: bool = True, max_size: int = MAX_ACCESS_UNIT_SIZE,
                 max_nal_units: int = MAX_NAL_UNITS) -> None:
        super().__init__(wait_for_sync=wait_for_sync, max_size=max_size,
                         max_nal_units=max_nal_units)
        self._sps: bytes | None = None
        self._pps: bytes | None = None
        self._info: h264.SpsInfo | None = None
        for nal in sprop_parameter_sets:
            if nal:
                self._learn(nal)

    def _unpack(self, packet: RtpPacket) -> list[bytes]:
        payload = packet.payload
        if not payload:
            raise DepacketizeError("empty H.264 payload")
        if payload[0] & 0x80:
            raise DepacketizeError("H.264 NAL unit header has the forbidden_zero_bit set")
        kind = payload[0] & 0x1F
        if 1 <= kind <= 23:
            return self._single(payload)
        if kind == h264.NalType.STAP_A:
            self._abandon_fragment()
            units = split_aggregate(payload[1:], "STAP-A")
            if any(nal[0] & 0x1F in _AGGREGATION_TYPES or nal[0] & 0x80 for nal in units):
                raise DepacketizeError("STAP-A holds a packetization unit or a forbidden bit")
            return units
        if kind == h264.NalType.FU_A:
            return self._fu_a(payload, packet.sequence_number)
        raise DepacketizeError(f"H.264 packetization type {kind} is not supported")

    def _fu_a(self, payload: bytes, seq: int) -> list[bytes]:
        """FU-A (RFC 6184 §5.8): indicator F|NRI|28, header S|E|R|type."""
        if len(payload) < 3:
            raise DepacketizeError("FU-A packet is too short")
        fu_header = payload[1]
        kind = fu_header & 0x1F
        if kind in _AGGREGATION_TYPES or kind == 0:
            self.invalid_fragments += 1
            raise DepacketizeError(f"FU-A carries NAL unit type {kind}")
        if fu_header & 0x80:
            header, data = self._start_fragment(payload)
            return self._fragment_part(header, data, True, bool(fu_header & 0x40), seq)
        return self._fragment_part(b"", payload[2:], False, bool(fu_header & 0x40), seq)

    def _start_fragment(self, payload: bytes) -> tuple[bytes, bytes]:
        return bytes([(payload[0] & 0xE0) | (payload[1] & 0x1F)]), payload[2:]

    def _is_vcl(self, nal: bytes) -> bool:
        return 1 <= nal[0] & 0x1F <= 5

    def _is_sync(self, units: list[bytes]) -> bool:
        return h264.is_sync_sample(units)

    def _learn(self, nal: bytes) -> None:
        kind = nal[0] & 0x1F
        try:
            if kind == h264.NalType.SPS and nal != self._sps:
                self._info, self._sps = h264.parse_sps(nal), nal
            elif kind == h264.NalType.PPS and nal != self._pps:
                h264.parse_pps_ids(nal)
                self._pps = nal
        except BitstreamError:
            self.refused_parameter_sets += 1  # the parameter set in force stays

    def _reorder_depth(self) -> int | None:
        return None if self._info is None else self._info.reorder_depth

    def _config(self) -> H264Config | None:
        if self._sps is None:
            return None
        return H264Config(self._sps, self._pps, self._info)
