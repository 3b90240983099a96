"""RC 26.06 ``StorageStrategy`` of a recording target (§5.3.1, Annex C.2): which values
are accepted and where the segments of an accepted one go (pure).

``External`` (or absent) is the Annex B behaviour: an object-storage target uploads and
keeps nothing locally, any other storage type records locally as before. ``Local`` keeps
the segments on local storage only (exported on request, ExportRecordedSegments);
``Both`` keeps them locally and uploads each one too, so it needs an object storage.
Whether a storage configuration is an object storage is decided by
``StorageConfigurationData.is_object_storage`` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from onvif_recorder.domain import errors
from onvif_recorder.domain.recording import RecordingTarget, StorageStrategy
from onvif_recorder.domain.storage import StorageConfigurationData

LocalMedium = Callable[[], bool]
"""Is local recording possible now (the media root exists and is writable)?"""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a target's segments are written."""

    local: bool
    upload: bool


def check_strategy(target: RecordingTarget, storage: StorageConfigurationData,
                   local_medium: LocalMedium) -> None:
    """Faults of RC 26.06 §5.4/§5.7 for a target whose storage exists."""
    values = {s.value for s in StorageStrategy}
    if target.storage_strategy is not None and target.storage_strategy not in values:
        raise errors.UnsupportedStorageStrategy(
            f"StorageStrategy {target.storage_strategy!r} is not one of "
            f"{', '.join(sorted(values))}")
    strategy = target.strategy
    if strategy is StorageStrategy.BOTH and not storage.is_object_storage:
        raise errors.UnsupportedStorageStrategy(
            f"StorageStrategy Both uploads segments: storage type {storage.type!r} is not an "
            "object storage")
    if strategy is not StorageStrategy.EXTERNAL and not local_medium():
        raise errors.NoLocalRecording("local storage is not available for recording")


def placement(target: RecordingTarget | None,
              storage: StorageConfigurationData | None) -> Placement:
    """Local and/or upload for an accepted target (None: no target, local storage)."""
    if target is None or storage is None or not storage.is_object_storage:
        return Placement(local=True, upload=False)
    strategy = target.strategy
    return Placement(local=strategy is not StorageStrategy.EXTERNAL,
                     upload=strategy is not StorageStrategy.LOCAL)
