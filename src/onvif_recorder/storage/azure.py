"""Azure Blob object store (ONVIF Core "Storage Configuration", ``ObjectStorageAzure``).

``StorageUri`` is the container URI (account and container, e.g.
``https://acct.blob.core.windows.net/recordings``), ``Password`` a shared access
signature (with or without the leading ``?``); ``UserName`` is ignored. Each object is
one ``upload_blob`` (Put Blob; the SDK stages blocks only above 64 MiB) with the
content type, ``x-ms-blob-content-md5`` and B.9 attributes as ``x-ms-meta-`` metadata,
whose names are C# identifiers already (``SeekTable``, ``FullContentType``...).
``validate_content`` sends a transactional MD5 the service checks; the Content-MD5 it
answers must equal ours. The SDK's retries are off: the upload spool retries.
Every request keeps to the ``StoreTimeouts``: aiohttp's connect timeout, and
``storage.progress`` watching the rest (the body goes through its ``ProgressPayload``).
aiohttp's read timeout is off: it starts once the body is in the socket buffers, so it
cannot tell a slow link still carrying them from a silent one.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.blob import BlobBlock, ContentSettings
from azure.storage.blob.aio import ContainerClient

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.storage.file_parts import file_parts
from onvif_recorder.storage.object_store import (
    FileObject,
    StoreTimeouts,
    StoreUnreachable,
    UploadError,
    UploadObject,
)
from onvif_recorder.storage.progress import watched, watched_body

UNREACHABLE = (ServiceRequestError, ServiceResponseError, aiohttp.ClientError, OSError,
               TimeoutError)
"""No answer on the connection: refused, reset, timed out (azure-core wraps aiohttp's)."""


class WatchedTransport(AioHttpTransport):  # type: ignore[misc]  # untyped library
    """azure-core's aiohttp transport, sending request bodies through ``watched_body``."""

    def _get_request_data(self, request: Any) -> Any:
        return watched_body(super()._get_request_data(request))


class AzureStore:
    def __init__(self, container: ContainerClient, timeouts: StoreTimeouts) -> None:
        self._container = container
        self.timeouts = timeouts

    @classmethod
    def open(cls, data: StorageConfigurationData, timeouts: StoreTimeouts) -> AzureStore:
        uri = (data.storage_uri or "").strip()
        if not uri.startswith(("http://", "https://")):
            raise UploadError(f"StorageUri {uri!r} is not an http(s) container URI")
        sas = (data.user.password if data.user else None) or None
        credential = sas.lstrip("?") if sas else None
        transport = WatchedTransport(connection_timeout=timeouts.connect,
                                     read_timeout=None)
        container = ContainerClient.from_container_url(
            uri, credential=credential, transport=transport, retry_total=0)
        return cls(container, timeouts)

    async def put(self, obj: UploadObject) -> None:
        answer = await watched(lambda: self._upload_blob(obj), len(obj.body), self.timeouts,
                               f"Azure Put Blob {obj.key}")
        confirmed = answer.get("content_md5")
        if confirmed is not None and bytes(confirmed) != obj.md5:
            raise UploadError(f"Azure Put Blob {obj.key}: Content-MD5 is not the MD5 sent")

    async def _upload_blob(self, obj: UploadObject) -> dict[str, Any]:
        blob = self._container.get_blob_client(obj.key)
        settings = ContentSettings(content_type=obj.content_type,
                                   content_md5=bytearray(obj.md5))
        try:
            answer: dict[str, Any] = await blob.upload_blob(
                obj.body, overwrite=True, content_settings=settings, metadata=obj.metadata,
                validate_content=True)
        except UNREACHABLE as exc:
            raise StoreUnreachable(f"Azure Put Blob {obj.key}: {exc}") from exc
        except AzureError as exc:
            raise UploadError(f"Azure Put Blob {obj.key}: {exc}") from exc
        return answer

    async def put_file(self, obj: FileObject) -> None:
        """Staged blocks, each sent with its MD5 (validate_content), then one Put Block
        List that makes them the blob; uncommitted blocks of a failed upload never become
        an object (Azure drops them after a week)."""
        what = f"Azure Put Block {obj.key}"
        blob = self._container.get_blob_client(obj.key)
        whole = hashlib.md5()
        blocks: list[BlobBlock] = []
        async for part in file_parts(obj, whole):
            block_id = base64.b64encode(f"{part.number:08d}".encode()).decode()
            await self._call(f"{what} {part.number}", functools.partial(
                blob.stage_block, block_id, part.data, length=len(part.data),
                validate_content=True), len(part.data))
            blocks.append(BlobBlock(block_id))
        settings = ContentSettings(content_type=obj.content_type,
                                   content_md5=bytearray(whole.digest()))
        await self._call(f"Azure Put Block List {obj.key}", functools.partial(
            blob.commit_block_list, blocks, content_settings=settings,
            metadata=obj.metadata), 0)

    async def _call(self, what: str, request: Callable[[], Awaitable[Any]], size: int
                    ) -> Any:
        async def guarded() -> Any:
            try:
                return await request()
            except UNREACHABLE as exc:
                raise StoreUnreachable(f"{what}: {exc}") from exc
            except AzureError as exc:
                raise UploadError(f"{what}: {exc}") from exc

        return await watched(guarded, size, self.timeouts, what)

    async def get(self, key: str) -> bytes:
        try:
            async with asyncio.timeout(self.timeouts.deadline(0)):
                download = await self._container.get_blob_client(key).download_blob()
                return bytes(await download.readall())
        except (TimeoutError, *UNREACHABLE) as exc:
            raise StoreUnreachable(f"Azure Get Blob {key}: {exc}") from exc
        except AzureError as exc:
            raise UploadError(f"Azure Get Blob {key}: {exc}") from exc

    async def close(self) -> None:
        await self._container.close()
