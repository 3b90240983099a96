"""Real object-storage peers for the tests: moto's S3 server and Azurite, on ephemeral ports.

``MotoS3`` runs moto's server in this process (``ThreadedMotoServer``); ``restart``
stops it and starts a new one on the same port (moto's backend is process-global, so
the bucket and its objects survive, like a real store coming back). ``Azurite`` runs
``azurite-blob`` from ``.test-tools/node_modules`` (``scripts/test`` installs it) with
in-memory persistence and reads its port from its first lines. Both expose the same
``StoredObject`` listing so checks are written once.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
from aiobotocore.session import get_session
from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from azure.storage.blob.aio import BlobServiceClient
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / ".test-tools" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")
BUCKET = "recordings"
ACCESS_KEY, SECRET_KEY = "AKIDTEST", "test-secret"


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    content_type: str
    metadata: dict[str, str]
    """Names as the store returns them (S3 lowercases them)."""
    body: bytes


class MotoS3:
    def __init__(self) -> None:
        self.port = 0
        self._server: Any = None

    def __enter__(self) -> MotoS3:
        self.start()
        # moto's backend is process-global: start every test from an empty store
        requests.post(f"{self.endpoint}/moto-api/reset", timeout=10).raise_for_status()
        asyncio.run(self._create_bucket())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port,
                                          verbose=False)
        self._server.start()
        self.port = int(self._server.get_host_and_port()[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def storage_configuration(self) -> dict[str, Any]:
        return {"type": "ObjectStorageS3", "StorageUri": f"{self.endpoint}/{BUCKET}",
                "User": {"UserName": ACCESS_KEY, "Password": SECRET_KEY}}

    def _client(self) -> Any:
        return get_session().create_client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    async def _create_bucket(self) -> None:
        async with self._client() as s3:
            await s3.create_bucket(Bucket=BUCKET)

    def objects(self, prefix: str = "") -> list[StoredObject]:
        return asyncio.run(self._objects(prefix))

    async def _objects(self, prefix: str) -> list[StoredObject]:
        found = []
        async with self._client() as s3:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
            async for page in pages:
                for item in page.get("Contents", []):
                    got = await s3.get_object(Bucket=BUCKET, Key=item["Key"])
                    async with got["Body"] as stream:
                        body = await stream.read()
                    found.append(StoredObject(item["Key"], got["ContentType"],
                                              dict(got["Metadata"]), body))
        return found


class Azurite:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Azurite:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", "0",
             "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose",
             "--silent"],
            cwd=self.workdir, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        for line in self._process.stdout:
            found = re.search(r"listens on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found[1])
                break
        assert self.port, "azurite-blob did not start"
        asyncio.run(self._create_container())
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)

    @property
    def container_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}/{BUCKET}"

    def sas(self) -> str:
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
        return generate_container_sas(
            AZURITE_ACCOUNT, BUCKET, account_key=AZURITE_KEY, expiry=expiry,
            permission=ContainerSasPermissions(read=True, write=True, create=True))

    def storage_configuration(self) -> dict[str, Any]:
        return {"type": "ObjectStorageAzure", "StorageUri": self.container_uri,
                "User": {"UserName": "ignored", "Password": self.sas()}}

    def _service(self) -> BlobServiceClient:
        return BlobServiceClient.from_connection_string(
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT};")

    async def _create_container(self) -> None:
        async with self._service() as service:
            await service.get_container_client(BUCKET).create_container()

    def objects(self, prefix: str = "") -> list[StoredObject]:
        return asyncio.run(self._objects(prefix))

    async def _objects(self, prefix: str) -> list[StoredObject]:
        found = []
        async with self._service() as service:
            container = service.get_container_client(BUCKET)
            async for blob in container.list_blobs(name_starts_with=prefix or None,
                                                   include=["metadata"]):
                body = await (await container.download_blob(blob.name)).readall()
                found.append(StoredObject(blob.name, str(blob.content_settings.content_type),
                                          dict(blob.metadata or {}), body))
        return found
