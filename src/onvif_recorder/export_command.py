"""``onvif-recorder export`` and ``onvif-recorder verify``: the command-line side of export.

``export`` works on a data directory, offline or next to a running recorder (it only
reads the database, WAL, and the segment files): the recording's local segments over
[--from, --to] become one signed Export File Format file (more if the codecs change
inside the range), signed with the data dir's export signing key
(``storage.signing_identity``), exactly as ExportRecordedData writes them.
``verify`` checks a file's signature with the certificate it carries and prints its
``suep`` and ``cstb`` facts.
"""

from __future__ import annotations

import argparse
import getpass
import json
import socket
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from onvif_recorder.domain.recording import Recording
from onvif_recorder.mp4.export_boxes import ExportFacts, ExportSource
from onvif_recorder.persistence.codec import from_json
from onvif_recorder.service.export_signature import (
    ExportFileFacts,
    VerificationError,
    verify_export,
)
from onvif_recorder.service.exports import RecordingExport, file_name
from onvif_recorder.storage.export_writer import (
    ExportFailed,
    local_segments,
    write_recording,
)
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from onvif_recorder.storage.signing_identity import load_or_create

BAR_WIDTH = 30


def add_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recording", help="recording token (onvif-recorder status lists them)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--from", dest="start", type=_time, default=None,
                        help="start, ISO 8601 (UTC without a zone); default: the first media")
    parser.add_argument("--to", dest="end", type=_time, default=None,
                        help="end, ISO 8601; default: now")
    parser.add_argument("--output", type=Path, default=Path("."),
                        help="a directory, or a file name ending in .mp4")
    parser.add_argument("--operator", default=getpass.getuser(),
                        help="ExportOperator written into suep")


def add_verify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="print the facts as JSON")


def _time(text: str) -> float:
    moment = datetime.fromisoformat(text.strip())
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _recording(database: Path, token: str) -> Recording:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for (doc,) in connection.execute("SELECT doc FROM recordings"):
            recording = from_json(Recording, json.loads(doc))
            if recording.token == token:
                return recording
    finally:
        connection.close()
    raise ExportFailed(f"no recording {token!r} in {database}")


def export_command(args: argparse.Namespace, out: TextIO = sys.stderr) -> int:
    database = args.data_dir / "recorder.sqlite3"
    try:
        if not database.is_file():
            raise ExportFailed(f"{database} does not exist")
        recording = _recording(database, args.recording)
        job, rows = _plan(args, database, recording)
        directory = args.output.parent if args.output.suffix == ".mp4" else args.output
        files = write_recording(job, rows, local_segments(args.data_dir / "media"), directory,
                                load_or_create(args.data_dir), threading.Event(),
                                lambda value: _bar(out, value))
    except (ExportFailed, OSError, ValueError) as exc:
        print(f"\nonvif-recorder export: {exc}", file=sys.stderr)
        return 1
    out.write("\n")
    for path in files:
        print(path)
    return 0


def _plan(args: argparse.Namespace, database: Path, recording: Recording
          ) -> tuple[RecordingExport, list[SegmentRow]]:
    index = SegmentIndex(database)
    try:
        end = args.end if args.end is not None else time.time()
        rows = index.overlapping(recording.token, args.start or 0.0, end)
    finally:
        index.close()
    if not rows:
        raise ExportFailed(f"recording {recording.token!r} has no media in that range")
    start = args.start if args.start is not None else rows[0].start_utc
    name = args.output.name if args.output.suffix == ".mp4" else \
        file_name(recording.token, max(start, rows[0].start_utc))
    source = recording.configuration.source
    facts = ExportFacts("onvif-recorder", f"file://{socket.gethostname()}", "", time.time(),
                        args.operator, [], 0.0, 0.0, 1)
    return RecordingExport(recording.token, start, end, name, source.location, facts,
                           ExportSource(0, source.name, source.address)), rows


def _bar(out: TextIO, value: float) -> None:
    filled = round(value * BAR_WIDTH)
    out.write(f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {value * 100:5.1f}%")
    out.flush()


def verify_command(args: argparse.Namespace) -> int:
    try:
        facts = verify_export(args.file.read_bytes())
    except (VerificationError, OSError, ValueError) as exc:
        print(f"{args.file}: NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(render(args.file, facts, args.json))
    return 0


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def render(path: Path, facts: ExportFileFacts, as_json: bool = False) -> str:
    summary = {
        "file": str(path), "signature": "verified (RSASSA-PSS SHA-256)",
        "signer": facts.certificate_subject, "export_unit": facts.unit_name,
        "export_unit_url": facts.unit_url, "export_unit_mac": facts.unit_mac,
        "exported_at": _utc(facts.export_utc), "operator": facts.operator,
        "sources": [{"track_id": t, "name": n, "url": u, "mac": m, "line": line}
                    for t, n, u, m, line in facts.sources],
        "start_times": [{"track_id": t, "utc": _utc(s)} for t, s in facts.start_times],
    }
    if as_json:
        return json.dumps(summary, indent=2) + "\n"
    lines = [f"{path}: signature OK (RSASSA-PSS, SHA-256), signed by {facts.certificate_subject}",
             f"  exported by {facts.unit_name} ({facts.unit_url}) at "
             f"{summary['exported_at']}, operator {facts.operator!r}"]
    lines += [f"  track {t}: {n!r} {u} {m} {line}".rstrip() for t, n, u, m, line in facts.sources]
    lines += [f"  track {t} starts at {_utc(s)} (cstb)" for t, s in facts.start_times]
    return "\n".join(lines) + "\n"
