"""Generated keys kept across restarts: ``RotatingKey`` resumes a kept key and reports new
ones; ``engine.key_memory.KeyFile`` stores them atomically, owner-only; the name binds a
key to the entry's settings."""

from __future__ import annotations

import stat
from pathlib import Path

from onvif_recorder.cenc.asymmetric import Recipient
from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.rotation import RotatingKey
from onvif_recorder.engine.key_memory import KeyFile
from onvif_recorder.recording.plan import EncryptionEntry, generated_key_name
from tests.unit.cenc.certificates import ec_key, self_signed

CERTIFICATE = self_signed(ec_key())
RECIPIENTS = [Recipient.from_certificate(CERTIFICATE)]


def test_a_kept_key_is_used_and_rotated_on_its_own_schedule() -> None:
    old = ContentKey.generate()
    kept: list[tuple[ContentKey, float]] = []
    source = RotatingKey(RECIPIENTS, 10.0, kept=(old, 100.0),
                         keep=lambda key, since: kept.append((key, since)))
    assert source.key_at(105.0) == old and kept == []
    new = source.key_at(125.0)
    assert new != old and kept == [(new, 120.0)]


def test_key_file_survives_reopening_and_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "generated-keys.json"
    key = ContentKey.generate()
    KeyFile(path).keep("REC1/abc", key, 42.0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = KeyFile(path)
    assert again.recall("REC1/abc") == (key, 42.0)
    assert again.recall("REC2/abc") is None
    again.forget("REC1")
    assert KeyFile(path).recall("REC1/abc") is None
    assert not list(tmp_path.glob("*.tmp"))


def test_unreadable_key_file_means_new_keys(tmp_path: Path) -> None:
    path = tmp_path / "generated-keys.json"
    path.write_text("{not json")
    assert KeyFile(path).recall("REC1/abc") is None


def test_another_certificate_or_rotation_names_another_key() -> None:
    entry = EncryptionEntry("CENC", None, certificates=(CERTIFICATE,))
    other = EncryptionEntry("CENC", None, certificates=(self_signed(ec_key()),))
    rotating = EncryptionEntry("CENC", None, certificates=(CERTIFICATE,), rotation=60.0)
    names = {generated_key_name("REC1", e) for e in (entry, other, rotating)}
    assert len(names) == 3
    assert generated_key_name("REC1", entry) == generated_key_name("REC1", entry)
    assert generated_key_name("REC2", entry) != generated_key_name("REC1", entry)
