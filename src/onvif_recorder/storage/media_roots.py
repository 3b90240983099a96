"""Several media roots (directories, usually on several disks), each with its reserve:
where local storage puts a new segment, and where an indexed segment lives.

A segment's index row names its root (``SegmentRow.root``: the root's absolute path;
empty for the default root ``<data dir>/media``), so reads find a segment on any root
without looking (``local_path``). A new segment goes to a *healthy* root: one that is
writable, not failed recently, and has at least its reserve free; among those the one
with the most free space (by fraction), taking turns between roots within one percent
of each other so that disks alike fill alike. A root whose writes fail (a failed or
unmounted disk, a read-only file system) is left out for ``FAILED_FOR`` seconds; a root
below its reserve only until retention freed its reserve again. When no root is healthy,
the one with the most free space is used (retention frees room there), so recording
goes on as long as any disk takes data.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from onvif_recorder.settings import MediaRoot

FAILED_FOR = 60.0  # seconds a root whose write failed is not chosen for new segments
ALIKE = 0.01  # free fractions this close count as equal: the roots take turns
DiskUsage = Callable[[str], tuple[int, int, int]]


def _usage(path: str) -> tuple[int, int, int]:
    usage = shutil.disk_usage(path)
    return usage.total, usage.used, usage.free


def local_path(default_root: Path, root: str, key: str) -> Path:
    """Where the segment ``key`` of a row on ``root`` lives ("" = the default root)."""
    return (Path(root) if root else default_root) / key


@dataclass(slots=True)
class MediaRoots:
    """The configured roots; the first of ``roots`` is the default when it is
    ``default`` itself (``<data dir>/media``)."""

    default: Path
    roots: tuple[MediaRoot, ...]
    clock: Callable[[], float] = time.monotonic
    disk_usage: DiskUsage = _usage
    _failed_until: dict[str, float] = field(default_factory=dict)
    _turn: int = 0

    @classmethod
    def single(cls, root: Path, reserve: float = 0.0) -> MediaRoots:
        return cls(root, (MediaRoot(root, reserve),))

    def name(self, root: MediaRoot) -> str:
        """What an index row says for ``root``."""
        return "" if root.path == self.default else str(root.path.absolute())

    def path(self, name: str) -> Path:
        return Path(name) if name else self.default

    def path_of(self, name: str, key: str) -> Path:
        return local_path(self.default, name, key)

    def free_fraction(self, root: MediaRoot) -> float | None:
        """Free space of the root's file system; None if it cannot be asked (failed)."""
        try:
            total, _, free = self.disk_usage(str(root.path))
        except OSError:
            return None
        return free / total if total else 1.0

    def failed(self, name: str) -> None:
        """A write on root ``name`` failed: leave it out for a while."""
        self._failed_until[name] = self.clock() + FAILED_FOR

    def _usable(self, root: MediaRoot) -> float | None:
        if self._failed_until.get(self.name(root), 0.0) > self.clock():
            return None
        try:
            root.path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        if not os.access(root.path, os.W_OK):
            return None
        return self.free_fraction(root)

    def choose(self) -> list[MediaRoot]:
        """Roots in the order to try for a new segment (unusable ones left out)."""
        usable = [(free, root) for root in self.roots
                  if (free := self._usable(root)) is not None]
        healthy = sorted(((f, r) for f, r in usable if f >= r.reserve), key=lambda i: -i[0])
        short = sorted(((f, r) for f, r in usable if f < r.reserve), key=lambda i: -i[0])
        ordered = healthy + short
        if not ordered:
            return []
        best = ordered[0][0]
        alike = [r for f, r in (healthy or short) if f >= best - ALIKE]
        self._turn += 1
        first = alike[self._turn % len(alike)]
        return [first] + [r for _, r in ordered if r is not first]
