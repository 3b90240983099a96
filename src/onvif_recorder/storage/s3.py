"""S3 object store (ONVIF Core "Storage Configuration", ``ObjectStorageS3``) on aiobotocore.

``StorageUri`` is the base endpoint of the bucket, the bucket named either in the path
(``http://host:9000/bucket``: path-style requests) or as the first label of the host
(``https://bucket.s3.eu-west-1.amazonaws.com``: virtual-hosted requests). Anything after
the bucket in the path is a key prefix put before every Annex B key. ``UserName`` is the
access key id, ``Password`` the secret key, ``Token`` the STS session token, ``Region``
signs the requests (default ``us-east-1``).

Each object is one ``PutObject`` with ``Content-MD5``; the ETag S3 returns for a single
PUT without SSE-KMS is the hex MD5 of what it stored, and must equal ours. botocore's
own retries are off (one attempt): the upload spool retries with its own backoff.
Every request keeps to the ``StoreTimeouts``: aiohttp's connect timeout, and
``storage.progress`` watching the rest (the body goes through its ``ProgressPayload``).
aiohttp's read timeout is off: it starts once the body is in the socket buffers, so it
cannot tell a slow link still carrying them from a silent one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.httpsession import AIOHTTPSession
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

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

UNREACHABLE = (HTTPClientError, ConnectionError, aiohttp.ClientError, OSError, TimeoutError)
"""No answer on the connection: refused, reset, timed out (botocore wraps aiohttp's)."""


@dataclass(frozen=True, slots=True)
class BucketLocation:
    endpoint: str
    bucket: str
    addressing: str
    """``path`` or ``virtual``."""
    key_prefix: str = ""


def parse_bucket_uri(uri: str) -> BucketLocation:
    """Endpoint, bucket and addressing style of a ``StorageUri``."""
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UploadError(f"StorageUri {uri!r} is not an http(s) URL")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    path = [p for p in parts.path.split("/") if p]
    if path:
        return BucketLocation(f"{parts.scheme}://{netloc}", path[0], "path",
                              "/".join(path[1:]))
    bucket, dot, rest = netloc.partition(".")
    if not dot or not rest:
        raise UploadError(f"StorageUri {uri!r} names no bucket (path or subdomain)")
    return BucketLocation(f"{parts.scheme}://{rest}", bucket, "virtual")


class WatchedSession(AIOHTTPSession):  # type: ignore[misc]  # untyped library
    """aiobotocore's HTTP session, sending request bodies through ``watched_body``."""

    async def send(self, request: Any) -> Any:
        body = watched_body(request.body)
        if body is not request.body:
            request = copy.copy(request)
            request.body = body
        return await super().send(request)


class S3Store:
    def __init__(self, location: BucketLocation, client: Any,
                 stack: contextlib.AsyncExitStack, timeouts: StoreTimeouts) -> None:
        self.location = location
        self.timeouts = timeouts
        self._client = client
        self._stack = stack

    @classmethod
    async def open(cls, data: StorageConfigurationData, timeouts: StoreTimeouts) -> S3Store:
        location = parse_bucket_uri(data.storage_uri or "")
        user = data.user
        config = AioConfig(s3={"addressing_style": location.addressing},
                           retries={"max_attempts": 1, "mode": "standard"},
                           connect_timeout=timeouts.connect, read_timeout=None,
                           http_session_cls=WatchedSession,
                           request_checksum_calculation="when_required",
                           response_checksum_validation="when_required")
        stack = contextlib.AsyncExitStack()
        client = await stack.enter_async_context(get_session().create_client(
            "s3", endpoint_url=location.endpoint, region_name=data.effective_region,
            aws_access_key_id=user.username if user else None,
            aws_secret_access_key=user.password if user else None,
            aws_session_token=user.token if user else None, config=config))
        return cls(location, client, stack, timeouts)

    def object_key(self, key: str) -> str:
        prefix = self.location.key_prefix
        return f"{prefix}/{key}" if prefix else key

    async def put(self, obj: UploadObject) -> None:
        answer = await watched(lambda: self._put_object(obj), len(obj.body), self.timeouts,
                               f"S3 PutObject {obj.key}")
        etag = str(answer.get("ETag", "")).strip('"')
        if etag.lower() != obj.md5.hex():
            raise UploadError(f"S3 PutObject {obj.key}: ETag {etag!r} is not the MD5 sent")

    async def _put_object(self, obj: UploadObject) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = await self._client.put_object(
                Bucket=self.location.bucket, Key=self.object_key(obj.key), Body=obj.body,
                ContentType=obj.content_type, ContentMD5=base64.b64encode(obj.md5).decode(),
                Metadata=obj.metadata)
        except UNREACHABLE as exc:
            raise StoreUnreachable(f"S3 PutObject {obj.key}: {exc}") from exc
        except (BotoCoreError, ClientError) as exc:
            raise UploadError(f"S3 PutObject {obj.key}: {exc}") from exc
        return answer

    async def put_file(self, obj: FileObject) -> None:
        """Multipart upload: each part with its Content-MD5 and its ETag checked; any
        failure aborts the upload, so no partial object remains."""
        what = f"S3 multipart upload {obj.key}"
        bucket, key = self.location.bucket, self.object_key(obj.key)
        created = await self._call(what, lambda: self._client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=obj.content_type, Metadata=obj.metadata), 0)
        upload_id = str(created["UploadId"])
        try:
            parts = []
            async for part in file_parts(obj):
                answer = await self._call(
                    f"{what} part {part.number}",
                    functools.partial(self._client.upload_part, Bucket=bucket, Key=key,
                                      UploadId=upload_id, PartNumber=part.number,
                                      Body=part.data,
                                      ContentMD5=base64.b64encode(part.md5).decode()),
                    len(part.data))
                etag = str(answer.get("ETag", "")).strip('"')
                if etag.lower() != part.md5.hex():
                    raise UploadError(f"{what}: part {part.number} ETag {etag!r} is not "
                                      "the MD5 sent")
                parts.append({"PartNumber": part.number, "ETag": answer["ETag"]})
            await self._call(what, lambda: self._client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": parts}), 0)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._client.abort_multipart_upload(Bucket=bucket, Key=key,
                                                          UploadId=upload_id)
            raise

    async def _call(self, what: str, request: Callable[[], Awaitable[dict[str, Any]]],
                    size: int) -> dict[str, Any]:
        async def guarded() -> dict[str, Any]:
            try:
                return await request()
            except UNREACHABLE as exc:
                raise StoreUnreachable(f"{what}: {exc}") from exc
            except (BotoCoreError, ClientError) as exc:
                raise UploadError(f"{what}: {exc}") from exc

        return await watched(guarded, size, self.timeouts, what)

    async def get(self, key: str) -> bytes:
        try:
            async with asyncio.timeout(self.timeouts.deadline(0)):
                answer = await self._client.get_object(Bucket=self.location.bucket,
                                                       Key=self.object_key(key))
                async with answer["Body"] as body:
                    return bytes(await body.read())
        except (TimeoutError, *UNREACHABLE) as exc:
            raise StoreUnreachable(f"S3 GetObject {key}: {exc}") from exc
        except (BotoCoreError, ClientError) as exc:
            raise UploadError(f"S3 GetObject {key}: {exc}") from exc

    async def close(self) -> None:
        await self._stack.aclose()
