"""tds:StorageConfigurationData and tds:StorageConfiguration (devicemgmt.wsdl).

Core GetStorageConfiguration: "a device shall not return the credentials (password or
access token) in the reply", so the writers never emit ``Password`` or ``Token``.
"""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import OnvifError
from onvif_recorder.domain.storage import (
    ConfigurationRenewal,
    StorageConfiguration,
    StorageConfigurationData,
    UserCredential,
)
from onvif_recorder.soap.mapping.primitives import TOKEN_MAX_LENGTH, Reader, sub
from onvif_recorder.soap.namespaces import TDS, qname

URI_MAX_LENGTH = 1024
TEXT_MAX_LENGTH = 256  # type, Region, UserName, policy IDs
SECRET_MAX_LENGTH = 4096  # Azure shared access signatures are long


def _tds(name: str) -> str:
    return qname(TDS, name)


def _read_user(reader: Reader) -> UserCredential:
    return UserCredential(
        username=reader.text("UserName", TEXT_MAX_LENGTH),
        password=reader.optional_text("Password", SECRET_MAX_LENGTH),
        token=reader.optional_text("Token", SECRET_MAX_LENGTH),
    )


def _read_renewal(reader: Reader) -> ConfigurationRenewal:
    return ConfigurationRenewal(
        renewal_endpoint=reader.uri("RenewalEndpoint", URI_MAX_LENGTH),
        authorization_server=reader.token("AuthorizationServer"),
        cert_path_validation_policy_id=reader.optional_text(
            "CertPathValidationPolicyID", TEXT_MAX_LENGTH
        ),
        error=reader.optional_text("Error", TEXT_MAX_LENGTH),
    )


def _required_attribute(reader: Reader, name: str) -> str:
    value = reader.attribute(name)
    if value is None:
        raise reader.fail(f"StorageConfigurationData has no {name} attribute")
    if len(value) > TEXT_MAX_LENGTH:
        raise reader.fail(f"{name} is longer than {TEXT_MAX_LENGTH} characters")
    return value


def read_storage_data(element: etree._Element, error: type[OnvifError]) -> StorageConfigurationData:
    reader = Reader(element, error)
    user = reader.child("User")
    renewal = reader.child("ConfigurationRenewal")
    region = reader.attribute("Region")
    if region is not None and len(region) > TEXT_MAX_LENGTH:
        raise reader.fail(f"Region is longer than {TEXT_MAX_LENGTH} characters")
    return StorageConfigurationData(
        type=_required_attribute(reader, "type"),
        local_path=reader.optional_uri("LocalPath", URI_MAX_LENGTH),
        storage_uri=reader.optional_uri("StorageUri", URI_MAX_LENGTH),
        user=None if user is None else _read_user(user),
        region=region,
        cert_path_validation_policy_id=reader.optional_text(
            "CertPathValidationPolicyID", TEXT_MAX_LENGTH
        ),
        configuration_renewal=None if renewal is None else _read_renewal(renewal),
    )


def read_storage_configuration(
    element: etree._Element, error: type[OnvifError]
) -> StorageConfiguration:
    reader = Reader(element, error)
    token = (reader.attribute("token") or "").strip()
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise reader.fail("StorageConfiguration has no valid token attribute")
    return StorageConfiguration(token, read_storage_data(reader.required("Data").element, error))


def _write_renewal(parent: etree._Element, renewal: ConfigurationRenewal) -> None:
    element = sub(parent, _tds("ConfigurationRenewal"))
    sub(element, _tds("RenewalEndpoint"), renewal.renewal_endpoint)
    sub(element, _tds("AuthorizationServer"), renewal.authorization_server)
    if renewal.cert_path_validation_policy_id is not None:
        sub(element, _tds("CertPathValidationPolicyID"), renewal.cert_path_validation_policy_id)
    if renewal.error is not None:
        sub(element, _tds("Error"), renewal.error)


def write_storage_data(
    parent: etree._Element, tag: str, data: StorageConfigurationData
) -> etree._Element:
    element = sub(parent, tag)
    element.set("type", data.type)
    if data.region is not None:
        element.set("Region", data.region)
    if data.local_path is not None:
        sub(element, _tds("LocalPath"), data.local_path)
    if data.storage_uri is not None:
        sub(element, _tds("StorageUri"), data.storage_uri)
    if data.user is not None:
        sub(sub(element, _tds("User")), _tds("UserName"), data.user.username)
    if data.cert_path_validation_policy_id is not None:
        sub(element, _tds("CertPathValidationPolicyID"), data.cert_path_validation_policy_id)
    if data.configuration_renewal is not None:
        _write_renewal(element, data.configuration_renewal)
    return element


def write_storage_configuration(
    parent: etree._Element, tag: str, configuration: StorageConfiguration
) -> etree._Element:
    element = sub(parent, tag)
    element.set("token", configuration.token)
    write_storage_data(element, _tds("Data"), configuration.data)
    return element
