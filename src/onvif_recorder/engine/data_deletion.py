"""Deletes what DeleteRecording and DeleteTrack removed: the asyncio shell.

The recording engine hands it ``DataDeletion``s (``storage.deletion``) in commit order,
after it stopped or restarted the recording's task, so no segment of the data is still
open. One worker runs them one after the other; file work and index writes run on the
recording engine's ``StorageThread`` (``engine.storage_writer``), between the writers'
calls, so SOAP stays responsive during a long rewrite; the index is updated once the
files are durable.

* Whole recording (RC §5.5): its local files go (segments, span ends, partial files and
  the empty directories), then every index row of it, local or object. Nothing is
  published here: the service already published DeleteTrack per track and
  DeleteRecording (RC §5.26.4), and a DeleteTrackData for tracks that no longer exist
  would name nothing a client can look up.
* Tracks (RC §5.10): per segment holding the track, local segments holding only it are
  deleted (span ends with them), the others rewritten without it
  (``LocalStorage.rewrite_without_track``); then one ``DeleteTrackData`` (RC §5.26.3)
  per track with the range of the local data deleted. Object-storage segments stay in
  their store (RC §5.5, §5.10 "no effect on the data stored in external targets"); their
  rows just stop listing the track, and no event is published for them (§5.26.3).

Pending spool entries of a deleted recording or track are uploaded as recorded: the
target is the external storage §5.5 and §5.10 leave alone, and the spool only holds
what is on its way there (dropping it would leave spans in the bucket without their
end objects). A deletion that fails (a file error) is retried after ``retry_delay``;
what a crash interrupts is found again at start-up (``storage.deletion.leftovers``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime

from onvif_recorder.engine.storage_writer import StorageThread
from onvif_recorder.service.events import TrackDataDeleted
from onvif_recorder.service.state import EventSink
from onvif_recorder.storage.deletion import DataDeletion
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.segment_index import Location, SegmentRow

log = logging.getLogger(__name__)
RETRY_DELAY = 5.0


class DataDeleter:
    def __init__(self, storage: LocalStorage, bus: EventSink | None, thread: StorageThread,
                 retry_delay: float = RETRY_DELAY) -> None:
        self.storage = storage
        self.bus = bus
        self.thread = thread
        self.retry_delay = retry_delay
        self._queue: asyncio.Queue[tuple[DataDeletion, dict[str, list[SegmentRow]]]] = (
            asyncio.Queue())
        self._worker: asyncio.Task[None] | None = None
        self.busy = False
        """A deletion is under way (retention waits: both delete segment files)."""

    def submit(self, deletion: DataDeletion) -> None:
        """Queue ``deletion``; the rows of its tracks are fixed now, so segments written
        later (a track token created again) are not touched."""
        tracks = deletion.tracks or frozenset()
        rows = {track: self.storage.index.with_track(deletion.recording, track)
                for track in sorted(tracks)}
        self._queue.put_nowait((deletion, rows))
        if self._worker is None:
            self._worker = asyncio.create_task(self._work_forever(), name="data deletion")

    async def idle(self) -> None:
        """Return once every submitted deletion is done (tests)."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def _work_forever(self) -> None:
        while True:
            deletion, rows = await self._queue.get()
            self.busy = True
            try:
                await self._run(deletion, rows)
            except Exception:  # the worker's guard: log, retry later, never die
                log.exception("deleting the data of %s failed; retrying", deletion)
                asyncio.get_running_loop().call_later(self.retry_delay, self.submit, deletion)
            finally:
                self.busy = False
                self._queue.task_done()

    async def _run(self, deletion: DataDeletion, rows: dict[str, list[SegmentRow]]) -> None:
        if deletion.tracks is None:
            await self.thread.run(functools.partial(self.storage.delete_recording_files,
                                                    deletion.recording))
            removed = await self.thread.run(functools.partial(
                self.storage.index.delete_recording, deletion.recording))
            log.info("recording %s deleted with its %d segments", deletion.recording, removed)
            return
        for track, affected in rows.items():
            deleted = [row for row in affected if await self._remove(row, track)]
            if deleted and self.bus is not None:
                self.bus.publish(TrackDataDeleted(
                    deletion.recording, track, _moment(min(r.start_utc for r in deleted)),
                    _moment(max(r.end_utc for r in deleted))))

    async def _remove(self, row: SegmentRow, track: str) -> bool:
        """Take ``track`` out of one segment; True if local data was deleted."""
        current = self.storage.index.get(row.key, row.storage)
        if current is None or track not in current.tracks:
            return False  # gone meanwhile (retention) or already done
        if row.location is Location.OBJECT:
            left = {t: c for t, c in current.codecs.items() if t != track}
            if left:
                await self.thread.run(functools.partial(self.storage.index.retrack, current,
                                                        left, current.size))
            else:
                await self.thread.run(functools.partial(self.storage.index.delete,
                                                        [current.key], current.storage))
            return False
        if set(current.tracks) == {track}:
            await self.thread.run(functools.partial(self.storage.delete, [current]))
            return True
        try:
            result = await self.thread.run(functools.partial(
                self.storage.rewrite_without_track, current.key, track))
        except FileNotFoundError:
            if self.storage.path_of(current.key).exists():
                raise  # the new file was removed under the rewrite: retried later
            await self.thread.run(functools.partial(self.storage.index.delete,
                                                    [current.key]))  # went meanwhile
            return False
        except ValueError as exc:  # not a segment this recorder can rewrite: keep it
            log.error("segment %s keeps track %s: %s", current.key, track, exc)
            return False
        if not result.codecs:
            await self.thread.run(functools.partial(self.storage.delete, [current]))
        else:
            await self.thread.run(functools.partial(self.storage.index.retrack, current,
                                                    result.codecs, result.size))
        return True


def _moment(posix: float) -> datetime:
    return datetime.fromtimestamp(posix, UTC)
