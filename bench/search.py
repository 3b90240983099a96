"""Recording Search at NVR scale: FindRecordings over many recordings and FindEvents over
a long history, measured at the service layer (time to the first results: the Find*
call plus the first GetResults page), against two same-run baselines: the queries
before schema 7 (recorded ranges aggregated from every segment row, metadata segments
looked for among every row of the window), and reading the segment index row by row.

    .venv/bin/python bench/search.py [--recordings 64] [--days 30] [--segment 60] [--metadata]

The segment files themselves are not written: with ``--metadata`` FindEvents looks for
each segment's file (to read recorded events) and finds none, a lower bound of its cost.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from onvif_recorder.app import build_services
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.service.search.history import EventQuery
from onvif_recorder.service.search.scope import SearchScope
from onvif_recorder.service.search.xpath import parse_filter
from onvif_recorder.settings import Limits, RecorderSettings
from onvif_recorder.storage.search_data import SegmentIndexRecordedData
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow, _row

_BEFORE_CODEC = (
    "SELECT recording, key, span, extension, start_utc, end_utc, size, tracks, codecs,"
    " complete, location, storage FROM segments WHERE recording = ? AND complete = 1"
    " AND start_utc <= ? AND end_utc >= ? AND instr(codecs, ?) > 0 ORDER BY start_utc, id")


class BeforeSpanRows(SegmentIndexRecordedData):
    """The segment index queries of schema 6 (before the ``spans`` rows)."""

    def __init__(self, database: Path, path_of: Callable[[SegmentRow], Path]) -> None:
        super().__init__(SegmentIndex(database), path_of)
        self.index.span_extents = self._extents  # type: ignore[method-assign]
        self.index.finished_with_codec = self._with_codec  # type: ignore[method-assign]

    def _extents(self, recording: str) -> list[tuple[str, tuple[str, ...], float, float, bool]]:
        rows = self.index.connection.execute(
            "SELECT span, tracks, MIN(start_utc), MAX(end_utc), MIN(complete) FROM segments "
            "WHERE recording = ? GROUP BY span, tracks", (recording,)).fetchall()
        return [(str(span), tuple(json.loads(str(tracks))), float(start), float(end),
                 bool(complete)) for span, tracks, start, end, complete in rows]

    def _with_codec(self, recording: str, start: float, end: float,
                    codec: str) -> list[SegmentRow]:
        rows = self.index.connection.execute(
            _BEFORE_CODEC, (recording, end, start, f'"{codec}"')).fetchall()
        return [_row(values) for values in rows]

DAY = 86_400.0
START = 1_780_000_000.0


def populate(database: Path, tokens: list[str], days: float, segment: float,
             metadata: bool) -> int:
    """Segment rows of every recording: ``days`` of ``segment``-second segments, one gap
    (a new span) every six hours."""
    connection = sqlite3.connect(database)
    kinds = {"VIDEO001": "avc1", "AUDIO001": "mp4a"} | ({"META001": "metx"} if metadata else {})
    tracks, codecs = json.dumps(list(kinds)), json.dumps(kinds)
    count = int(days * DAY / segment)
    for token in tokens:
        rows = []
        for n in range(count):
            start = START + n * segment
            span = f"{token}/span-{int((start - START) // 21_600)}"
            end = start + segment - (1.0 if (n + 1) * segment % 21_600 == 0 else 0.0)
            rows.append((token, f"{token}/{n}.mp4", span, "mp4", start, end, 1, tracks,
                         codecs, 1))
        connection.executemany(
            "INSERT INTO segments (recording, key, span, extension, start_utc, end_utc, size,"
            " tracks, codecs, complete) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    connection.commit()
    connection.close()
    return count * len(tokens)


def timed(label: str, call: object) -> float:
    began = time.perf_counter()
    call()  # type: ignore[operator]
    elapsed = time.perf_counter() - began
    print(f"{label:66s} {elapsed * 1000:9.1f} ms")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, default=64)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--segment", type=float, default=60.0)
    parser.add_argument("--many", type=int, default=1000, help="recordings for FindRecordings")
    parser.add_argument("--metadata", action="store_true",
                        help="segments hold a metadata track (FindEvents reads their files)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        limits = replace(Limits(), max_recordings=max(args.many, args.recordings))
        settings = RecorderSettings(data_dir=Path(directory), limits=limits)
        services = build_services(settings)
        source = RecordingSource("urn:x", "Camera", "Site", "", "")
        configuration = RecordingConfiguration(source, "", XsDuration.parse("PT0S"))
        tokens = [services.recordings.create_recording(configuration).token
                  for _ in range(max(args.many, args.recordings))]
        rows = populate(settings.database_path, tokens[:args.recordings], args.days,
                        args.segment, args.metadata)
        print(f"{len(tokens)} recordings, {rows} segment rows "
              f"({args.recordings} x {args.days:g} days of {args.segment:g} s segments)")
        search = services.search
        video = SearchScope(information_filter=parse_filter(
            'boolean(//Track[TrackType = "Video"])'))

        def find_recordings() -> None:
            token = search.find_recordings(video, None, 10, time.time())
            search.recording_results(token, time.time(), 100)

        def find_events() -> None:
            query = EventQuery(START, START + args.days * DAY, True, lambda _: True)
            scope = SearchScope(recordings=tuple(tokens[:args.recordings]))
            token = search.find_events(query, scope, None, 10, time.time())
            search.event_results(token, time.time(), 100)

        def baseline() -> None:  # what decoding every row would cost
            for token in tokens[:args.recordings]:
                search.data.index.segments(token)  # type: ignore[attr-defined]

        after = search.data
        assert isinstance(after, SegmentIndexRecordedData)
        before = BeforeSpanRows(settings.database_path, after.path_of)
        for label, data in (("before (schema 6 queries)", before),
                            ("after (spans rows)", after)):
            search.data = data
            timed(f"{label}: FindRecordings over {len(tokens)}, first 100", find_recordings)
            timed(f"{label}: FindEvents {args.recordings} x {args.days:g} d, first 100",
                  find_events)
        search.data = after
        before.close()
        timed("baseline: read every segment row of those recordings", baseline)
        search.data.close()
        services.holder.store.close()


if __name__ == "__main__":
    main()
