"""Azure Blob object store (ONVIF Core "Storage Configuration", ``ObjectStorageAzure``).

``StorageUri`` is the container URI (account and container, e.g.
``https://acct.blob.core.windows.net/recordings``), ``Password`` a shared access
signature (with or without the leading ``?``); ``UserName`` is ignored. Each object is
one ``upload_blob`` (Put Blob; the SDK stages blocks only above 64 MiB) with the
content type, ``x-ms-blob-content-md5`` and B.9 attributes as ``x-ms-meta-`` metadata,
whose names are C# identifiers already (``SeekTable``, ``FullContentType``...).
``validate_content`` sends a transactional MD5 the service checks; the Content-MD5 it
answers must equal ours.
"""

from __future__ import annotations

from azure.core.exceptions import AzureError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient

from onvif_recorder.domain.storage import StorageConfigurationData
from onvif_recorder.storage.uploader import UploadError, UploadObject

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60


class AzureStore:
    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    @classmethod
    def open(cls, data: StorageConfigurationData) -> AzureStore:
        uri = (data.storage_uri or "").strip()
        if not uri.startswith(("http://", "https://")):
            raise UploadError(f"StorageUri {uri!r} is not an http(s) container URI")
        sas = (data.user.password if data.user else None) or None
        credential = sas.lstrip("?") if sas else None
        container = ContainerClient.from_container_url(
            uri, credential=credential, connection_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT, retry_total=0)
        return cls(container)

    async def put(self, obj: UploadObject) -> None:
        blob = self._container.get_blob_client(obj.key)
        settings = ContentSettings(content_type=obj.content_type,
                                   content_md5=bytearray(obj.md5))
        try:
            answer = await blob.upload_blob(obj.body, overwrite=True,
                                            content_settings=settings,
                                            metadata=obj.metadata, validate_content=True)
        except (AzureError, OSError, TimeoutError) as exc:
            raise UploadError(f"Azure Put Blob {obj.key}: {exc}") from exc
        confirmed = answer.get("content_md5")
        if confirmed is not None and bytes(confirmed) != obj.md5:
            raise UploadError(f"Azure Put Blob {obj.key}: Content-MD5 is not the MD5 sent")

    async def close(self) -> None:
        await self._container.close()
