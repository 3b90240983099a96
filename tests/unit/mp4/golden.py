"""Golden text files under ``tests/data/mp4/golden``; ``UPDATE_GOLDEN=1`` rewrites them."""

from __future__ import annotations

import os

from tests.unit.mp4.media import DATA

GOLDEN = DATA / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run the tests once with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{name} differs from {path} (UPDATE_GOLDEN=1 to accept)"
