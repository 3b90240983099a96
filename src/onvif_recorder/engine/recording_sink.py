"""Where one recording task's segmenter events go, and the calls it runs on the storage
thread besides ``handle`` (``engine.recording_task``; no asyncio here).

A recording whose plan has an object-storage ``target`` writes through ``ObjectSink``
into the upload spool instead of ``LocalSink`` (format MP4 or CMAF as configured), or
with StorageStrategy Local through ``LocalSink``, with Both through ``BothSink``. The
other calls return no segment rows, as ``OrderedWriter`` expects of every call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from onvif_recorder.recording.plan import RecordingPlan
from onvif_recorder.storage.both_sink import BothSink
from onvif_recorder.storage.local import LocalStorage
from onvif_recorder.storage.object_sink import ObjectSink
from onvif_recorder.storage.segment_index import SegmentRow
from onvif_recorder.storage.sink import LocalSink
from onvif_recorder.storage.upload_queue import UploadSpool

Sink = LocalSink | ObjectSink | BothSink


def recording_sink(plan: RecordingPlan, storage: LocalStorage, spool: UploadSpool | None,
                   tokens: Mapping[int, str]) -> Sink:
    """The sink for ``plan``'s target (local storage when it has none, or no spool)."""
    target = plan.target
    local = LocalSink(storage, plan.recording, tokens)
    if target is None or spool is None or not target.upload:
        return local
    upload = ObjectSink(spool, plan.recording, target.storage, target.layout, tokens,
                        target.source or None, None if target.local else storage.index,
                        plan.event_topic)
    return BothSink(local, upload) if target.local else upload


def upload_sink(sink: Sink) -> ObjectSink | None:
    """The part of ``sink`` that uploads, if any."""
    upload = sink.upload if isinstance(sink, BothSink) else sink
    return upload if isinstance(upload, ObjectSink) else None


def set_tokens(sink: Sink, tokens: dict[int, str]) -> list[SegmentRow]:
    sink.track_tokens = tokens
    return []


def set_topic(sink: ObjectSink, topic: str | None) -> list[SegmentRow]:
    sink.event_topic = topic
    return []


def abort(sink: Sink) -> list[SegmentRow]:
    sink.abort()
    return []


def recover(storage: LocalStorage, recording: str) -> list[SegmentRow]:
    with contextlib.suppress(OSError):
        storage.recover(recording)
    return []
