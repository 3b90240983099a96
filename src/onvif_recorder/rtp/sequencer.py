"""16-bit sequence number unwrapping, reordering, loss and duplicate counting.

RFC 3550 §A.1 keeps a 32-bit extended sequence number (16 bits of wrap count over the
16-bit field) and treats a jump of more than ``max_dropout`` as a restart of the
source. On top of that, ``Sequencer`` is a small reorder buffer: it holds packets that
arrive ahead of a gap, releases them in order once the gap fills, and gives up on the
gap (counting the missing packets as lost) once more than ``window`` packets wait.
A packet older than the release point is a duplicate if it was seen, else "late"; both
are dropped. Over TCP nothing is ever reordered, and the buffer stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

SEQ_MOD = 1 << 16
DEFAULT_WINDOW = 64
DEFAULT_MAX_DROPOUT = 3000
_SEEN_MEMORY = 512


def seq_delta(a: int, b: int) -> int:
    """Signed distance ``a - b`` between two 16-bit sequence numbers (RFC 1982 style)."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


@dataclass(slots=True)
class SequenceStats:
    """Counters for one source (RFC 3550 §6.4.1 terms where they exist)."""

    received: int = 0
    """Distinct packets accepted since ``base`` (duplicates and late packets excluded)."""
    duplicates: int = 0
    late: int = 0
    """Packets that arrived after their gap was declared lost, or far out of sequence."""
    lost: int = 0
    """Packets never received, counted when the reorder window gave up on them."""
    reordered: int = 0
    restarts: int = 0
    base: int | None = None
    """Extended sequence number of the first packet (after the last restart)."""
    highest: int | None = None
    """Highest extended sequence number seen."""

    @property
    def expected(self) -> int:
        """Packets expected from ``base`` to ``highest`` (RFC 3550 §A.3)."""
        if self.base is None or self.highest is None:
            return 0
        return self.highest - self.base + 1


@dataclass(frozen=True, slots=True)
class Released(Generic[T]):
    """A packet released in order; ``lost_before`` packets are missing just before it."""

    extended_seq: int
    item: T
    lost_before: int = 0


class Sequencer(Generic[T]):
    """Unwraps sequence numbers and releases items in order (see the module docstring)."""

    def __init__(self, window: int = DEFAULT_WINDOW,
                 max_dropout: int = DEFAULT_MAX_DROPOUT) -> None:
        if window < 0 or not 0 < max_dropout < SEQ_MOD // 2:
            raise ValueError("window must be >= 0 and 0 < max_dropout < 32768")
        self.window = window
        self.max_dropout = max_dropout
        self.stats = SequenceStats()
        self._next: int | None = None  # extended seq of the next packet to release
        self._pending: dict[int, T] = {}
        self._seen: set[int] = set()
        self._bad_seq: int | None = None

    def push(self, seq: int, item: T) -> list[Released[T]]:
        """Accept one packet with 16-bit ``seq``; return whatever can now be released."""
        if self._next is None or self.stats.highest is None:
            return self._start(seq & 0xFFFF, item)
        ext = self.stats.highest + seq_delta(seq & 0xFFFF, self.stats.highest & 0xFFFF)
        if abs(ext - self._next) > self.max_dropout:
            return self._jump(seq & 0xFFFF, item)
        self._bad_seq = None
        if ext < self._next or ext in self._pending:
            self._count_stale(ext)
            return []
        if ext < self.stats.highest:
            self.stats.reordered += 1
        self.stats.highest = max(self.stats.highest, ext)
        self.stats.received += 1
        if ext == self._next and not self._pending:  # the common case: in order, nothing held
            self._next += 1
            self._remember(ext)
            return [Released(ext, item)]
        self._pending[ext] = item
        return self._release()

    def next_in_order(self) -> int | None:
        """The 16-bit sequence number ``push`` releases at once, with nothing held; None
        when a packet is held for reordering (or none came yet)."""
        if self._next is None or self._pending:
            return None
        return self._next & 0xFFFF

    def advance(self, count: int) -> None:
        """``push`` of ``count`` packets numbered from ``next_in_order()`` on, whose
        releases the caller handles itself (``RtpStream.receive_rtp_batch``)."""
        assert self._next is not None and not self._pending
        first = self._next
        self._bad_seq = None
        self._next += count
        self.stats.highest = self._next - 1
        self.stats.received += count
        self._seen.update(range(first, self._next))
        self._seen.difference_update(range(first - _SEEN_MEMORY, self._next - _SEEN_MEMORY))

    def _jump(self, seq: int, item: T) -> list[Released[T]]:
        """A jump past max_dropout: restart only if the next packet confirms it (RFC 3550 A.1)."""
        if self._bad_seq == seq:
            self._bad_seq = None
            self.stats.restarts += 1
            return self._start(seq, item, self._drain())
        self._bad_seq = (seq + 1) & 0xFFFF
        self.stats.late += 1
        return []

    def flush(self) -> list[Released[T]]:
        """Release everything held, declaring the remaining gaps lost (e.g. at teardown)."""
        return self._drain()

    def _start(self, seq: int, item: T,
               before: list[Released[T]] | None = None) -> list[Released[T]]:
        # Keep the wrap count going across a restart so extended numbers stay monotonic.
        cycles = 0 if self.stats.highest is None else (self.stats.highest + SEQ_MOD) & ~0xFFFF
        ext = cycles + seq
        self.stats.base = ext
        self.stats.highest = ext
        self.stats.received = 1
        self._next = ext + 1
        self._seen.clear()
        self._remember(ext)
        return [*(before or []), Released(ext, item)]

    def _count_stale(self, ext: int) -> None:
        if ext in self._seen or ext in self._pending:
            self.stats.duplicates += 1
        else:
            self.stats.late += 1

    def _release(self) -> list[Released[T]]:
        assert self._next is not None
        out: list[Released[T]] = []
        lost = 0
        while self._pending:
            if self._next in self._pending:
                out.append(Released(self._next, self._pending.pop(self._next), lost))
                self._remember(self._next)
                lost = 0
                self._next += 1
            elif len(self._pending) > self.window:
                skip_to = min(self._pending)
                lost += skip_to - self._next
                self.stats.lost += skip_to - self._next
                self._next = skip_to
            else:
                break
        return out

    def _drain(self) -> list[Released[T]]:
        saved, self.window = self.window, 0
        try:
            return self._release() if self._next is not None else []
        finally:
            self.window = saved

    def _remember(self, ext: int) -> None:
        self._seen.add(ext)
        self._seen.discard(ext - _SEEN_MEMORY)
