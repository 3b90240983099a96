"""``onvif-recorder decrypt``: the file side of ``cenc.reader`` (reads and writes files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

from onvif_recorder.cenc import reader
from onvif_recorder.cenc.asymmetric import PrivateKey
from onvif_recorder.cenc.keys import parse_key, parse_kid


def run(files: Sequence[Path], keys: Sequence[str] | None, private_key: Path | None,
        output: Path | None) -> list[Path]:
    """Decrypt each file to its output path; returns the paths written."""
    given = _given_keys(keys or [])
    secret = _private_key(private_key) if private_key is not None else None
    written = []
    for source in files:
        data = source.read_bytes()
        found = dict(given)
        if secret is not None:
            found.update(reader.asymmetric_keys(data, secret))
        any_key = found.get(b"")

        def lookup(kid: bytes, found: dict[bytes, bytes] = found,
                   fallback: bytes | None = any_key) -> bytes | None:
            return found.get(kid, fallback)

        target = _target(source, output, len(files))
        target.write_bytes(reader.decrypt(data, lookup))
        written.append(target)
    return written


def _given_keys(values: Sequence[str]) -> dict[bytes, bytes]:
    """``KID:KEY`` pairs; a bare KEY (stored under b"") serves every KID."""
    keys: dict[bytes, bytes] = {}
    for value in values:
        kid, _, key = value.rpartition(":")
        keys[parse_kid(kid) if kid else b""] = parse_key(key)
    return keys


def _private_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
                      | x25519.X25519PrivateKey):
        raise ValueError(f"{path}: neither an RSA nor an EC private key")
    return key


def _target(source: Path, output: Path | None, count: int) -> Path:
    if output is None:
        return source.with_name(f"{source.stem}.clear{source.suffix}")
    if count > 1 or output.is_dir():
        output.mkdir(parents=True, exist_ok=True)
        return output / source.name
    return output
