"""Movie fragments: ``moof`` + ``mdat`` (ISO/IEC 14496-12 §8.8.4-§8.8.12, §8.16.5).

Box tree of ``encode_fragment()``::

    |prft|                  optional ProducerReferenceTimeBox: UTC of the fragment start
    |moof|
    |    |mfhd|             sequence_number
    |    |traf|             one per track that has samples, in the order given
    |    |    |tfhd|        default-base-is-moof, default duration/flags when uniform
    |    |    |tfdt|        baseMediaDecodeTime, version 1 once it passes 32 bits
    |    |    |trun|        data_offset, per-sample size (+ duration, flags, offsets)
    |    |    |saiz|saio|senc|  encrypted tracks only: IVs and subsample maps (cenc/boxes.py)
    |mdat|                  sample data of every traf, in traf order

Data offsets are fixed in one place, ``_data_offsets``: every other field's size is
known before writing, so the ``moof`` size is computed first and each ``trun``'s
``data_offset`` (relative to the ``moof`` start, since ``tfhd`` sets
default-base-is-moof as CMAF requires) is derived from it, and so is each ``saio``'s
offset to its ``senc`` entries (``_saio_offsets``); nothing is patched later.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from onvif_recorder.cenc.boxes import SAIO_SIZE, SENC_IV_OFFSET, SampleEncryption, saio
from onvif_recorder.mp4.boxes import (
    FULL_HEADER_SIZE,
    HEADER_SIZE,
    LARGE_HEADER_SIZE,
    U32_MAX,
    box,
    box_header,
    full_box,
    i32,
    u32,
    u64,
    uint,
    version_for,
)

SYNC_SAMPLE_FLAGS = 0x02000000
"""sample_depends_on = 2 (an I picture), sample_is_non_sync_sample = 0 (§8.8.3.1)."""
NON_SYNC_SAMPLE_FLAGS = 0x01010000
"""sample_depends_on = 1, sample_is_non_sync_sample = 1."""

_TFHD_DEFAULT_DURATION = 0x000008
_TFHD_DEFAULT_FLAGS = 0x000020
_TFHD_DEFAULT_BASE_IS_MOOF = 0x020000
_TRUN_DATA_OFFSET = 0x000001
_TRUN_FIRST_FLAGS = 0x000004
_TRUN_DURATION = 0x000100
_TRUN_SIZE = 0x000200
_TRUN_FLAGS = 0x000400
_TRUN_COMPOSITION = 0x000800


class RunSample(Protocol):
    """What ``trun`` needs of a sample: a ``FragmentSample``, or any object with these
    fields (the segmenter hands its placed samples over as they are, no copy per sample)."""

    @property
    def data(self) -> bytes: ...

    @property
    def duration(self) -> int: ...

    @property
    def sync(self) -> bool: ...

    @property
    def composition_offset(self) -> int: ...


def sample_flags(sample: RunSample) -> int:
    return SYNC_SAMPLE_FLAGS if sample.sync else NON_SYNC_SAMPLE_FLAGS


@dataclass(frozen=True, slots=True)
class FragmentSample:
    """One sample as ``trun`` describes it; ``duration`` and offset in media timescale."""

    data: bytes
    duration: int
    sync: bool
    composition_offset: int = 0

    @property
    def flags(self) -> int:
        return sample_flags(self)


@dataclass(frozen=True, slots=True)
class TrackRun:
    """The samples of one track in one fragment, starting at ``decode_time``."""

    track_id: int
    decode_time: int
    samples: Sequence[RunSample]
    encryption: SampleEncryption | None = None
    """Set when the samples are encrypted (ISO/IEC 23001-7): their ``senc`` entries."""


@dataclass(frozen=True, slots=True)
class ProducerReference:
    """``prft`` contents: UTC (as NTP) of ``media_time`` on ``track_id``'s timeline."""

    track_id: int
    ntp_timestamp: int
    media_time: int


