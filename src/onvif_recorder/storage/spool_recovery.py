"""Start-up recovery of the upload spool: ``sweep`` before the drainers start.

A segment's row was journalled when it opened (not ready), so after ``kill -9`` its
``.partial`` file is known: ``segment_file.repair_partial`` (the repair local storage
uses too) keeps the header and every complete fragment, rebuilds the ``mfra`` and
renames the result durably, computing its MD5 on the way; the recovery box read back
gives its start, end and timescale. The row becomes ready with the attributes known at
open plus the real ``Duration`` (the condensed SeekTable is left out: B.9 makes it
optional), and since the crash also ended the span, its B.5 span-end object follows,
timed at the end of the last kept sample. A file without a complete fragment is dropped
with its row; its span then ends with the previous segment, whose end is this one's
start (B.3: segments leave no gap). Then files no row names are removed and rows whose
file is gone are dropped.
"""

from __future__ import annotations

import hashlib
import logging

from onvif_recorder.storage.object_key import KeyLayout, parse_key, span_end_key
from onvif_recorder.storage.segment_file import PARTIAL, repair_partial
from onvif_recorder.storage.spans import BASE_CONTENT_TYPES, iso8601_duration
from onvif_recorder.storage.upload_queue import FinishedFile, SpoolEntry, UploadSpool

log = logging.getLogger(__name__)


def sweep(spool: UploadSpool) -> None:
    """Repair segments being built, remove orphan files, drop rows whose file is gone."""
    for entry in spool.building():
        recover(spool, entry)
    rows = spool.entries()
    wanted = {entry.path for entry in rows if entry.path}
    for path in sorted(spool.root.rglob("*")):
        relative = path.relative_to(spool.root).as_posix()
        if path.is_file() and relative not in wanted:
            path.unlink()
    spool.drop([e for e in rows if e.path and not (spool.root / e.path).is_file()],
               "spool file missing")


def recover(spool: UploadSpool, entry: SpoolEntry) -> None:
    """Finish or drop the segment of a row that was being built when the process died."""
    layout = KeyLayout(entry.prefix, entry.postfix)
    parsed = parse_key(entry.key, layout)
    md5 = hashlib.md5()
    try:
        outcome = repair_partial(spool.root / (entry.path + PARTIAL), on_write=md5.update)
    except OSError as exc:
        log.warning("upload spool: %s could not be repaired (%s)", entry.key, exc)
        outcome = None
    facts = None if outcome is None else outcome.facts
    if outcome is None or facts is None or not outcome.fragments:
        log.warning("upload spool: %s dropped at start-up (no complete fragment)", entry.key)
        spool.abandon(entry.id)
        if parsed.counter > 0:
            _end_span(spool, entry, layout, entry.start_utc, parsed.counter)
        return
    metadata = dict(entry.metadata) | {
        "Duration": iso8601_duration(facts.end_utc - facts.start_utc),
        "Timescale": str(facts.timescale)}
    spool.complete(entry.id, FinishedFile(entry.path, outcome.size, md5.hexdigest()),
                   entry.content_type, metadata)
    _end_span(spool, entry, layout, facts.end_utc, parsed.counter + 1)
    log.warning("upload spool: %s repaired at start-up (%d fragments kept)", entry.key,
                outcome.fragments)


def _end_span(spool: UploadSpool, entry: SpoolEntry, layout: KeyLayout, end_utc: float,
              counter: int) -> None:
    extension = parse_key(entry.key, layout).extension
    key = span_end_key(layout, end_utc, counter, extension)
    spool.enqueue(entry.storage, entry.recording, entry.span, key, None,
                  BASE_CONTENT_TYPES[extension], {}, end_utc)
