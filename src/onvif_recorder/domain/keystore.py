"""The Advanced Security keystore subset that gives ``CertificateID`` a meaning (ASec
§5.2; ``requirements-wave2.md`` §1.7, decision §7.3): uploaded certificates and the
public-only key pairs they bring. No private keys are ever held."""

from __future__ import annotations

from dataclasses import dataclass

KEY_STATUS_OK = "ok"


@dataclass(frozen=True, slots=True)
class KeyPair:
    """``tas:KeyAttribute``: a public key from an uploaded certificate (status ``ok``)."""

    key_id: str
    public_key: str
    """DER SubjectPublicKeyInfo, base64: how an upload finds its key pair (§5.2.6.3.3)."""
    alias: str | None = None
    status: str = KEY_STATUS_OK


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """``tas:X509Certificate``: the DER certificate (base64) and its key pair."""

    certificate_id: str
    key_id: str
    content: str
    alias: str | None = None
