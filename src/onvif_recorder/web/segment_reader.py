"""The bytes of a recorded segment wherever the index says it lives: a local file, an
object still waiting in the upload spool, or an object the store holds (read back through
``storage.uploader.open_reader``; one store per storage configuration, kept open and
replaced when the configuration changes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.storage.media_roots import local_path
from onvif_recorder.storage.object_store import ObjectReader, StoreTimeouts, UploadError
from onvif_recorder.storage.segment_index import Location, SegmentRow
from onvif_recorder.storage.uploader import open_reader

log = logging.getLogger(__name__)
ConfigLookup = Callable[[str], StorageConfigurationData | None]


class SegmentReader:
    def __init__(self, media_root: Path, spool_root: Path, configs: ConfigLookup,
                 timeouts: StoreTimeouts | None = None) -> None:
        self.media_root = media_root
        self.spool_root = spool_root
        self.configs = configs
        self.timeouts = timeouts or StoreTimeouts()
        self._stores: dict[str, tuple[StorageConfigurationData, ObjectReader]] = {}
        self._lock = asyncio.Lock()

    async def read(self, row: SegmentRow) -> bytes | None:
        """None when the segment is nowhere to be read (deleted, store unreachable)."""
        if row.location is Location.LOCAL:
            path = local_path(self.media_root, row.root, row.key)
            return await asyncio.to_thread(_read_file, path)
        spooled = await asyncio.to_thread(_read_file, self.spool_root / row.recording / row.key)
        return spooled if spooled is not None else await self._download(row)

    async def _download(self, row: SegmentRow) -> bytes | None:
        store = await self._store(row.storage)
        if store is None:
            return None
        try:
            return await store.get(row.key)
        except UploadError as error:
            log.warning("playback: %s", error)
            return None

    async def _store(self, storage: str) -> ObjectReader | None:
        data = self.configs(storage)
        async with self._lock:
            kept = self._stores.get(storage)
            if kept is not None and kept[0] == data:
                return kept[1]
            if kept is not None:
                del self._stores[storage]
                await kept[1].close()
            if data is None:
                return None
            try:
                store = await open_reader(data, self.timeouts)
            except UploadError as error:
                log.warning("playback: storage %s: %s", storage, error)
                return None
            self._stores[storage] = (data, store)
            return store

    async def close(self) -> None:
        async with self._lock:
            for _, store in self._stores.values():
                await store.close()
            self._stores.clear()


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None
