"""The key pair and certificate that sign export files (EFF §5.5), kept in the data dir.

``DATA_DIR/export-signing/key.pem`` (PKCS#8, mode 0600) and ``cert.pem``: created on
first use as an RSA-2048 key with a self-signed certificate (CN ``onvif-recorder export
signing``, 20 years). An operator who wants exports signed by a certificate of their own
CA replaces both files (same names, PEM, RSA >= 2048 bits) while the recorder is stopped.
The Advanced Security keystore holds no private keys (README "Keystore"), so it cannot
sign.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DIRECTORY = "export-signing"
SUBJECT = "onvif-recorder export signing"


@dataclass(frozen=True, slots=True)
class SigningIdentity:
    key: rsa.RSAPrivateKey
    certificate_der: bytes

    @property
    def signature_size(self) -> int:
        return (self.key.key_size + 7) // 8


def load_or_create(data_dir: Path) -> SigningIdentity:
    """The data dir's signing identity, created (atomically) if there is none."""
    folder = data_dir / DIRECTORY
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    if not key_path.exists() or not cert_path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write(cert_path, _self_signed(key).public_bytes(serialization.Encoding.PEM), 0o644)
        _write(key_path, key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()), 0o600)
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey) or loaded.key_size < 2048:
        raise ValueError(f"{key_path}: export signing needs an RSA key of >= 2048 bits")
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return SigningIdentity(loaded, certificate.public_bytes(serialization.Encoding.DER))


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT)])
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365 * 20))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                         False, False), critical=True)
            .sign(key, hashes.SHA256()))


def _write(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