@dataclass(frozen=True, slots=True)
class EncodedFragment:
    parts: tuple[bytes, ...]
    """The fragment's bytes in order, not joined: boxes, then every sample's data (a
    file writer hands them to one ``writev``; ``data`` joins them)."""
    size: int
    moof_offset: int
    """Offset of ``moof`` within ``data`` (after a ``prft``), for ``tfra``."""
    traf_numbers: dict[int, int]
    """track_ID → 1-based index of its ``traf`` in this ``moof``."""

    @property
    def data(self) -> bytes:
        return b"".join(self.parts)


@dataclass(frozen=True, slots=True)
class _Traf:
    head: bytes
    """``traf`` header, ``tfhd``, ``tfdt``, ``trun`` header and sample_count."""
    tail: bytes
    """``trun`` fields after data_offset."""
    payload: list[bytes]
    """The samples' data, joined only once, into the whole fragment."""
    payload_size: int
    saiz: bytes = b""
    senc: bytes = b""

    @property
    def size(self) -> int:
        return len(self.head) + 4 + len(self.tail) + self.aux_size

    @property
    def aux_size(self) -> int:
        return _aux_size(self.saiz, self.senc)

    def aux(self, senc_offset: int) -> bytes:
        """``saiz`` ``saio`` ``senc``, the ``saio`` pointing at ``senc_offset``."""
        return self.saiz + saio(senc_offset) + self.senc if self.senc else b""


def encode_fragment(sequence_number: int, runs: Sequence[TrackRun],
                    reference: ProducerReference | None = None) -> EncodedFragment:
    """``[prft] moof mdat`` for ``runs``; tracks without samples get no ``traf``."""
    runs = [run for run in runs if run.samples]
    if not runs:
        raise ValueError("a fragment needs at least one sample")
    trafs = [_traf(run) for run in runs]
    mfhd = full_box(b"mfhd", 0, 0, u32(sequence_number & U32_MAX))
    moof_size = HEADER_SIZE + len(mfhd) + sum(traf.size for traf in trafs)
    payload_size = sum(traf.payload_size for traf in trafs)
    offsets = _data_offsets(moof_size, payload_size, [t.payload_size for t in trafs])
    aux_offsets = _saio_offsets(HEADER_SIZE + len(mfhd), trafs)
    prft = producer_reference(reference) if reference else b""
    # Never joined here: each join copied the media once more and allocated a buffer as
    # large as the fragment (at 4 Mbit/s most of the muxing cost, issue 11 item 3).
    parts = [prft, box_header(b"moof", moof_size - HEADER_SIZE), mfhd]
    for traf, offset, aux in zip(trafs, offsets, aux_offsets, strict=True):
        parts += [traf.head, i32(offset), traf.tail, traf.aux(aux)]
    mdat_header = box_header(b"mdat", payload_size)
    parts.append(mdat_header)
    for traf in trafs:
        parts += traf.payload
    numbers = {run.track_id: index for index, run in enumerate(runs, start=1)}
    size = len(prft) + moof_size + len(mdat_header) + payload_size
    return EncodedFragment(tuple(parts), size, len(prft), numbers)


def _data_offsets(moof_size: int, payload_size: int, sizes: Sequence[int]) -> list[int]:
    """The one fix-up point: each ``trun`` data_offset from the ``moof`` start."""
    mdat_header = HEADER_SIZE if payload_size + HEADER_SIZE <= U32_MAX else LARGE_HEADER_SIZE
    offsets, position = [], moof_size + mdat_header
    for size in sizes:
        if position > 0x7FFFFFFF:
            raise ValueError("fragment too large for a 32-bit trun data_offset")
        offsets.append(position)
        position += size
    return offsets


def _aux_size(saiz: bytes, senc: bytes) -> int:
    return len(saiz) + SAIO_SIZE + len(senc) if senc else 0


def _saio_offsets(first_traf: int, trafs: Sequence[_Traf]) -> list[int]:
    """Each ``saio`` offset: its track's first ``senc`` IV, from the ``moof`` start."""
    offsets, position = [], first_traf
    for traf in trafs:
        offsets.append(position + traf.size - len(traf.senc) + SENC_IV_OFFSET)
        position += traf.size
    return offsets


