"""Which bytes of a sample stay clear (ISO/IEC 23001-7 §9.5, §10.1-§10.4).

Audio and metadata samples are encrypted whole (no subsamples). A video sample of
length-prefixed NAL units is split into subsamples, one (BytesOfClearData,
BytesOfProtectedData) pair per VCL NAL unit: its length prefix and NAL unit header stay
clear, and so does every non-VCL NAL unit (parameter sets, SEI, AUD), which joins the
clear part of the next pair. In ``cenc`` the protected part is a whole number of
16-byte blocks (the remainder joins the clear part), as Bento4 and Shaka write it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

_MAX_CLEAR = 0xFFFF
"""BytesOfClearData is 16 bits; longer clear runs take pairs with nothing protected."""
BLOCK = 16


@dataclass(frozen=True, slots=True)
class Subsample:
    clear: int
    protected: int


class SliceHeaderSizes(Protocol):
    def clear_size(self, nal: bytes) -> int:
        """Bytes of a slice NAL unit up to the end of its slice header (``cbcs``)."""
        ...


@dataclass(frozen=True, slots=True)
class NalLayout:
    """How a codec's samples are cut into NAL units, and which units carry slices."""

    length_size: int
    header_size: int
    """1 for H.264, 2 for H.265."""
    is_vcl: Callable[[bytes], bool]
    """True for a NAL unit (without its length prefix) that carries slice data."""
    parameter_sets: tuple[bytes, ...] = ()
    slice_headers: Callable[[Sequence[bytes]], SliceHeaderSizes] | None = None
    """Builds the codec's slice header parser from ``parameter_sets`` (``codecs/``)."""

    def slice_header_sizes(self) -> SliceHeaderSizes:
        if self.slice_headers is None:
            raise ValueError("this codec has no slice header parser")
        return self.slice_headers(self.parameter_sets)


def nal_units(sample: bytes, length_size: int) -> Iterator[tuple[int, int]]:
    """(offset, size) of each NAL unit including its length prefix."""
    offset = 0
    while offset < len(sample):
        if offset + length_size > len(sample):
            raise ValueError("sample ends inside a NAL unit length")
        size = int.from_bytes(sample[offset:offset + length_size], "big")
        end = offset + length_size + size
        if end > len(sample):
            raise ValueError("NAL unit runs past the end of its sample")
        yield offset, end - offset
        offset = end


def video_subsamples(sample: bytes, layout: NalLayout,
                     clear_header: Callable[[bytes], int] | None = None,
                     block_multiple: bool = True) -> list[Subsample]:
    """The subsample map of one video sample; sizes add up to ``len(sample)``.

    ``clear_header`` gives, for a VCL NAL unit, how many of its bytes stay clear (the
    slice header for ``cbcs``); by default only its NAL unit header does.
    """
    pairs: list[Subsample] = []
    pending = 0
    for offset, size in nal_units(sample, layout.length_size):
        nal = sample[offset + layout.length_size:offset + size]
        if not layout.is_vcl(nal):
            pending += size
            continue
        head = layout.header_size if clear_header is None else clear_header(nal)
        clear = min(size, layout.length_size + head)
        protected = size - clear
        if block_multiple:
            protected -= protected % BLOCK
        clear = size - protected
        pairs += _clear_run(pending + clear, protected)
        pending = 0
    if pending:
        pairs += _clear_run(pending, 0)
    return pairs


def _clear_run(clear: int, protected: int) -> list[Subsample]:
    """One pair, preceded by clear-only pairs while ``clear`` exceeds 16 bits."""
    pairs = []
    while clear > _MAX_CLEAR:
        pairs.append(Subsample(_MAX_CLEAR, 0))
        clear -= _MAX_CLEAR
    pairs.append(Subsample(clear, protected))
    return pairs


def protected_ranges(subsamples: list[Subsample], size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each protected range; the whole sample when there are no pairs."""
    if not subsamples:
        yield 0, size
        return
    offset = 0
    for pair in subsamples:
        offset += pair.clear
        if pair.protected:
            yield offset, offset + pair.protected
        offset += pair.protected
