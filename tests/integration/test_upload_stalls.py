"""Uploads never hang on a path that went silent (issue 10 item 7), against moto and Azurite.

A ``StallProxy`` stands between the uploader and the store. While it blackholes every
connection, old and new, the request is abandoned after the progress timeout and the
storage's last error (what ``onvif-recorder status`` prints) says it stalled, with no
object lost. Once new connections pass again while the old ones stay silent, everything
drains on new connections. A path that dies in the middle of a body far larger than
the socket buffers is seen while the body is being sent. Short timeouts keep each test
to a few seconds; the assertions wait for states, bounded generously.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from onvif_recorder.domain.storage import StorageConfigurationData, UserCredential
from onvif_recorder.engine.uploads import UploadManager, UploadSettings
from onvif_recorder.ingest.backoff import BackoffPolicy
from onvif_recorder.storage.object_key import KeyLayout
from onvif_recorder.storage.object_store import StoreTimeouts, StoreUnreachable, UploadObject
from onvif_recorder.storage.upload_queue import UploadSpool, target_status
from onvif_recorder.storage.uploader import open_store
from onvif_recorder.upload_status import render
from tests.object_peers import ACCESS_KEY, AZURITE_ACCOUNT, BUCKET, SECRET_KEY, Azurite, MotoS3
from tests.stall_proxy import Mode, StallProxy
from tests.unit.storage.test_upload_queue import record, spool

pytestmark = pytest.mark.slow  # starts moto or Azurite
TIMEOUTS = StoreTimeouts(connect=1.0, progress=1.5)
SETTINGS = UploadSettings(concurrency=4, backoff=BackoffPolicy(0.05, 0.3), timeouts=TIMEOUTS)
OTHER = KeyLayout("site-3", "camera-1")
Stored = Callable[[], set[str]]


@contextmanager
def behind_proxy(kind: str, workdir: Path) -> Iterator[tuple[StallProxy,
                                                             StorageConfigurationData, Stored]]:
    """The store of ``kind`` with a proxy in front, its configuration through the proxy."""
    if kind == "s3":
        with MotoS3() as s3, StallProxy(s3.port) as proxy:
            yield proxy, StorageConfigurationData(
                "ObjectStorageS3", storage_uri=f"{proxy.endpoint}/{BUCKET}",
                user=UserCredential(ACCESS_KEY, SECRET_KEY)), lambda: {
                    o.key for o in s3.objects()}
        return
    with Azurite(workdir) as azure, StallProxy(azure.port) as proxy:
        yield proxy, StorageConfigurationData(
            "ObjectStorageAzure", storage_uri=f"{proxy.endpoint}/{AZURITE_ACCOUNT}/{BUCKET}",
            user=UserCredential("", azure.sas())), lambda: {o.key for o in azure.objects()}


async def until(check: Callable[[], bool], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        for _ in itertools.count():
            if check():
                return
            await asyncio.sleep(0.05)


def keys(target: UploadSpool) -> set[str]:
    return {str(row[0]) for row in target.connection.execute("SELECT key FROM uploads")}


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_stall_is_reported_then_drained_on_new_connections(kind: str, tmp_path: Path) -> None:
    target = spool(tmp_path)
    with behind_proxy(kind, tmp_path / "azurite") as (proxy, data, stored):
        before, after = asyncio.run(outage(target, proxy, data))
        assert stored() == before | after
    (status,) = target_status(target.connection)
    assert status.uploaded_objects == len(before | after) and status.dropped_objects == 0
    assert not [p for p in target.root.rglob("*") if p.is_file()]


async def outage(target: UploadSpool, proxy: StallProxy,
                 data: StorageConfigurationData) -> tuple[set[str], set[str]]:
    manager = UploadManager(target, lambda _: data, SETTINGS)
    await manager.start()
    record(target)  # uploaded while the path works: the store keeps pooled connections
    before = keys(target)
    async with asyncio.timeout(20):
        await manager.drained()
    await asyncio.to_thread(proxy.blackhole)  # pooled and new connections: silence
    record(target, recording="Recording_2", layout=OTHER)
    after = keys(target)
    # (a) the stall is the storage's last error, nothing is given up or lost
    await until(lambda: last_error(target) is not None, 10)
    assert "stalled, no progress for 1.5 s" in str(last_error(target))
    assert "stalled" in render(target_status(target.connection))  # onvif-recorder status
    assert keys(target) == after
    # (b) new connections pass, the stalled ones stay silent: everything drains
    await asyncio.to_thread(proxy.set_mode, Mode.PASS)
    async with asyncio.timeout(20):
        await manager.drained()
    await manager.stop()
    assert proxy.count(silent=True) >= 1  # the stalled connections were there all along
    return before, after


def last_error(target: UploadSpool) -> str | None:
    statuses = target_status(target.connection)
    return statuses[0].last_error if statuses else None


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_a_body_larger_than_the_socket_buffers_is_abandoned_while_sending(
        kind: str, tmp_path: Path) -> None:
    with behind_proxy(kind, tmp_path / "azurite") as (proxy, data, _):
        proxy.silent_after(1 << 20)  # S3 sends Expect: 100-continue: let that through
        error = asyncio.run(put_big(data))
    found = re.search(r"\((\d+) of (\d+) bytes sent\)", error)
    assert "stalled" in error and found, error
    assert 0 < int(found[1]) < int(found[2])


async def put_big(data: StorageConfigurationData) -> str:
    body = bytes(range(256)) * (128 * 1024)  # 32 MiB: far more than loopback buffers hold
    store = await open_store(data, TIMEOUTS)
    try:
        with pytest.raises(StoreUnreachable) as caught:
            await store.put(UploadObject("big.mp4", "video/mp4", body,
                                         hashlib.md5(body).digest()))
        return str(caught.value)
    finally:
        await store.close()


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_refused_connections_are_reported(kind: str, tmp_path: Path) -> None:
    target = spool(tmp_path)
    record(target)
    with behind_proxy(kind, tmp_path / "azurite") as (proxy, data, stored):
        proxy.set_mode(Mode.REFUSE)
        asyncio.run(refused_then_back(target, proxy, data))
        assert stored() and not target.heads("Storage_1", 1)


async def refused_then_back(target: UploadSpool, proxy: StallProxy,
                            data: StorageConfigurationData) -> None:
    manager = UploadManager(target, lambda _: data, SETTINGS)
    await manager.start()
    await until(lambda: last_error(target) is not None, 10)
    await asyncio.to_thread(proxy.set_mode, Mode.PASS)
    async with asyncio.timeout(20):
        await manager.drained()
    await manager.stop()


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_a_slow_upload_that_progresses_is_not_abandoned(kind: str, tmp_path: Path) -> None:
    body = bytes(range(256)) * (6 * 1024)  # 1.5 MiB at 256 KiB/s: 6 s, 4 progress timeouts
    with behind_proxy(kind, tmp_path / "azurite") as (proxy, data, stored):
        proxy.throttle(256 * 1024)
        asyncio.run(put(data, body))
        assert stored() == {"slow.mp4"}


async def put(data: StorageConfigurationData, body: bytes) -> None:
    store = await open_store(data, TIMEOUTS)
    try:
        await store.put(UploadObject("slow.mp4", "video/mp4", body, hashlib.md5(body).digest()))
    finally:
        await store.close()
