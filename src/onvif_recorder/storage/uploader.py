"""Opens the object store a storage configuration names (ONVIF Core "Storage
Configuration" type ``ObjectStorageS3`` or ``ObjectStorageAzure``).

The interface and its types live in ``storage.object_store``, which the two
implementations import; this module is the only one that imports both.
"""

from __future__ import annotations

from onvif_recorder.domain.storage import StorageConfigurationData, StorageType
from onvif_recorder.storage.azure import AzureStore
from onvif_recorder.storage.object_store import (
    FileStore,
    ObjectReader,
    ObjectStore,
    StoreTimeouts,
    UploadError,
)
from onvif_recorder.storage.s3 import S3Store


async def open_store(data: StorageConfigurationData,
                     timeouts: StoreTimeouts | None = None) -> ObjectStore:
    """A store for ``data`` whose requests keep to ``timeouts``; raises ``UploadError``
    if ``data`` cannot be one."""
    return await _open(data, timeouts or StoreTimeouts())


async def open_file_store(data: StorageConfigurationData,
                          timeouts: StoreTimeouts | None = None) -> FileStore:
    """The same store, to upload files in parts (exports)."""
    return await _open(data, timeouts or StoreTimeouts())


async def open_reader(data: StorageConfigurationData,
                      timeouts: StoreTimeouts | None = None) -> ObjectReader:
    """The same store, to read objects back (``web.playback``)."""
    return await _open(data, timeouts or StoreTimeouts())


async def _open(data: StorageConfigurationData, limits: StoreTimeouts) -> S3Store | AzureStore:
    if data.type == StorageType.OBJECT_STORAGE_S3.value:
        return await S3Store.open(data, limits)
    if data.type == StorageType.OBJECT_STORAGE_AZURE.value:
        return AzureStore.open(data, limits)
    raise UploadError(f"storage type {data.type!r} is not an object storage")
