"""SetSystemFactoryDefault applied to the data directory while the recorder is down
(``lifecycle``). Soft keeps users, recordings (with their data) and storage
configurations and removes receivers, recording jobs, schedules and special-day groups;
Hard removes the database, local media and the upload spool, so the next start is a
first run (with the same identity).
Device settings go back to defaults in both (``DeviceConfig.factory_default``). Objects
already uploaded to object storage are not deleted."""

from __future__ import annotations

import logging
import shutil

from onvif_recorder.persistence.device_file import DeviceFile
from onvif_recorder.persistence.sqlite_store import SqliteStore
from onvif_recorder.service.state import Changes
from onvif_recorder.service.system import FactoryDefault
from onvif_recorder.settings import RecorderSettings

log = logging.getLogger(__name__)
MEDIA_DIRECTORIES = ("media", "spool")  # engine.runtime: local storage, upload spool
RECORDING_PREFIX = "Recording_"  # service.recordings: every recording token's directory


def apply_factory_default(settings: RecorderSettings, kind: FactoryDefault) -> None:
    device = DeviceFile(settings.data_dir)
    device.save(device.load().factory_default())
    if kind is FactoryDefault.HARD:
        _remove_recorder_data(settings)
    else:
        _remove_configuration(settings)
    log.warning("factory default (%s) applied to %s", kind.value, settings.data_dir)


def _remove_configuration(settings: RecorderSettings) -> None:
    store = SqliteStore(settings.database_path)
    try:
        state = store.load()
        store.commit(Changes(
            deleted_jobs=list(state.jobs),
            deleted_receivers=list(state.receivers),
            deleted_schedules=list(state.schedules),
            deleted_special_day_groups=list(state.special_day_groups),
        ))
    finally:
        store.close()


def _remove_recorder_data(settings: RecorderSettings) -> None:
    """The database (with its WAL), local media and the upload spool; nothing else the
    operator may keep in the directory."""
    database = settings.database_path
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    for name in MEDIA_DIRECTORIES:
        shutil.rmtree(settings.data_dir / name, ignore_errors=True)
    for root in settings.media_roots:  # a root may be a mount point: only our directories
        for directory in root.path.glob(f"{RECORDING_PREFIX}*"):
            shutil.rmtree(directory, ignore_errors=True)
