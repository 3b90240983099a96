"""Log lines: JSON objects one per line, a client's malformed HTTP one warning line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp.http_exceptions import BadHttpMessage

from onvif_recorder.logs import configure


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure("INFO", "json", stream)
    yield stream
    configure("WARNING", "text")


def entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_message(lines: io.StringIO) -> None:
    logging.getLogger("onvif_recorder.test").info("receiver %s: %s", "R1", "connected")
    [entry] = entries(lines)
    assert entry["level"] == "INFO" and entry["logger"] == "onvif_recorder.test"
    assert entry["message"] == "receiver R1: connected"
    assert str(entry["time"]).endswith("Z") and "T" in str(entry["time"])


def test_a_traceback_stays_inside_its_line(lines: io.StringIO) -> None:
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        logging.getLogger("onvif_recorder.test").exception("writer failed")
    [entry] = entries(lines)
    assert entry["level"] == "ERROR" and "RuntimeError: boom" in str(entry["exception"])


def test_malformed_http_is_one_warning_without_traceback(lines: io.StringIO) -> None:
    error = BadHttpMessage("Invalid header token:\n\n  b'x'\n   ^")
    logging.getLogger("aiohttp.server").error("Error handling request from %s", "192.0.2.9",
                                              exc_info=error)
    [entry] = entries(lines)
    assert entry["level"] == "WARNING" and "exception" not in entry
    assert entry["message"] == ("malformed HTTP request from 192.0.2.9 refused: "
                                "Invalid header token: b'x' ^")


def test_text_format_is_one_line_per_event() -> None:
    stream = io.StringIO()
    configure("INFO", "text", stream)
    try:
        logging.getLogger("aiohttp.server").error(
            "Error handling request from %s", "192.0.2.9", exc_info=BadHttpMessage("bad"))
    finally:
        configure("WARNING", "text")
    [line] = stream.getvalue().splitlines()
    assert " WARNING aiohttp.server: malformed HTTP request from 192.0.2.9 refused" in line
