"""Recording Search at NVR scale: FindRecordings over many recordings and FindEvents over
a long history, measured at the service layer (time to the first results: the Find*
call plus the first GetResults page), against the same-run baseline of reading the
segment index row by row.

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
from dataclasses import replace
from pathlib import Path

from onvif_recorder.app import build_services
from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.recording import RecordingConfiguration, RecordingSource
from onvif_recorder.service.search.history import EventQuery
from onvif_recorder.service.search.scope import SearchScope
from onvif_recorder.service.search.xpath import parse_filter
from onvif_recorder.settings import Limits, RecorderSettings

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
    print(f"{label:58s} {elapsed * 1000:9.1f} ms")
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

        timed(f"FindRecordings (Video filter) over {len(tokens)}, first 100", find_recordings)
        timed(f"FindEvents over {args.recordings} x {args.days:g} days, first 100", find_events)
        timed("baseline: read every segment row of those recordings", baseline)
        search.data.close()
        services.holder.store.close()


if __name__ == "__main__":
    main()
