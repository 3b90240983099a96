"""The one durable segment writer, shared by local storage and the upload spool.

RC Annex B.3 wants a finished segment always readable. Both places that write segments
(``storage.local.LocalStorage`` and ``storage.upload_queue.UploadSpool``) do it with
this module, so they keep the same guarantees:

* a segment being written is ``<final>.partial``; ``append`` writes through an
  unbuffered file descriptor, so each fragment is in the kernel when it returns and
  survives ``kill -9``;
* ``fsync`` runs at most every ``fsync_interval`` seconds while writing (a power cut
  loses at most that much) and always before the rename that finishes the segment; the
  directory is fsynced after the rename, so a finished segment is on disk under its name;
* ``repair_partial`` turns the ``.partial`` a crash left into a finished segment at
  start-up: ``mp4.repair.repair_segment`` keeps the header and every complete fragment
  and rebuilds the ``mfra``; the result goes to ``<final>.tmp`` through this same writer
  (fsynced, renamed, directory fsynced) and the ``.partial`` is removed after. One without
  a complete fragment, or without our recovery box, is removed.

What a segment means (index rows, journal rows, span-end objects) stays with the
callers. ``on_write`` sees every byte written, in order: the spool computes an object's
MD5 with it.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from onvif_recorder.mp4.repair import repair_segment
from onvif_recorder.storage.segment_scan import SegmentFacts, scan_segment

PARTIAL = ".partial"
TEMPORARY = ".tmp"
"""A repaired segment before its rename; a leftover one is an interrupted repair."""
DEFAULT_FSYNC_INTERVAL = 5.0

WriteHook = Callable[[bytes], object]
_IOV_MAX = os.sysconf("SC_IOV_MAX") if "SC_IOV_MAX" in os.sysconf_names else 16

class SegmentFile:
    """A segment growing as ``<final><suffix>``; ``finish`` makes it ``final``."""

    def __init__(self, final: Path, *, fsync_interval: float = DEFAULT_FSYNC_INTERVAL,
                 clock: Callable[[], float] = time.monotonic, on_write: WriteHook | None = None,
                 suffix: str = PARTIAL) -> None:
        self.final = final
        self.path = final.with_name(final.name + suffix)
        self.size = 0
        self.fsync_interval = fsync_interval
        self._clock = clock
        self._on_write = on_write
        final.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._synced_at = clock()

    def append(self, *parts: bytes) -> None:
        """Write ``parts`` (in order: one fragment's boxes and samples, or any bytes)
        through to the kernel in one ``writev``; fsync when the interval has passed."""
        size = sum(map(len, parts))
        written = os.writev(self._fd, parts) if len(parts) <= _IOV_MAX else 0
        if written < size:  # a short write (or too many parts): the rest, in order
            view = memoryview(b"".join(parts))[written:]
            while view:
                view = view[os.write(self._fd, view):]
        if self._on_write is not None:
            for part in parts:
                self._on_write(part)
        self.size += size
        now = self._clock()
        if now - self._synced_at >= self.fsync_interval:
            os.fsync(self._fd)
            self._synced_at = now

    def finish(self, before_rename: Callable[[], object] | None = None) -> int:
        """fsync, close, rename to ``final``, fsync the directory; returns the size.
        ``before_rename`` runs between the fsync and the rename (a test hook)."""
        os.fsync(self._fd)
        self._close()
        if before_rename is not None:
            before_rename()
        os.replace(self.path, self.final)
        fsync_directory(self.final.parent)
        return self.size

    def abandon(self) -> None:
        """Close after a writer failure, keeping the file for ``repair_partial``."""
        with contextlib.suppress(OSError):
            self._close()

    def discard(self) -> None:
        """Close and remove the file: the segment is given up."""
        self.abandon()
        self.path.unlink(missing_ok=True)

    def _close(self) -> None:
        fd, self._fd = self._fd, -1
        os.close(fd)


@dataclass(frozen=True, slots=True)
class RepairOutcome:
    final: Path
    fragments: int
    """Complete fragments kept in ``final``; 0: nothing to keep, the partial is gone."""
    size: int
    """Bytes of the repaired segment (0 when nothing was kept)."""
    lost_bytes: int
    """Bytes of the torn tail (and of any old ``mfra``) left out."""
    facts: SegmentFacts | None
    """What the kept segment says about itself; also when no fragment survived but the
    header did. None without a complete header carrying our recovery box."""


def repair_partial(partial: Path, on_write: WriteHook | None = None) -> RepairOutcome:
    """Make ``partial`` (``<final>.partial``) a finished segment, or remove it.

    When only ``final`` is there, a repair renamed it before a crash cut the caller's
    bookkeeping short: it is read back (repairing a repaired segment gives it again).
    """
    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    source = partial if partial.exists() or not final.exists() else final
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return RepairOutcome(final, 0, 0, 0, None)
    try:
        repaired = repair_segment(data)
        facts: SegmentFacts | None = scan_segment(repaired.data)
    except ValueError:
        repaired, facts = None, None
    if repaired is None or not repaired.fragments:
        partial.unlink(missing_ok=True)
        return RepairOutcome(final, 0, 0, len(data), facts)
    writer = SegmentFile(final, fsync_interval=math.inf, on_write=on_write, suffix=TEMPORARY)
    try:
        writer.append(repaired.data)
    except OSError:
        writer.discard()
        raise
    size = writer.finish()
    partial.unlink(missing_ok=True)
    return RepairOutcome(final, repaired.fragments, size, repaired.dropped_bytes, facts)


def fsync_directory(directory: Path) -> None:
    """Make a rename (or creation) in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
