"""Where "now" comes from: one seam so tests can pass a fixed or fake clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