def _traf(run: TrackRun) -> _Traf:
    """|traf| → |tfhd| |tfdt| |trun| for one track's run of samples."""
    samples = run.samples
    durations = [s.duration for s in samples]
    flags = [SYNC_SAMPLE_FLAGS if s.sync else NON_SYNC_SAMPLE_FLAGS for s in samples]
    offsets = [s.composition_offset for s in samples]
    uniform_duration = len(set(durations)) == 1
    tfhd_flags, tfhd_fields = _TFHD_DEFAULT_BASE_IS_MOOF, [u32(run.track_id)]
    if uniform_duration:
        tfhd_flags |= _TFHD_DEFAULT_DURATION
        tfhd_fields.append(u32(durations[0]))
    trun_flags, first_flags, default_flags = _flag_layout(flags)
    if default_flags is not None:
        tfhd_flags |= _TFHD_DEFAULT_FLAGS
        tfhd_fields.append(u32(default_flags))
    tfhd = full_box(b"tfhd", 0, tfhd_flags, *tfhd_fields)
    tfdt_version = version_for(run.decode_time)
    tfdt = full_box(b"tfdt", tfdt_version, 0, uint(run.decode_time, tfdt_version))
    trun_flags |= _TRUN_DATA_OFFSET | _TRUN_SIZE | (0 if uniform_duration else _TRUN_DURATION)
    if any(offsets):
        trun_flags |= _TRUN_COMPOSITION
    tail = _trun_tail(samples, trun_flags, first_flags, flags)
    trun_version = 1 if any(offset < 0 for offset in offsets) else 0
    trun_size = FULL_HEADER_SIZE + 4 + 4 + len(tail)
    saiz, senc = (b"", b"") if run.encryption is None else (
        run.encryption.saiz(), run.encryption.senc())
    traf_size = HEADER_SIZE + len(tfhd) + len(tfdt) + trun_size + _aux_size(saiz, senc)
    head = (box_header(b"traf", traf_size - HEADER_SIZE) + tfhd + tfdt
            + box_header(b"trun", trun_size - HEADER_SIZE)
            + u32(trun_version << 24 | trun_flags) + u32(len(samples)))
    payload = [s.data for s in samples]
    return _Traf(head, tail, payload, sum(map(len, payload)), saiz, senc)


def _flag_layout(flags: Sequence[int]) -> tuple[int, int | None, int | None]:
    """(trun flags, first_sample_flags, tfhd default_sample_flags) for these sample flags."""
    if len(set(flags)) == 1:
        return 0, None, flags[0]
    if len(set(flags[1:])) == 1:
        return _TRUN_FIRST_FLAGS, flags[0], flags[1]
    return _TRUN_FLAGS, None, None


def _trun_tail(samples: Sequence[RunSample], flags: int, first: int | None,
               per_sample: Sequence[int]) -> bytes:
    """TrackRunBox fields after data_offset (§8.8.8.2), packed in one call."""
    columns: list[Sequence[int]] = []
    row = ""
    if flags & _TRUN_DURATION:
        columns.append([sample.duration for sample in samples])
        row += "I"
    columns.append([len(sample.data) for sample in samples])
    row += "I"
    if flags & _TRUN_FLAGS:
        columns.append(per_sample)
        row += "I"
    if flags & _TRUN_COMPOSITION:
        columns.append([sample.composition_offset for sample in samples])
        row += "i"
    values = [value for fields in zip(*columns, strict=True) for value in fields]
    if first is not None:
        return struct.pack(">I" + row * len(samples), first, *values)
    return struct.pack(">" + row * len(samples), *values)


def producer_reference(reference: ProducerReference) -> bytes:
    """ProducerReferenceTimeBox v1 (§8.16.5), placed before the ``moof`` it refers to."""
    return full_box(b"prft", 1, 0, u32(reference.track_id), u64(reference.ntp_timestamp),
                    u64(reference.media_time))


def mdat(payload: bytes) -> bytes:
    """A stand-alone MediaDataBox (§8.1.1)."""
    return box(b"mdat", payload)
