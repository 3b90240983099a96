"""RC B.8.2 asymmetric key system: the AsymmetricKeySystemHeaderBox ``pssh``.

One box per KID, one entry per certificate. Version 1 entries (RSA certificates) hold
the content key encrypted with RSA-OAEP, SHA-256 and MGF1-SHA-256, no label (what
ONVIF's reference player decrypts; B.8.2.3 names no hash). Version 2 entries (EC
certificates) hold an HPKE Base-mode seal (RFC 9180): KEM from the certificate's
curve, HKDF-SHA256, AES-128-GCM, empty AAD. Thumbprints are SHA-256 of the DER
certificate.

Two wire versions exist (``requirements-wave2.md`` §1.6): 25.12 ends a version 2
entry after EncryptedSymmetricKey; 26.06 appends ``InfoSize``/``Info`` (the configured
AdditionalInfo, which is also the HPKE ``info``). The 26.06 form is written only when
AdditionalInfo is configured (decision §7.1); ``parse`` reads both.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519

from onvif_recorder.mp4.boxes import full_box, u8, u16, u32
from onvif_recorder.mp4.fields import FieldReader

SYSTEM_ID = uuid.UUID("a4852bd0-80fc-484e-b9e1-78a74d49f5ce").bytes
THUMBPRINT_SHA1, THUMBPRINT_SHA256 = 1, 2
VERSION_RSA, VERSION_HPKE = 1, 2
KDF_HKDF_SHA256, AEAD_AES_128_GCM = 0x0001, 0x0001
_KEMS = {"secp256r1": (0x0010, hpke.KEM.P256), "secp384r1": (0x0011, hpke.KEM.P384),
         "secp521r1": (0x0012, hpke.KEM.P521)}
_KEM_X25519 = (0x0020, hpke.KEM.X25519)
_NENC = {0x0010: 65, 0x0011: 97, 0x0012: 133, 0x0020: 32, 0x0021: 56}
"""RFC 9180 §7.1 Nenc: EncapsulatedSharedSecret has no length field (B.8.2.2)."""
_KDFS = {0x0001: hpke.KDF.HKDF_SHA256, 0x0002: hpke.KDF.HKDF_SHA384,
         0x0003: hpke.KDF.HKDF_SHA512}
_AEADS = {0x0001: hpke.AEAD.AES_128_GCM, 0x0002: hpke.AEAD.AES_256_GCM,
          0x0003: hpke.AEAD.CHACHA20_POLY1305}
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | x25519.X25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | x25519.X25519PrivateKey


class AsymmetricError(ValueError):
    """A certificate, key or box the asymmetric key system cannot use."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """A certificate the content key is encrypted for."""

    thumbprint: bytes
    public_key: PublicKey

    @classmethod
    def from_certificate(cls, der: bytes) -> Recipient:
        certificate = x509.load_der_x509_certificate(der)
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
                          | x25519.X25519PublicKey):
            raise AsymmetricError("the certificate's key is neither RSA nor EC")
        return cls(hashlib.sha256(der).digest(), key)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One EncryptedKeyEntry (B.8.2.1)."""

    thumbprint_algorithm: int
    thumbprint: bytes
    version: int
    encrypted_key: bytes
    kem: int = 0
    kdf: int = 0
    aead: int = 0
    enc: bytes = b""
    info: bytes | None = None
    """26.06 Info; None in a 25.12 entry."""

    def encode(self) -> bytes:
        head = u16(self.thumbprint_algorithm) + u32(len(self.thumbprint)) + self.thumbprint
        key = u16(len(self.encrypted_key)) + self.encrypted_key
        if self.version == VERSION_RSA:
            return head + u8(VERSION_RSA) + key
        hpke_ids = u16(self.kem) + u16(self.kdf) + u16(self.aead)
        info = b"" if self.info is None else u16(len(self.info)) + self.info
        return head + u8(VERSION_HPKE) + hpke_ids + self.enc + key + info


