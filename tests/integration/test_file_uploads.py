"""Files too large to hold in memory (export files) uploaded in parts to the real peers:
S3 multipart upload on moto, staged blocks on Azurite. The object is the file byte for
byte with its content type and metadata; an upload stopped midway leaves no object (and
on S3 no open multipart upload)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from onvif_recorder.domain.storage import StorageConfigurationData, UserCredential
from onvif_recorder.storage import file_parts
from onvif_recorder.storage.object_store import PART_SIZE, FileObject
from onvif_recorder.storage.uploader import open_file_store
from tests.object_peers import ACCESS_KEY, BUCKET, SECRET_KEY, Azurite, MotoS3, StoredObject

pytestmark = pytest.mark.slow


@contextmanager
def peer(kind: str, workdir: Path) -> Iterator[tuple[StorageConfigurationData,
                                                     MotoS3 | Azurite]]:
    if kind == "s3":
        with MotoS3() as s3:
            yield StorageConfigurationData(
                "ObjectStorageS3", storage_uri=f"{s3.endpoint}/{BUCKET}",
                user=UserCredential(ACCESS_KEY, SECRET_KEY)), s3
        return
    with Azurite(workdir) as azure:
        yield StorageConfigurationData(
            "ObjectStorageAzure", storage_uri=azure.container_uri,
            user=UserCredential("", azure.sas())), azure


def big_file(path: Path) -> bytes:
    """Two whole parts and a short last one."""
    data = os.urandom(2 * PART_SIZE + 3 * 1024 * 1024 + 17)
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_a_file_is_uploaded_in_parts_as_one_object(kind: str, tmp_path: Path) -> None:
    data = big_file(tmp_path / "export.mp4")
    obj = FileObject("cases/7/export.mp4", "video/mp4", str(tmp_path / "export.mp4"),
                     {"Case": "7"})
    with peer(kind, tmp_path / "azurite") as (configuration, store):
        asyncio.run(upload(configuration, obj))
        [stored] = store.objects("cases/")
    assert stored.key == "cases/7/export.mp4" and stored.body == data
    assert stored.content_type == "video/mp4"
    assert {k.lower(): v for k, v in stored.metadata.items()} == {"case": "7"}


async def upload(configuration: StorageConfigurationData, obj: FileObject) -> None:
    store = await open_file_store(configuration)
    try:
        await store.put_file(obj)
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_an_upload_stopped_after_a_part_leaves_no_object(kind: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    big_file(tmp_path / "export.mp4")
    obj = FileObject("stopped.mp4", "video/mp4", str(tmp_path / "export.mp4"))
    real_read = file_parts._read
    reads: list[int] = []

    def read_then_fail(part: FileObject, offset: int, size: int) -> bytes:
        reads.append(offset)
        if len(reads) == 2:
            raise OSError("the export file went away")
        return real_read(part, offset, size)

    monkeypatch.setattr(file_parts, "_read", read_then_fail)
    with peer(kind, tmp_path / "azurite") as (configuration, store):
        with pytest.raises(OSError, match="went away"):
            asyncio.run(upload(configuration, obj))
        assert store.objects() == list[StoredObject]()
        if isinstance(store, MotoS3):
            assert asyncio.run(open_uploads(store)) == []
    assert reads == [0, PART_SIZE]


async def open_uploads(s3: MotoS3) -> list[str]:
    async with s3._client() as client:
        answer = await client.list_multipart_uploads(Bucket=BUCKET)
    return [item["Key"] for item in answer.get("Uploads", [])]
