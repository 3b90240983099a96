"""Encryption entries of a recording target checked against what the recorder does
(RC §5.4, §5.7, Annex B.8; digest of faults in ``requirements-wave2.md`` §1.3).

Every refusal is ``BadConfiguration`` naming the entry and the reason, except Key/KID
given together with AsymmetricEncryption: ``AmbiguousConfiguration`` (RC §5.7). The
Key itself never appears in a message.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from onvif_recorder.cenc.keys import InvalidKey, parse_key, parse_kid
from onvif_recorder.cenc.protector import SCHEMES
from onvif_recorder.domain import errors
from onvif_recorder.domain.recording import AsymmetricEncryption, RecordingEncryption

SUPPORTED_MODES = tuple(SCHEMES)
"""``SupportedEncryptionModes``: the tt:EncryptionMode values segments are written in."""
ENTRY_LIMIT = 4
"""``EncryptionEntryLimit``: one entry per track of the default tracks, and one spare."""
ASYMMETRIC_SUPPORTED = True
"""``AsymmetricEncryptionSupported``: CertificateID names a keystore certificate (§7.3)."""


def check_entries(entries: Sequence[RecordingEncryption], tracks: Collection[str],
                  certificates: Collection[str] = ()) -> None:
    """Raise the fault RC §5.4/§5.7 name for the first entry the recorder cannot apply."""
    if len(entries) > ENTRY_LIMIT:
        raise errors.BadConfiguration(
            f"{len(entries)} Encryption entries; EncryptionEntryLimit is {ENTRY_LIMIT}")
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"Encryption entry {number}"
        _check_entry(entry, where, certificates)
        if not entry.tracks and len(entries) > 1:
            raise errors.BadConfiguration(
                f"{where} has no Track, so it covers every track, beside other entries")
        for track in entry.tracks:
            if track not in tracks:
                raise errors.BadConfiguration(f"{where}: the recording has no track {track!r}")
            if track in seen:
                raise errors.BadConfiguration(f"{where}: track {track!r} is in two entries")
            seen.add(track)


def _check_entry(entry: RecordingEncryption, where: str,
                 certificates: Collection[str]) -> None:
    if (entry.key is not None or entry.kid is not None) and entry.asymmetric is not None:
        raise errors.AmbiguousConfiguration(
            f"{where}: Key/KID and AsymmetricEncryption are mutually exclusive")
    if entry.mode not in SUPPORTED_MODES:
        raise errors.BadConfiguration(
            f"{where}: encryption mode {entry.mode!r} is not supported "
            f"(SupportedEncryptionModes: {' '.join(SUPPORTED_MODES)})")
    if entry.asymmetric is not None:
        _check_asymmetric(entry.asymmetric, where, certificates)
        return
    if entry.key is None or entry.kid is None:
        raise errors.BadConfiguration(
            f"{where}: a symmetric entry needs both Key and KID")
    try:
        parse_key(entry.key)
        parse_kid(entry.kid)
    except InvalidKey as exc:
        raise errors.BadConfiguration(f"{where}: {exc}") from None


def _check_asymmetric(asymmetric: AsymmetricEncryption, where: str,
                      certificates: Collection[str]) -> None:
    for certificate in asymmetric.certificate_ids:
        if certificate not in certificates:
            raise errors.BadConfiguration(
                f"{where}: no certificate {certificate!r} in the keystore (UploadCertificate)")
    rotation = asymmetric.key_rotation_duration
    if rotation is not None and rotation.seconds <= 0:
        raise errors.BadConfiguration(f"{where}: KeyRotationDuration must be positive")
