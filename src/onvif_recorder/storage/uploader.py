"""One interface over the object stores a recording target can name (RC Annex B.4).

``ObjectStore.put`` uploads one fully built object in a single request (segments are
assembled in the spool first, so the store sees one PUT of known size and MD5) and
returns only once the store confirmed *these bytes*: the S3 ETag or the Azure
Content-MD5 it answers must equal the MD5 we computed while writing the spool file.
Anything else raises ``UploadError`` and the caller retries later.

``open_store`` picks the implementation from the storage configuration's type (ONVIF
Core "Storage Configuration"): ``ObjectStorageS3`` (``storage.s3``, aiobotocore) or
``ObjectStorageAzure`` (``storage.azure``, azure-storage-blob aio).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from onvif_recorder.domain.storage import StorageConfigurationData, StorageType


class UploadError(Exception):
    """The store did not confirm the object (unreachable, refused, checksum mismatch)."""


@dataclass(frozen=True, slots=True)
class UploadObject:
    key: str
    content_type: str
    body: bytes
    md5: bytes
    """MD5 digest (16 bytes) of ``body``."""
    metadata: dict[str, str] = field(default_factory=dict)
    """B.9 attributes without the ``x-amz-meta-``/``x-ms-meta-`` prefix."""


class ObjectStore(Protocol):
    async def put(self, obj: UploadObject) -> None: ...

    async def close(self) -> None: ...


async def open_store(data: StorageConfigurationData) -> ObjectStore:
    """A connected store for ``data``; raises ``UploadError`` if it cannot be one."""
    if data.type == StorageType.OBJECT_STORAGE_S3.value:
        from onvif_recorder.storage.s3 import S3Store

        return await S3Store.open(data)
    if data.type == StorageType.OBJECT_STORAGE_AZURE.value:
        from onvif_recorder.storage.azure import AzureStore

        return AzureStore.open(data)
    raise UploadError(f"storage type {data.type!r} is not an object storage")
