"""The limits every store request keeps to (issue 10 item 7) and the settings they come from."""

from __future__ import annotations

import pytest

from onvif_recorder.engine.runtime import upload_settings
from onvif_recorder.settings import RecorderSettings
from onvif_recorder.storage.object_store import StoreTimeouts


def test_deadline_grows_with_the_object_at_the_minimum_rate() -> None:
    timeouts = StoreTimeouts(connect=2.0, progress=5.0, min_rate=1000.0)
    assert timeouts.deadline(0) == 7.0
    assert timeouts.deadline(10_000) == 17.0


def test_a_stall_is_reported_within_a_minute_by_default() -> None:
    # accepted but silent: the first movement may take connect + progress seconds
    defaults = StoreTimeouts()
    assert defaults.connect + defaults.progress < 60


@pytest.mark.parametrize("field", ["connect", "progress", "min_rate"])
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match="positive"):
        StoreTimeouts(**{field: 0.0})


def test_recorder_settings_reach_the_upload_manager() -> None:
    settings = upload_settings(RecorderSettings(
        upload_backoff_max=4.0, upload_connect_timeout=3.0, upload_progress_timeout=7.0,
        upload_min_rate=2048.0))
    assert settings.timeouts == StoreTimeouts(connect=3.0, progress=7.0, min_rate=2048.0)
    assert settings.backoff.maximum == 4.0 and settings.backoff.jitter > 0
    assert upload_settings(RecorderSettings(upload_backoff_max=0.2)).backoff.initial == 0.2
