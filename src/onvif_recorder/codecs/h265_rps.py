"""H.265 short-term reference picture sets (§7.3.7, semantics §7.4.8).

Slice headers need how many pictures a set holds and how many the current picture uses
(NumPicTotalCurr), and a set predicted from an earlier one (inter RPS prediction) needs
that set's delta POCs, so each set is kept as its two lists of (delta POC, used).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.codecs.bits import BitReader
from onvif_recorder.codecs.errors import BitstreamError

_MAX_PICTURES = 16


@dataclass(frozen=True, slots=True)
class ShortTermRps:
    before: tuple[tuple[int, bool], ...]
    """(DeltaPocS0, UsedByCurrPicS0) in decreasing POC order."""
    after: tuple[tuple[int, bool], ...]
    """(DeltaPocS1, UsedByCurrPicS1) in increasing POC order."""

    @property
    def used_count(self) -> int:
        return sum(used for _, used in self.before + self.after)


def read_short_term_rps(reader: BitReader, index: int, sps_count: int,
                        earlier: Sequence[ShortTermRps]) -> ShortTermRps:
    """st_ref_pic_set(index); ``index == sps_count`` is the one in a slice header."""
    if index and reader.read_flag():  # inter_ref_pic_set_prediction_flag
        return _predicted(reader, index, sps_count, earlier)
    negative, positive = reader.read_ue(), reader.read_ue()
    if negative + positive > _MAX_PICTURES:
        raise BitstreamError("short-term reference picture set too large")
    before, after, poc = [], [], 0
    for _ in range(negative):
        poc -= reader.read_ue() + 1
        before.append((poc, reader.read_flag()))
    poc = 0
    for _ in range(positive):
        poc += reader.read_ue() + 1
        after.append((poc, reader.read_flag()))
    return ShortTermRps(tuple(before), tuple(after))


def _predicted(reader: BitReader, index: int, sps_count: int,
               earlier: Sequence[ShortTermRps]) -> ShortTermRps:
    """A set predicted from RefRpsIdx, derived as equations 7-61 and 7-62 do."""
    delta_idx = reader.read_ue() + 1 if index == sps_count else 1
    if delta_idx > index:
        raise BitstreamError("delta_idx_minus1 points before the first set")
    reference = earlier[index - delta_idx]
    sign = reader.read_flag()
    delta_rps = (reader.read_ue() + 1) * (-1 if sign else 1)
    candidates = [delta for delta, _ in reference.before + reference.after] + [0]
    pictures: list[tuple[int, bool]] = []
    for delta in candidates:
        used = reader.read_flag()  # used_by_curr_pic_flag
        if (used or reader.read_flag()) and delta + delta_rps != 0:  # use_delta_flag
            pictures.append((delta + delta_rps, used))
    before = sorted((p for p in pictures if p[0] < 0), key=lambda p: -p[0])
    after = sorted(p for p in pictures if p[0] > 0)
    return ShortTermRps(tuple(before), tuple(after))
