"""tas: keystore types (ASec §5.2.6, §5.5.7) ⇄ domain; the subset ``service.keystore`` keeps."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.keystore import KeyPair, StoredCertificate
from onvif_recorder.service.keystore import KeystoreCapabilities
from onvif_recorder.soap.mapping.primitives import sub, xs_boolean
from onvif_recorder.soap.namespaces import TAS, qname


def tas(name: str) -> str:
    return qname(TAS, name)


def write_capabilities(parent: etree._Element, caps: KeystoreCapabilities) -> etree._Element:
    """tas:Capabilities: the keystore's limits; TLSServerCapabilities is required, empty."""
    element = sub(parent, tas("Capabilities"))
    keystore = sub(element, tas("KeystoreCapabilities"))
    keystore.set("MaximumNumberOfKeys", str(caps.maximum_number_of_keys))
    keystore.set("MaximumNumberOfCertificates", str(caps.maximum_number_of_certificates))
    keystore.set("X509Versions", "3")
    for name in ("RSAKeyPairGeneration", "ECCKeyPairGeneration", "PKCS10", "PKCS12",
                 "SelfSignedCertificateCreation", "PKCS8"):
        keystore.set(name, "false")
    sub(element, tas("TLSServerCapabilities"))
    return element


def write_certificate(parent: etree._Element, name: str, certificate: StoredCertificate) -> None:
    element = sub(parent, tas(name))
    sub(element, tas("CertificateID"), certificate.certificate_id)
    sub(element, tas("KeyID"), certificate.key_id)
    if certificate.alias is not None:
        sub(element, tas("Alias"), certificate.alias)
    sub(element, tas("CertificateContent"), certificate.content)


def write_key(parent: etree._Element, key: KeyPair) -> None:
    element = sub(parent, tas("KeyAttribute"))
    sub(element, tas("KeyID"), key.key_id)
    if key.alias is not None:
        sub(element, tas("Alias"), key.alias)
    sub(element, tas("hasPrivateKey"), xs_boolean(False))
    sub(element, tas("KeyStatus"), key.status)
    sub(element, tas("externallyGenerated"), xs_boolean(True))
