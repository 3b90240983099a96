"""The Advanced Security keystore subset (ASec §5.2.6.2-§5.2.6.3; digest §1.7, decision
§7.3): certificates uploaded by clients, each with a public-only key pair, so that a
recording's ``AsymmetricEncryption/CertificateID`` names something (RC B.8.2).

UploadCertificate links a certificate to the key pair with the same public key or makes
a new one (status ``ok``); certificates outside their validity period are accepted and
never marked trusted (§5.2.6.3.3). IDs are fresh NCNames, never reused. A certificate a
recording references, or a key a certificate references, is not deleted
(``ReferenceExists``, §5.2.4).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from onvif_recorder.domain import errors
from onvif_recorder.domain.keystore import KEY_STATUS_OK, KeyPair, StoredCertificate
from onvif_recorder.domain.recording import RecordingTarget
from onvif_recorder.service.events import KeyStatusChanged
from onvif_recorder.service.state import Changes, StateHolder

MAX_CERTIFICATES = 16
MAX_KEYS = 16
_CURVES = ("secp256r1", "secp384r1", "secp521r1")
"""EC curves with an HPKE KEM (RFC 9180 §7.1), so the recorder can encrypt for them."""


@dataclass(frozen=True, slots=True)
class KeystoreCapabilities:
    """``tas:KeystoreCapabilities``: only what this keystore does."""

    maximum_number_of_keys: int = MAX_KEYS
    maximum_number_of_certificates: int = MAX_CERTIFICATES


class KeystoreService:
    def __init__(self, holder: StateHolder) -> None:
        self.holder = holder
        self.capabilities = KeystoreCapabilities()

    # ASec §5.2.6.3.3
    def upload_certificate(self, der: bytes, alias: str | None = None,
                           key_alias: str | None = None,
                           private_key_required: bool = False) -> StoredCertificate:
        state = self.holder.state
        if len(state.certificates) >= MAX_CERTIFICATES:
            raise errors.MaximumNumberOfCertificatesReached(
                f"the keystore holds {MAX_CERTIFICATES} certificates")
        public = _public_key(der)
        if private_key_required:
            raise errors.NoMatchingPrivateKey("this keystore holds no private keys")
        changes = Changes()
        key = next((k for k in state.keys.values() if k.public_key == public), None)
        if key is None:
            if len(state.keys) >= MAX_KEYS:
                raise errors.MaximumNumberOfCertificatesReached(
                    f"the keystore holds {MAX_KEYS} keys")
            key = KeyPair(self.holder.next_token("keystore-key", changes, "Key_"), public,
                          key_alias)
            changes.keys.append(key)
            # ASec §5.5.8.1: OldStatus may be omitted only for "generating", so the new
            # public-only key is announced as generated and ok within this one commit.
            changes.events += [KeyStatusChanged(key.key_id, "generating"),
                               KeyStatusChanged(key.key_id, KEY_STATUS_OK, "generating")]
        certificate = StoredCertificate(
            self.holder.next_token("keystore-certificate", changes, "Certificate_"),
            key.key_id, base64.b64encode(der).decode("ascii"), alias)
        changes.certificates.append(certificate)
        self.holder.commit(changes)
        return certificate

    # ASec §5.2.6.3.5
    def certificate(self, certificate_id: str) -> StoredCertificate:
        found = self.holder.state.certificates.get(certificate_id)
        if found is None:
            raise errors.UnknownCertificateID(f"no certificate {certificate_id!r}")
        return found

    def certificates(self) -> list[StoredCertificate]:
        return list(self.holder.state.certificates.values())

    # ASec §5.2.6.3.7
    def delete_certificate(self, certificate_id: str) -> None:
        self.certificate(certificate_id)
        users = [r.token for r in self.holder.state.recordings.values()
                 if certificate_id in _certificates_of(r.configuration.target)]
        if users:
            raise errors.ReferenceExists(
                f"certificate {certificate_id!r} encrypts recording {users[0]!r}")
        self.holder.commit(Changes(deleted_certificates=[certificate_id]))

    # ASec §5.2.6.2.3 / .5 / .6
    def key(self, key_id: str) -> KeyPair:
        found = self.holder.state.keys.get(key_id)
        if found is None:
            raise errors.UnknownKeyID(f"no key {key_id!r}")
        return found

    def key_pairs(self) -> list[KeyPair]:
        return list(self.holder.state.keys.values())

    def delete_key(self, key_id: str) -> None:
        self.key(key_id)
        users = [c.certificate_id for c in self.holder.state.certificates.values()
                 if c.key_id == key_id]
        if users:
            raise errors.ReferenceExists(f"key {key_id!r} belongs to certificate {users[0]!r}")
        self.holder.commit(Changes(deleted_keys=[key_id]))

    def certificate_der(self, certificate_id: str) -> bytes | None:
        """The DER certificate of ``certificate_id``, None if the keystore has none."""
        found = self.holder.state.certificates.get(certificate_id)
        return None if found is None else base64.b64decode(found.content)


def _public_key(der: bytes) -> str:
    """The certificate's SubjectPublicKeyInfo (base64) if the recorder can encrypt for it."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        key = certificate.public_key()
    except ValueError as exc:
        raise errors.BadCertificate(f"not an X.509 DER certificate: {exc}") from None
    if certificate.version is not x509.Version.v3:
        raise errors.BadCertificate("only X.509 version 3 certificates are accepted")
    usable = isinstance(key, rsa.RSAPublicKey) or (
        isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _CURVES)
    if not usable:
        raise errors.UnsupportedPublicKeyAlgorithm(
            "RSA and EC P-256/P-384/P-521 public keys are supported")
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(spki).decode("ascii")


def _certificates_of(target: RecordingTarget | None) -> set[str]:
    entries = () if target is None else target.encryption
    return {cid for entry in entries if entry.asymmetric is not None
            for cid in entry.asymmetric.certificate_ids}
