"""Access units → ISO-BMFF sample data (ISO/IEC 14496-15 §5.3.2, §8.3.2).

Video samples are NAL units with 4-byte big-endian lengths (the ``avcC``/``hvcC``
lengthSizeMinusOne = 3 this package writes). Parameter sets and access unit
delimiters are left out: the parameter sets are in the sample entry, and a change of
them starts a new span (RC Annex B.2), so an ``avc1``/``hvc1`` entry is always exact.
"""

from __future__ import annotations

from collections.abc import Sequence

from onvif_recorder.codecs import h264, h265

_AVC_OUT_OF_BAND = frozenset({h264.NalType.SPS, h264.NalType.PPS, h264.NalType.AUD})
_HEVC_OUT_OF_BAND = frozenset({h265.NalType.VPS, h265.NalType.SPS, h265.NalType.PPS,
                               h265.NalType.AUD})


def avc_sample(nal_units: Sequence[bytes]) -> bytes:
    """H.264 access unit → ``avc1`` sample data."""
    kept = [nal for nal in nal_units if nal and nal[0] & 0x1F not in _AVC_OUT_OF_BAND]
    return h264.to_length_prefixed(kept)


def hevc_sample(nal_units: Sequence[bytes]) -> bytes:
    """H.265 access unit → ``hvc1`` sample data."""
    kept = [nal for nal in nal_units
            if len(nal) >= 2 and (nal[0] >> 1) & 0x3F not in _HEVC_OUT_OF_BAND]
    return h264.to_length_prefixed(kept)


def avc_parameter_sets(nal_units: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
    """The SPS and PPS NAL units found in an access unit."""
    sps = [nal for nal in nal_units if nal and nal[0] & 0x1F == h264.NalType.SPS]
    pps = [nal for nal in nal_units if nal and nal[0] & 0x1F == h264.NalType.PPS]
    return sps, pps


def hevc_parameter_sets(nal_units: Sequence[bytes]) -> tuple[list[bytes], ...]:
    """The VPS, SPS and PPS NAL units found in an access unit."""
    def of(kind: int) -> list[bytes]:
        return [nal for nal in nal_units if len(nal) >= 2 and (nal[0] >> 1) & 0x3F == kind]
    return of(h265.NalType.VPS), of(h265.NalType.SPS), of(h265.NalType.PPS)
