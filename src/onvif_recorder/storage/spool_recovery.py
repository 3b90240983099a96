"""Start-up repair of a spooled segment that a crash cut (``UploadSpool.sweep``).

The segment's row was journalled when it opened (not ready), so after ``kill -9`` its
``.partial`` file is known: ``mp4.repair`` keeps the header and every complete fragment
and rebuilds the ``mfra``; ``segment_scan`` reads its start, end and timescale back. The
row becomes ready with the attributes known at open plus the real ``Duration`` (the
condensed SeekTable is left out: B.9 makes it optional), and since the crash also ended
the span, its B.5 span-end object follows, timed at the end of the last kept sample. A
file without a complete fragment is dropped with its row; its span then ends with the
previous segment, whose end is this one's start (B.3: segments leave no gap).
"""

from __future__ import annotations

import logging

from onvif_recorder.mp4.repair import repair_segment
from onvif_recorder.storage.object_key import KeyLayout, parse_key, span_end_key
from onvif_recorder.storage.segment_scan import scan_segment
from onvif_recorder.storage.spans import BASE_CONTENT_TYPES, iso8601_duration
from onvif_recorder.storage.upload_queue import PARTIAL, SpoolEntry, UploadSpool

log = logging.getLogger(__name__)


def recover(spool: UploadSpool, entry: SpoolEntry) -> None:
    partial = spool.root / (entry.path + PARTIAL)
    layout = KeyLayout(entry.prefix, entry.postfix)
    parsed = parse_key(entry.key, layout)
    try:
        repaired = repair_segment(partial.read_bytes())
        facts = scan_segment(repaired.data)
        if not repaired.fragments:
            raise ValueError("no complete fragment")
    except (OSError, ValueError) as exc:
        log.warning("upload spool: %s dropped at start-up (%s)", entry.key, exc)
        spool.abandon(entry.id)
        partial.unlink(missing_ok=True)
        if parsed.counter > 0:
            _end_span(spool, entry, layout, entry.start_utc, parsed.counter)
        return
    file = spool.open_file(entry.recording, entry.key)
    spool.append(file, repaired.data)
    finished = spool.finish_file(file)
    metadata = dict(entry.metadata) | {
        "Duration": iso8601_duration(facts.end_utc - facts.start_utc),
        "Timescale": str(facts.timescale)}
    spool.complete(entry.id, finished, entry.content_type, metadata)
    _end_span(spool, entry, layout, facts.end_utc, parsed.counter + 1)
    log.warning("upload spool: %s repaired at start-up (%d fragments kept)", entry.key,
                repaired.fragments)


def _end_span(spool: UploadSpool, entry: SpoolEntry, layout: KeyLayout, end_utc: float,
              counter: int) -> None:
    extension = parse_key(entry.key, layout).extension
    key = span_end_key(layout, end_utc, counter, extension)
    spool.enqueue(entry.storage, entry.recording, entry.span, key, None,
                  BASE_CONTENT_TYPES[extension], {}, end_utc)
