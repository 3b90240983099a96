"""Advanced Security service endpoint (tas), the keystore subset the recorder needs for
encrypted recording (ASec §5.2.6, §5.5.7; ``service.keystore``). Operations not listed
here answer ``ActionNotSupported`` like any unknown operation."""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from onvif_recorder.domain.errors import InvalidArgVal
from onvif_recorder.service.keystore import KeystoreService
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.keystore import (
    tas,
    write_capabilities,
    write_certificate,
    write_key,
)
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.namespaces import TAS
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/advancedsecurity_service"


def _response(name: str) -> etree._Element:
    return etree.Element(tas(name), nsmap={"tas": TAS})


class KeystoreHandlers:
    def __init__(self, keystore: KeystoreService) -> None:
        self.keystore = keystore

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_capabilities(response, self.keystore.capabilities)
        return response

    def upload_certificate(self, _: CallContext, request: etree._Element) -> etree._Element:
        reader = Reader(request, InvalidArgVal)
        try:
            der = base64.b64decode(reader.text("Certificate"), validate=True)
        except binascii.Error:
            raise reader.fail("Certificate is not base64") from None
        stored = self.keystore.upload_certificate(
            der, reader.optional_text("Alias"), reader.optional_text("KeyAlias"),
            bool(reader.boolean("PrivateKeyRequired")))
        response = _response("UploadCertificateResponse")
        sub(response, tas("CertificateID"), stored.certificate_id)
        sub(response, tas("KeyID"), stored.key_id)
        return response

    def get_certificate(self, _: CallContext, request: etree._Element) -> etree._Element:
        identifier = Reader(request, InvalidArgVal).text("CertificateID")
        response = _response("GetCertificateResponse")
        write_certificate(response, "Certificate", self.keystore.certificate(identifier))
        return response

    def get_all_certificates(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetAllCertificatesResponse")
        for certificate in self.keystore.certificates():
            write_certificate(response, "Certificate", certificate)
        return response

    def delete_certificate(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.keystore.delete_certificate(Reader(request, InvalidArgVal).text("CertificateID"))
        return _response("DeleteCertificateResponse")

    def get_key_status(self, _: CallContext, request: etree._Element) -> etree._Element:
        key = self.keystore.key(Reader(request, InvalidArgVal).text("KeyID"))
        response = _response("GetKeyStatusResponse")
        sub(response, tas("KeyStatus"), key.status)
        return response

    def get_all_keys(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetAllKeysResponse")
        for key in self.keystore.key_pairs():
            write_key(response, key)
        return response

    def delete_key(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.keystore.delete_key(Reader(request, InvalidArgVal).text("KeyID"))
        return _response("DeleteKeyResponse")


def keystore_endpoint(handlers: KeystoreHandlers) -> ServiceEndpoint:
    h = handlers
    secret = AccessClass.READ_SYSTEM_SECRET
    operations = [
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("UploadCertificate", AccessClass.WRITE_SYSTEM, h.upload_certificate),
        Operation("GetCertificate", secret, h.get_certificate),
        Operation("GetAllCertificates", secret, h.get_all_certificates),
        Operation("DeleteCertificate", AccessClass.UNRECOVERABLE, h.delete_certificate),
        Operation("GetKeyStatus", secret, h.get_key_status),
        Operation("GetAllKeys", secret, h.get_all_keys),
        Operation("DeleteKey", AccessClass.UNRECOVERABLE, h.delete_key),
    ]
    return ServiceEndpoint.build(PATH, TAS, operations, ())
