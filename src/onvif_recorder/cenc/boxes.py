"""Common Encryption boxes (ISO/IEC 23001-7 §8; ISO/IEC 14496-12 §8.7.8, §8.7.9, §8.12).

In the ``moov`` (``init_segment.py`` places them)::

    |encv|enca|encm|        the codec's sample entry under its protected 4CC
    |    |sinf|             ProtectionSchemeInfoBox, appended after the codec's boxes
    |    |    |frma|        original 4CC
    |    |    |schm|        scheme ``cenc``/``cbcs``, version 1.0
    |    |    |schi|
    |    |    |    |tenc|   default KID, IV size, pattern
    |pssh|                  W3C "cenc" (B.8.1), then one AsymmetricKeySystemHeaderBox per KID

In each ``traf`` (``fragment.py`` places them after ``trun``)::

    |saiz| |saio| |senc|    per-sample IVs and subsample maps; ``saio`` points into ``senc``

``saio``'s offset is the one value that depends on placement; ``fragment.py`` computes
it with the ``trun`` data offsets, from ``SENC_IV_OFFSET`` and ``SAIO_SIZE``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.cenc.subsamples import Subsample
from onvif_recorder.mp4.boxes import FULL_HEADER_SIZE, box, fourcc, full_box, u8, u16, u32

W3C_SYSTEM_ID = uuid.UUID("1077efec-c0b2-4d02-ace3-3c1e52e2fb4b").bytes
"""W3C Common PSSH box format (RC B.8.1.2)."""

SCHEME_VERSION = 0x00010000
_SENC_SUBSAMPLES = 0x000002
SENC_IV_OFFSET = FULL_HEADER_SIZE + 4
"""From the ``senc`` start to its first sample's IV: header, version/flags, sample_count."""
SAIO_SIZE = FULL_HEADER_SIZE + 4 + 4
"""``saio`` version 0 with one 32-bit offset."""


@dataclass(frozen=True, slots=True)
class SampleAuxInfo:
    """One sample's auxiliary information: its IV and subsample map (§7.2)."""

    iv: bytes
    subsamples: tuple[Subsample, ...] = ()

    def encode(self, with_subsamples: bool) -> bytes:
        if not with_subsamples:
            return self.iv
        pairs = b"".join(u16(p.clear) + u32(p.protected) for p in self.subsamples)
        return self.iv + u16(len(self.subsamples)) + pairs


@dataclass(frozen=True, slots=True)
class SampleEncryption:
    """The ``senc`` entries of one track run, in sample order."""

    samples: tuple[SampleAuxInfo, ...]
    subsamples: bool
    """Whether the entries carry subsample maps (video) or only IVs."""

    def saiz(self) -> bytes:
        return saiz(self.samples, self.subsamples)

    def senc(self) -> bytes:
        return senc(self.samples, self.subsamples)


@dataclass(frozen=True, slots=True)
class TrackEncryptionInfo:
    """What ``tenc`` says about a track (§8.2)."""

    scheme: str
    """``cenc`` or ``cbcs``."""
    kid: bytes
    iv_size: int
    """Per-sample IV size: 8 or 16; 0 with a constant IV (``cbcs``)."""
    crypt_byte_block: int = 0
    skip_byte_block: int = 0
    constant_iv: bytes = b""


def tenc(info: TrackEncryptionInfo) -> bytes:
    """TrackEncryptionBox: version 1 carries the pattern (``cbcs``)."""
    version = 1 if info.scheme == "cbcs" else 0
    pattern = (info.crypt_byte_block << 4 | info.skip_byte_block) if version else 0
    fields = [u8(0), u8(pattern), u8(1), u8(info.iv_size), info.kid]
    if info.iv_size == 0:
        fields += [u8(len(info.constant_iv)), info.constant_iv]
    return full_box(b"tenc", version, 0, *fields)


def sinf(original_format: str, info: TrackEncryptionInfo) -> bytes:
    """|sinf| → |frma| |schm| |schi| → |tenc|"""
    return box(b"sinf",
               box(b"frma", fourcc(original_format)),
               full_box(b"schm", 0, 0, fourcc(info.scheme), u32(SCHEME_VERSION)),
               box(b"schi", tenc(info)))


def senc(samples: Sequence[SampleAuxInfo], with_subsamples: bool) -> bytes:
    """SampleEncryptionBox (§7.2.1): flag 2 when subsample maps follow the IVs."""
    flags = _SENC_SUBSAMPLES if with_subsamples else 0
    body = b"".join(s.encode(with_subsamples) for s in samples)
    return full_box(b"senc", 0, flags, u32(len(samples)), body)


def saiz(samples: Sequence[SampleAuxInfo], with_subsamples: bool) -> bytes:
    """SampleAuxiliaryInformationSizesBox (14496-12 §8.7.8), type implied by the scheme."""
    sizes = [len(s.encode(with_subsamples)) for s in samples]
    if len(set(sizes)) == 1:
        return full_box(b"saiz", 0, 0, u8(sizes[0]), u32(len(sizes)))
    return full_box(b"saiz", 0, 0, u8(0), u32(len(sizes)), bytes(sizes))


def saio(offset: int) -> bytes:
    """SampleAuxiliaryInformationOffsetsBox (§8.7.9): one offset, from the ``moof`` start."""
    return full_box(b"saio", 0, 0, u32(1), u32(offset))


def w3c_pssh(kids: Sequence[bytes]) -> bytes:
    """The W3C common ``pssh`` (RC B.8.1): version 1, the KIDs in use, no data."""
    unique = list(dict.fromkeys(kids))
    return full_box(b"pssh", 1, 0, W3C_SYSTEM_ID, u32(len(unique)), *unique, u32(0))
