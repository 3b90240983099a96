"""What Search needs from a segment that will not stay on this machine, kept in its
segment index row (``segments.search``, schema 7) when the segment is finished. Pure.

An object-storage segment leaves the upload spool once its store confirmed it, and the
store interface only uploads (``storage.object_store``): reading the object back for
every GetMediaAttributes or FindMetadata would put a network round trip per segment,
and the store's availability, into every search. So the facts GetMediaAttributes answers
(per track: sample entry, picture size, sample rate, samples, bytes; the media duration)
and the recorded ONVIF metadata documents (FindEvents, FindMetadata, FindPTZPosition)
are taken from the finished spool file, once, and deleted with the row. Its size is the
recorded metadata's (a few kB per segment for one document a second) plus about 200
bytes; a segment without a metadata track stores only the facts.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from typing import Any

from onvif_recorder.storage.segment_media import (
    SegmentMedia,
    TrackMedia,
    metadata_samples,
    segment_media,
)

Documents = dict[str, list[tuple[float, bytes]]]


def summarize(data: bytes) -> str:
    """The summary of a finished segment's bytes (ValueError if it has no usable header)."""
    media = segment_media(data)
    documents = metadata_samples(data) if any(
        t.entry == "metx" for t in media.tracks.values()) else {}
    return json.dumps({
        "duration": media.duration,
        "tracks": {token: asdict(track) for token, track in media.tracks.items()},
        "metadata": {token: [[moment, base64.b64encode(payload).decode("ascii")]
                             for moment, payload in samples]
                     for token, samples in documents.items()},
    }, separators=(",", ":"))


def summary_media(text: str) -> SegmentMedia:
    """ValueError if ``text`` is not a summary (an empty one: the row has none)."""
    found = _load(text)
    return SegmentMedia(float(found["duration"]),
                        {str(k): TrackMedia(**v) for k, v in found["tracks"].items()})


def summary_documents(text: str) -> Documents:
    found = _load(text)
    return {str(token): [(float(moment), base64.b64decode(payload))
                         for moment, payload in samples]
            for token, samples in found["metadata"].items()}


def _load(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("the segment has no search summary") from None
    if not isinstance(found, dict):
        raise ValueError("the segment has no search summary")
    return found
