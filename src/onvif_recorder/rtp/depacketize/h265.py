"""H.265 RTP depacketizer (RFC 7798): single NAL unit, aggregation (AP) and FU packets.

Decoding order numbers (DONL/DOND, present when ``sprop-max-don-diff`` > 0, §4.4) are
skipped over; units are kept in transmission order. PACI packets (§4.4.4) are refused.
"""

from __future__ import annotations

from onvif_recorder.codecs import h265
from onvif_recorder.codecs.errors import BitstreamError
from onvif_recorder.rtp.depacketize.base import MAX_ACCESS_UNIT_SIZE, MAX_NAL_UNITS, H265Config
from onvif_recorder.rtp.depacketize.nal import NalDepacketizer, split_aggregate
from onvif_recorder.rtp.errors import DepacketizeError
from onvif_recorder.rtp.kernels.pure import CODEC_H265
from onvif_recorder.rtp.packet import RtpPacket


class H265Depacketizer(NalDepacketizer):
    """RTP packets in, H.265 access units (NAL units without start codes) out."""

    FRAGMENT_CODEC = CODEC_H265

    def __init__(self, vps: bytes | None = None, sps: bytes | None = None,
                 pps: bytes | None = None, *, donl: bool = False, wait_for_sync: bool = True,
                 max_size: int = MAX_ACCESS_UNIT_SIZE,
                 max_nal_units: int = MAX_NAL_UNITS) -> None:
        super().__init__(wait_for_sync=wait_for_sync, max_size=max_size,
                         max_nal_units=max_nal_units)
        self.donl = donl
        self._vps: bytes | None = None
        self._sps: bytes | None = None
        self._pps: bytes | None = None
        self._info: h265.SpsInfo | None = None
        for nal in (vps, sps, pps):
            if nal is not None and len(nal) >= 2:
                self._learn(nal)

    @property
    def _plain_start_fragments(self) -> bool:
        return not self.donl  # RFC 7798 §4.4.3: DONL follows the FU header of a start

    def _unpack(self, packet: RtpPacket) -> list[bytes]:
        payload = packet.payload
        if len(payload) < 3:
            raise DepacketizeError("H.265 payload is too short")
        if payload[0] & 0x80:
            raise DepacketizeError("H.265 payload header has the forbidden_zero_bit set")
        kind = (payload[0] >> 1) & 0x3F
        don = 2 if self.donl else 0
        if kind < h265.NalType.AP:
            if len(payload) <= 2 + don:
                raise DepacketizeError("H.265 single NAL unit packet is empty")
            return self._single(payload[:2] + payload[2 + don :])
        if kind == h265.NalType.AP:
            self._abandon_fragment()
            units = split_aggregate(payload[2:], "H.265 AP", don, don // 2)
            if any(len(nal) < 2 or nal[0] & 0x80 or (nal[0] >> 1) & 0x3F >= 48
                   for nal in units):
                raise DepacketizeError("H.265 AP holds an invalid NAL unit")
            return units
        if kind == h265.NalType.FU:
            return self._fu(payload, packet.sequence_number, don)
        raise DepacketizeError(f"H.265 packetization type {kind} is not supported")

    def _fu(self, payload: bytes, seq: int, don: int) -> list[bytes]:
        """FU (RFC 7798 §4.4.3): payload header, FU header S|E|type, DONL on the first."""
        fu_header = payload[2]
        kind = fu_header & 0x3F
        if kind >= h265.NalType.AP:
            self.invalid_fragments += 1  # RFC 7798 §4.4.3: not an AP, FU or PACI
            raise DepacketizeError(f"H.265 FU carries NAL unit type {kind}")
        if fu_header & 0x80:
            header, data = self._start_fragment(payload)
            return self._fragment_part(header, data, True, bool(fu_header & 0x40), seq)
        return self._fragment_part(b"", payload[3:], False, bool(fu_header & 0x40), seq)

    def _start_fragment(self, payload: bytes) -> tuple[bytes, bytes]:
        kind = payload[2] & 0x3F
        don = 2 if self.donl else 0
        return bytes([(payload[0] & 0x81) | (kind << 1), payload[1]]), payload[3 + don :]

    def _is_vcl(self, nal: bytes) -> bool:
        return (nal[0] >> 1) & 0x3F < 32

    def _is_sync(self, units: list[bytes]) -> bool:
        return h265.is_sync_sample(units)

    def _learn(self, nal: bytes) -> None:
        kind = (nal[0] >> 1) & 0x3F
        try:
            if kind == h265.NalType.VPS and nal != self._vps:
                h265.parse_vps(nal)
                self._vps = nal
            elif kind == h265.NalType.SPS and nal != self._sps:
                self._info, self._sps = h265.parse_sps(nal), nal
            elif kind == h265.NalType.PPS and nal != self._pps:
                h265.parse_pps_ids(nal)
                self._pps = nal
        except BitstreamError:
            self.refused_parameter_sets += 1  # the parameter set in force stays

    def _reorder_depth(self) -> int | None:
        return None if self._info is None else self._info.reorder_depth

    def _config(self) -> H265Config | None:
        if self._sps is None:
            return None
        return H265Config(self._vps, self._sps, self._pps, self._info)