def wrap(content_key: bytes, recipient: Recipient, info: bytes | None = None) -> KeyEntry:
    """Encrypt ``content_key`` for ``recipient``; ``info`` given: the 26.06 form."""
    public = recipient.public_key
    if isinstance(public, rsa.RSAPublicKey):
        return KeyEntry(THUMBPRINT_SHA256, recipient.thumbprint, VERSION_RSA,
                        public.encrypt(content_key, _OAEP))
    kem, suite_kem = _kem_of(public)
    suite = hpke.Suite(suite_kem, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
    sealed = suite.encrypt(content_key, public, info=info or b"")
    nenc = _NENC[kem]
    return KeyEntry(THUMBPRINT_SHA256, recipient.thumbprint, VERSION_HPKE, sealed[nenc:],
                    kem, KDF_HKDF_SHA256, AEAD_AES_128_GCM, sealed[:nenc], info)


def _kem_of(public: PublicKey) -> tuple[int, hpke.KEM]:
    if isinstance(public, x25519.X25519PublicKey):
        return _KEM_X25519
    assert isinstance(public, ec.EllipticCurvePublicKey)
    found = _KEMS.get(public.curve.name)
    if found is None:
        raise AsymmetricError(f"no HPKE KEM for curve {public.curve.name}")
    return found


def unwrap(entry: KeyEntry, private_key: PrivateKey) -> bytes:
    """The content key from an entry, with the certificate's private key."""
    if entry.version == VERSION_RSA:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise AsymmetricError("a version 1 entry needs an RSA private key")
        return private_key.decrypt(entry.encrypted_key, _OAEP)
    if isinstance(private_key, rsa.RSAPrivateKey):
        raise AsymmetricError("a version 2 entry needs an EC private key")
    suite = hpke.Suite(_kem_by_id(entry.kem), _KDFS[entry.kdf], _AEADS[entry.aead])
    return suite.decrypt(entry.enc + entry.encrypted_key, private_key, info=entry.info or b"")


def _kem_by_id(kem: int) -> hpke.KEM:
    for kem_id, suite_kem in (*_KEMS.values(), _KEM_X25519):
        if kem_id == kem:
            return suite_kem
    raise AsymmetricError(f"unsupported HPKE KEM {kem:#06x}")


def pssh(kid: bytes, entries: Sequence[KeyEntry]) -> bytes:
    """AsymmetricKeySystemHeaderBox (B.8.2.1): version 1, KID_count 1, DataSize 32 bits."""
    if not entries:
        raise AsymmetricError("EncryptedKeyEntryCount shall be 1 or more")
    data = u32(len(entries)) + b"".join(entry.encode() for entry in entries)
    return full_box(b"pssh", 1, 0, SYSTEM_ID, u32(1), kid, u32(len(data)), data)


def thumbprint_matches(entry: KeyEntry, certificate_der: bytes) -> bool:
    digest = hashlib.sha1 if entry.thumbprint_algorithm == THUMBPRINT_SHA1 else hashlib.sha256
    return digest(certificate_der).digest() == entry.thumbprint


def public_der(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


# --- reading -------------------------------------------------------------------------


def parse(payload: bytes) -> tuple[bytes, list[KeyEntry]]:
    """(KID, entries) of an AsymmetricKeySystemHeaderBox payload (after the box header),
    in either wire version: the 25.12 reading is tried first and kept when it consumes
    exactly DataSize bytes, else the 26.06 one must."""
    reader = FieldReader(payload)
    version, _flags = reader.full()
    if version != 1 or reader.take(16) != SYSTEM_ID or reader.uint(4) != 1:
        raise AsymmetricError("not an AsymmetricKeySystemHeaderBox")
    kid = reader.take(16)
    data = reader.take(reader.uint(4))
    for with_info in (False, True):
        try:
            return kid, _entries(data, with_info)
        except (AsymmetricError, ValueError, IndexError):
            continue
    raise AsymmetricError("EncryptedKeyEntry list matches neither the 25.12 nor 26.06 layout")


def _entries(data: bytes, with_info: bool) -> list[KeyEntry]:
    reader = FieldReader(data)
    entries = [_entry(reader, with_info) for _ in range(reader.uint(4))]
    if reader.left:
        raise AsymmetricError("bytes left after the last entry")
    return entries


def _entry(reader: FieldReader, with_info: bool) -> KeyEntry:
    algorithm = reader.uint(2)
    thumbprint = reader.take(reader.uint(4))
    version = reader.uint(1)
    if version == VERSION_RSA:
        return KeyEntry(algorithm, thumbprint, version, reader.take(reader.uint(2)))
    if version != VERSION_HPKE:
        raise AsymmetricError(f"unknown EncryptionVersion {version}")
    kem, kdf, aead = reader.uint(2), reader.uint(2), reader.uint(2)
    if kem not in _NENC:
        raise AsymmetricError(f"unknown HPKE KEM {kem:#06x}")
    enc = reader.take(_NENC[kem])
    key = reader.take(reader.uint(2))
    info = reader.take(reader.uint(2)) if with_info else None
    return KeyEntry(algorithm, thumbprint, version, key, kem, kdf, aead, enc, info)
