"""TS-EFF 21.06 EXPORT_FORMAT-1-1-1 on a real export file, and the signature checked by
openssl exactly as the test describes (RSASSA-PSS, SHA-256, salt 20, sibo zeroed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from onvif_recorder.mp4.inspect import read_boxes
from tests.unit.export.support import export
from tests.unit.export.ts_eff import CHECKS


@pytest.mark.parametrize("name", list(CHECKS))
def test_export_format_1_1_1(tmp_path: Path, name: str) -> None:
    files, _ = export(tmp_path, location="52.52,13.405")
    CHECKS[name](files[0].read_bytes())


def _sibo_span(data: bytes) -> tuple[int, int]:
    """(offset, size) of the sibo payload, found by scanning, not by the writer's maths."""
    at = data.index(b"sibo") + 4
    size = int.from_bytes(data[at - 8:at - 4], "big") - 8
    return at, size


def _openssl_verify(tmp: Path, data: bytes, certificate: bytes) -> bool:
    at, size = _sibo_span(data)
    (tmp / "signature").write_bytes(data[at:at + size])
    (tmp / "zeroed").write_bytes(data[:at] + bytes(size) + data[at + size:])
    pem = x509.load_der_x509_certificate(certificate).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp / "key.pem").write_bytes(pem)
    run = subprocess.run(["openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss",
                          "-sigopt", "rsa_pss_saltlen:20", "-verify", str(tmp / "key.pem"),
                          "-signature", str(tmp / "signature"), str(tmp / "zeroed")],
                         capture_output=True, text=True, check=False)
    return run.returncode == 0 and "Verified OK" in run.stdout


@pytest.mark.slow
def test_openssl_verifies_and_rejects_one_flipped_media_byte(tmp_path: Path) -> None:
    files, _ = export(tmp_path)
    data = files[0].read_bytes()
    cert_at = data.index(b"cert") + 4
    certificate = data[cert_at:cert_at + int.from_bytes(data[cert_at - 8:cert_at - 4], "big")
                       - 8]
    assert _openssl_verify(tmp_path, data, certificate)
    mdat = next(b for b in read_boxes(data) if b.name == "mdat")
    flipped = bytearray(data)
    flipped[mdat.offset + mdat.header_size + 100] ^= 0x80
    assert not _openssl_verify(tmp_path, bytes(flipped), certificate)
