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
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.storage.uploader import UploadError, UploadObject

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0


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


class S3Store:
    def __init__(self, location: BucketLocation, client: Any,
                 stack: contextlib.AsyncExitStack) -> None:
        self.location = location
        self._client = client
        self._stack = stack

    @classmethod
    async def open(cls, data: StorageConfigurationData) -> S3Store:
        location = parse_bucket_uri(data.storage_uri or "")
        user = data.user
        config = AioConfig(s3={"addressing_style": location.addressing},
                           retries={"max_attempts": 1, "mode": "standard"},
                           connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                           request_checksum_calculation="when_required",
                           response_checksum_validation="when_required")
        stack = contextlib.AsyncExitStack()
        client = await stack.enter_async_context(get_session().create_client(
            "s3", endpoint_url=location.endpoint, region_name=data.effective_region,
            aws_access_key_id=user.username if user else None,
            aws_secret_access_key=user.password if user else None,
            aws_session_token=user.token if user else None, config=config))
        return cls(location, client, stack)

    def object_key(self, key: str) -> str:
        prefix = self.location.key_prefix
        return f"{prefix}/{key}" if prefix else key

    async def put(self, obj: UploadObject) -> None:
        try:
            answer = await self._client.put_object(
                Bucket=self.location.bucket, Key=self.object_key(obj.key), Body=obj.body,
                ContentType=obj.content_type, ContentMD5=base64.b64encode(obj.md5).decode(),
                Metadata=obj.metadata)
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError,
                TimeoutError) as exc:
            raise UploadError(f"S3 PutObject {obj.key}: {exc}") from exc
        etag = str(answer.get("ETag", "")).strip('"')
        if etag.lower() != obj.md5.hex():
            raise UploadError(f"S3 PutObject {obj.key}: ETag {etag!r} is not the MD5 sent")

    async def close(self) -> None:
        await self._stack.aclose()
