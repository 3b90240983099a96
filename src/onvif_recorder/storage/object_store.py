"""What every object store offers the upload spool (RC Annex B.4), without any I/O.

``ObjectStore.put`` uploads one fully built object in a single request (segments are
assembled in the spool first, so the store sees one PUT of known size and MD5) and
returns only once the store confirmed *these bytes*: the S3 ETag or the Azure
Content-MD5 it answers must equal the MD5 we computed while writing the spool file.
Anything else raises ``UploadError`` and the caller retries later. ``put_file`` is the
same for a file too large to hold in memory (export files), sent in confirmed parts.
``StoreUnreachable`` is the kind of failure after which the store's connections are not
trusted any more
(refused, reset, timed out, stalled): the caller closes the store and retries on a new
one. ``StoreTimeouts`` bounds every request (README "Uploads and the spool").

The implementations are ``storage.s3`` (``ObjectStorageS3``, aiobotocore) and
``storage.azure`` (``ObjectStorageAzure``, azure-storage-blob aio); ``storage.uploader``
opens the one a storage configuration names (ONVIF Core "Storage Configuration").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class UploadError(Exception):
    """The store did not confirm the object (unreachable, refused, checksum mismatch)."""


class StoreUnreachable(UploadError):
    """No usable answer on the connection (refused, reset, connect timeout, stalled)."""


@dataclass(frozen=True, slots=True)
class UploadObject:
    key: str
    content_type: str
    body: bytes
    md5: bytes
    """MD5 digest (16 bytes) of ``body``."""
    metadata: dict[str, str] = field(default_factory=dict)
    """B.9 attributes without the ``x-amz-meta-``/``x-ms-meta-`` prefix."""


@dataclass(frozen=True, slots=True)
class StoreTimeouts:
    """Limits on one request to a store; a request past any of them is abandoned."""

    connect: float = 10.0
    """Seconds to open a connection (TCP and TLS)."""
    progress: float = 30.0
    """Seconds without progress (body bytes taken by the connection, then the answer)."""
    min_rate: float = 16 * 1024
    """Bytes per second below which a request is abandoned even while it progresses:
    a link that slow cannot keep up with a camera anyway, the spool would only grow."""

    def __post_init__(self) -> None:
        if min(self.connect, self.progress, self.min_rate) <= 0:
            raise ValueError(f"store timeouts must be positive: {self}")

    def deadline(self, size: int) -> float:
        """Seconds a request sending ``size`` bytes may take in all."""
        return self.connect + self.progress + size / self.min_rate


@dataclass(frozen=True, slots=True)
class FileObject:
    """A file too large to hold in memory (an export), uploaded in parts of ``part_size``
    read one at a time: S3 multipart upload, Azure staged blocks."""

    key: str
    content_type: str
    path: str
    """The file's path (text: this module does no file access; ``storage.file_parts``
    reads it)."""
    metadata: dict[str, str] = field(default_factory=dict)

    def part_size(self, size: int) -> int:
        """S3 takes parts of 5 MiB at least and 10,000 parts at most."""
        return max(PART_SIZE, -(-size // MAX_PARTS))


PART_SIZE = 16 * 1024 * 1024
MAX_PARTS = 10_000


class ObjectStore(Protocol):
    async def put(self, obj: UploadObject) -> None: ...

    async def close(self) -> None: ...


class FileStore(ObjectStore, Protocol):
    """A store that also takes files in parts (``uploader.open_file_store``)."""

    async def put_file(self, obj: FileObject) -> None:
        """The file as one object, each part sent with its MD5 and confirmed; a failure
        leaves no object (an unfinished multipart upload is aborted)."""
        ...


class ObjectReader(Protocol):
    """Reading an object back (playback of what was uploaded, ``web.playback``)."""

    async def get(self, key: str) -> bytes:
        """The object ``key`` (as ``UploadObject.key``); ``UploadError`` if the store
        does not give it within ``StoreTimeouts.deadline`` of nothing."""
        ...

    async def close(self) -> None: ...
