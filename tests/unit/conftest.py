"""The ingest kernels under test: every test that asks for ``kernel`` runs once with the
Python reference and once with the compiled kernels (``onvif_recorder.rtp.kernels``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onvif_recorder.rtp import kernels

KERNELS = ("python", "c")


@pytest.fixture(params=KERNELS, scope="module")
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Select one implementation for the test; a missing compiled one fails, saying why."""
    before = kernels.name_active
    kernels.select(request.param)
    yield request.param
    kernels.select(before)
