"""The in-memory log behind GetSystemLog: newest lines kept within a byte budget."""

from __future__ import annotations

import logging

from onvif_recorder.logbuffer import LogBuffer


def test_oldest_lines_go_first_and_the_budget_holds() -> None:
    buffer = LogBuffer(max_bytes=2000)
    logger = logging.getLogger("onvif_recorder.test_logbuffer")
    logger.addHandler(buffer)
    logger.setLevel(logging.INFO)
    try:
        for number in range(200):
            logger.info("line %03d", number)
    finally:
        logger.removeHandler(buffer)
    text = buffer.text()
    assert len(text) <= 2000
    assert "line 199" in text and "line 000" not in text
    assert buffer.dropped > 0
    kept = text.splitlines()
    assert [int(line.rsplit(" ", 1)[1]) for line in kept] == list(range(200 - len(kept), 200))


def test_debug_is_not_kept() -> None:
    buffer = LogBuffer()
    logger = logging.getLogger("onvif_recorder.test_logbuffer_debug")
    logger.addHandler(buffer)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("noise")
        logger.warning("signal")
    finally:
        logger.removeHandler(buffer)
    assert "noise" not in buffer.text() and "signal" in buffer.text()
