"""Logging set-up for the command line: one line per event, as text or as JSON.

``--log-format json`` (``[logging] format``) writes one JSON object per line with
``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger`` and ``message``, plus
``exception`` (the traceback, as one string) when there is one, so a line never spans
several. A client's mistake is never a traceback: aiohttp logs a request it cannot
parse (garbage, a malformed request line or header) with the exception attached; that is
the client's fault, so ``ClientMistakes`` turns it into one warning line.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from typing import TextIO

from aiohttp.http_exceptions import HttpProcessingError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER = "onvif-recorder"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class ClientMistakes(logging.Filter):
    """aiohttp's record of a request that is not HTTP becomes one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            reason = " ".join(str(error.message or type(error).__name__).split())
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "malformed HTTP request from %s refused: %s", (
                remote, reason)
            record.exc_info, record.exc_text = None, None
        return True


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure(level: str, log_format: str = "text", stream: TextIO | None = None) -> None:
    """Root logging to ``stream`` (stderr) at ``level``, as ``text`` or ``json``; replaces
    what an earlier call installed, leaves other handlers alone."""
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ClientMistakes())
    handler.set_name(_HANDLER)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
