"""UploadManager against the real peers, without a camera (fast): order, outage, credentials.

* moto stopped while objects wait: errors are recorded with backoff, nothing is lost;
  once moto is back every object arrives, each span in key order with its end last.
* Azurite with a wrong SAS (Azurite verifies it): 403, the last error is recorded and
  the objects stay; the corrected configuration is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from onvif_recorder.domain.storage import StorageConfigurationData, UserCredential
from onvif_recorder.engine.uploads import StoreOpener, UploadManager, UploadSettings
from onvif_recorder.ingest.backoff import BackoffPolicy
from onvif_recorder.storage.object_key import KeyLayout, parse_key
from onvif_recorder.storage.object_store import ObjectStore, StoreTimeouts, UploadObject
from onvif_recorder.storage.upload_queue import UploadSpool, target_status
from onvif_recorder.storage.uploader import open_store
from tests.object_peers import ACCESS_KEY, BUCKET, SECRET_KEY, Azurite, MotoS3
from tests.unit.storage.test_upload_queue import record, spool

OTHER = KeyLayout("site-3", "camera-1")
pytestmark = pytest.mark.slow  # starts moto and Azurite
QUICK = UploadSettings(concurrency=4, backoff=BackoffPolicy(0.05, 0.2))


class Logged:
    """A real store that notes the keys it confirmed, in order."""

    def __init__(self, store: ObjectStore, log: list[str]) -> None:
        self.store, self.log = store, log

    async def put(self, obj: UploadObject) -> None:
        await self.store.put(obj)
        self.log.append(obj.key)

    async def close(self) -> None:
        await self.store.close()


def opener(log: list[str]) -> StoreOpener:
    async def open_logged(data: StorageConfigurationData,
                          timeouts: StoreTimeouts) -> ObjectStore:
        return Logged(await open_store(data, timeouts), log)
    return open_logged


async def until(check: Callable[[], bool], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        for _ in itertools.count():
            if check():
                return
            await asyncio.sleep(0.05)


def last_error(target: UploadSpool) -> str | None:
    statuses = target_status(target.connection)
    return statuses[0].last_error if statuses else None


def test_outage_then_every_span_in_order(tmp_path: Path) -> None:
    target = spool(tmp_path)
    record(target)
    record(target, recording="Recording_2", layout=OTHER)  # a second span, side by side
    expected = target.connection.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]
    log: list[str] = []
    with MotoS3() as s3:
        data = StorageConfigurationData("ObjectStorageS3", storage_uri=f"{s3.endpoint}/{BUCKET}",
                                        user=UserCredential(ACCESS_KEY, SECRET_KEY))
        s3.stop()
        asyncio.run(outage_then_drain(target, data, s3, log))
        stored = {o.key for o in s3.objects()}
    assert len(log) == len(set(log)) == expected and set(log) == stored
    # the two spans upload side by side; each one counts up 0, 1, ... with its end last
    for layout in (KeyLayout("site-2", "camera-5"), OTHER):
        mine = [k for k in log if k.startswith(layout.prefix + "/")]
        assert [parse_key(k, layout).counter for k in mine] == list(range(len(mine)))
        assert mine[-1].endswith("_end")
    assert not [p for p in target.root.rglob("*") if p.is_file()]


async def outage_then_drain(target: UploadSpool, data: StorageConfigurationData, s3: MotoS3,
                            log: list[str]) -> None:
    manager = UploadManager(target, lambda _: data, QUICK, opener=opener(log))
    await manager.start()
    await until(lambda: last_error(target) is not None, 10)
    assert "Could not connect" in str(last_error(target))
    await asyncio.to_thread(s3.start)
    async with asyncio.timeout(20):
        await manager.drained()
    await manager.stop()


def test_wrong_sas_is_reported_then_fixed_credentials_are_used(tmp_path: Path) -> None:
    target = spool(tmp_path)
    record(target)
    with Azurite(tmp_path / "azurite") as azure:
        good = StorageConfigurationData("ObjectStorageAzure", storage_uri=azure.container_uri,
                                        user=UserCredential("", azure.sas()))
        bad = StorageConfigurationData("ObjectStorageAzure", storage_uri=azure.container_uri,
                                       user=UserCredential("", "sv=2020-10-02&sig=bad"))
        asyncio.run(fix_credentials(target, bad, good))
        stored = azure.objects()
    (status,) = target_status(target.connection)
    assert status.uploaded_objects == len(stored) > 0 and status.dropped_objects == 0


async def fix_credentials(target: UploadSpool, bad: StorageConfigurationData,
                          good: StorageConfigurationData) -> None:
    current = [bad]
    manager = UploadManager(target, lambda _: current[0], QUICK)
    await manager.start()
    await until(lambda: last_error(target) is not None, 10)
    assert "authenticate" in str(last_error(target))
    assert target.heads("Storage_1", 1)  # nothing given up
    current[0] = good  # what SetStorageConfiguration does
    async with asyncio.timeout(20):
        await manager.drained()
    await manager.stop()
