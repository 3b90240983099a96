"""The parts of a ``FileObject`` (``storage.object_store``) as the stores send them: read
one at a time on a worker thread, each with its MD5, and the MD5 of the whole file."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

from onvif_recorder.storage.object_store import FileObject


@dataclass(frozen=True, slots=True)
class FilePart:
    number: int
    """1-based (S3 PartNumber)."""
    data: bytes
    md5: bytes


def _read(obj: FileObject, offset: int, size: int) -> bytes:
    with open(obj.path, "rb") as file:
        file.seek(offset)
        return file.read(size)


async def file_parts(obj: FileObject, whole: hashlib._Hash | None = None
                     ) -> AsyncIterator[FilePart]:
    """The parts in order; ``whole`` (an MD5 object) is fed every byte."""
    size = await asyncio.to_thread(os.path.getsize, obj.path)
    part = obj.part_size(size)
    for number, offset in enumerate(range(0, max(size, 1), part), start=1):
        data = await asyncio.to_thread(_read, obj, offset, part)
        if whole is not None:
            whole.update(data)
        yield FilePart(number, data, hashlib.md5(data).digest())
