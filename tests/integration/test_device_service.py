"""Device management service, driven by zeep clients from the official 25.12 WSDL.

Every response body is validated against the official XSD and every fault is checked
for its full Code/Subcode chain (ONVIF Core 25.12, "Device management").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import onvif_recorder
from onvif_recorder.settings import Limits, RecorderSettings
from tests.conftest import RunningRecorder, start_recorder
from tests.integration.helpers import client, expect_fault
from tests.onvif_client import (
    ResponseRecorder,
    body_element,
    onvif_service_with_recorder,
    validate_body,
)

TDS = "http://www.onvif.org/ver10/device/wsdl"
TRC = "http://www.onvif.org/ver10/recording/wsdl"
TRV = "http://www.onvif.org/ver10/receiver/wsdl"
TEV = "http://www.onvif.org/ver10/events/wsdl"
TSC = "http://www.onvif.org/ver10/schedule/wsdl"
TAS = "http://www.onvif.org/ver10/advancedsecurity/wsdl"
TSE = "http://www.onvif.org/ver10/search/wsdl"
TRP = "http://www.onvif.org/ver10/replay/wsdl"
TT = "http://www.onvif.org/ver10/schema"
NO_CONFIG = ["Sender", "InvalidArgVal", "NoConfig"]
NOT_AUTHORIZED = ["Sender", "NotAuthorized"]
Client = tuple[Any, ResponseRecorder]


@pytest.fixture
def tds(recorder: RunningRecorder) -> Client:
    return client(recorder, "device")


def user_client(recorder: RunningRecorder, name: str, level: str) -> Client:
    svc, _ = client(recorder, "device")
    svc.CreateUsers(User=[{"Username": name, "Password": "Pass-word-1", "UserLevel": level}])
    return client(recorder, "device", user=name, password="Pass-word-1")


def capabilities_element(xml: bytes, namespace: str) -> etree._Element:
    """The capabilities element inside GetServices' entry for ``namespace``."""
    found = body_element(xml).xpath(
        "tds:Service[tds:Namespace=$ns]/tds:Capabilities/*", namespaces={"tds": TDS}, ns=namespace
    )
    assert isinstance(found, list) and len(found) == 1
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def attributes(element: etree._Element) -> dict[str, str]:
    return {str(name): str(value) for name, value in element.attrib.items()}


# --------------------------------------------------------------- capability exchange


def test_get_services_lists_each_service_once(tds: Client, recorder: RunningRecorder) -> None:
    svc, rec = tds
    services = svc.GetServices(IncludeCapability=False)
    validate_body(rec.last)
    by_namespace = {s.Namespace: s for s in services}
    assert list(by_namespace) == [TDS, TRC, TRV, TEV, TSC, TSE, TRP, TAS]
    for namespace, path in ((TDS, "device"), (TRC, "recording"), (TRV, "receiver"),
                            (TEV, "event"), (TSC, "schedule"), (TSE, "search"),
                            (TRP, "replay"), (TAS, "advancedsecurity")):
        entry = by_namespace[namespace]
        assert entry.XAddr == recorder.service_url(path)
        assert (entry.Version.Major, entry.Version.Minor) == (25, 12)
        assert entry.Capabilities is None


@pytest.mark.parametrize(("namespace", "name"), [(TDS, "device"), (TRC, "recording"),
                                                 (TRV, "receiver"), (TEV, "events")])
def test_embedded_capabilities_equal_get_service_capabilities(
    recorder: RunningRecorder, tds: Client, namespace: str, name: str
) -> None:
    """RECORDING-1-1-3, RECEIVER-1-1-2, EVENT-5-1-2: attribute by attribute, both ways."""
    svc, rec = tds
    svc.GetServices(IncludeCapability=True)
    validate_body(rec.last)
    embedded = capabilities_element(rec.last, namespace)
    own, own_rec = client(recorder, name)
    own.GetServiceCapabilities()
    validate_body(own_rec.last)
    [direct] = list(body_element(own_rec.last))
    assert embedded.tag == direct.tag == f"{{{namespace}}}Capabilities"
    assert attributes(embedded) == attributes(direct)
    assert [(c.tag, attributes(c)) for c in embedded] == [(c.tag, attributes(c)) for c in direct]


def test_device_service_capabilities(tds: Client) -> None:
    svc, rec = tds
    caps = svc.GetServiceCapabilities()
    validate_body(rec.last)
    limits = Limits()
    security, system = caps.Security, caps.System
    assert security.UsernameToken and security.HttpDigest and security.DefaultAccessPolicy
    assert security.HashingAlgorithms == ["MD5", "SHA-256"]
    assert (security.MaxUsers, security.MaxUserNameLength, security.MaxPasswordLength) == (
        limits.max_users, limits.max_username_length, limits.max_password_length)
    assert not (security["TLS1.2"] or security["X.509Token"] or security.RemoteUserHandling)
    assert system.StorageConfiguration is True
    assert system.MaxStorageConfigurations == limits.max_storage_configurations
    assert system.StorageTypesSupported == ["ObjectStorageS3", "ObjectStorageAzure"]
    assert system.DiscoveryNotSupported and system.NetworkConfigNotSupported
    assert not (system.FirmwareUpgrade or system.HttpFirmwareUpgrade or system.SystemBackup)
    assert system.UserConfigNotSupported is False
    assert caps.Network.IPFilter is False and caps.Network.NTP == 0


def legacy_extension(xml: bytes, name: str) -> dict[str, str]:
    """tt:Capabilities/tt:Extension/tt:<name> as {child: text}. zeep cannot read these: the
    leading xs:any of tt:CapabilitiesExtension swallows them into ``_value_1``."""
    found = body_element(xml).xpath(f"tds:Capabilities/tt:Extension/tt:{name}/*",
                                    namespaces={"tds": TDS, "tt": TT})
    assert isinstance(found, list)
    return {etree.QName(c).localname: c.text or "" for c in found if isinstance(c, etree._Element)}


def test_get_capabilities_all(tds: Client, recorder: RunningRecorder) -> None:
    svc, rec = tds
    caps = svc.GetCapabilities(Category=["All"])
    validate_body(rec.last)
    assert caps.Device.XAddr == recorder.service_url("device")
    assert [(v.Major, v.Minor) for v in caps.Device.System.SupportedVersions] == [(25, 12)]
    assert caps.Media is None
    assert caps.Events.XAddr == recorder.service_url("event")
    assert caps.Events.WSPullPointSupport is False  # the WS-BaseNotification pull point
    assert caps.Events.WSSubscriptionPolicySupport is False
    assert caps.Events.WSPausableSubscriptionManagerInterfaceSupport is False
    limits = Limits()
    assert legacy_extension(rec.last, "Recording") == {
        "XAddr": recorder.service_url("recording"), "ReceiverSource": "true",
        "MediaProfileSource": "false", "DynamicRecordings": "true", "DynamicTracks": "true",
        "MaxStringLength": str(limits.descriptive_max_length),
    }
    assert legacy_extension(rec.last, "Receiver") == {
        "XAddr": recorder.service_url("receiver"), "RTP_Multicast": "true",
        "RTP_TCP": "false", "RTP_RTSP_TCP": "true",
        "SupportedReceivers": str(limits.max_receivers),
        "MaximumRTSPURILength": str(limits.max_receiver_uri_length),
    }
    everything = etree.tostring(body_element(rec.last))
    svc.GetCapabilities()  # no Category means All
    assert etree.tostring(body_element(rec.last)) == everything


def test_get_capabilities_agrees_with_service_capabilities(tds: Client) -> None:
    """Base Device Test DEVICE-1-1-30."""
    svc, _ = tds
    legacy = svc.GetCapabilities(Category=["All"]).Device
    caps = svc.GetServiceCapabilities()
    for name in ("IPFilter", "ZeroConfiguration", "IPVersion6", "DynDNS"):
        assert legacy.Network[name] == caps.Network[name]
    for name in ("DiscoveryResolve", "DiscoveryBye", "RemoteDiscovery", "SystemBackup",
                 "SystemLogging", "FirmwareUpgrade"):
        assert legacy.System[name] == caps.System[name]
    for name in ("TLS1.1", "TLS1.2", "OnboardKeyGeneration", "AccessPolicyConfig",
                 "X.509Token", "SAMLToken", "KerberosToken", "RELToken"):
        assert legacy.Security[name] == caps.Security[name]


def test_get_capabilities_one_category(tds: Client) -> None:
    svc, rec = tds
    caps = svc.GetCapabilities(Category=["Device"])
    validate_body(rec.last)
    assert caps.Device is not None and caps.Extension is None
    for category in ("Media", "PTZ", "Analytics"):
        expect_fault(svc.GetCapabilities, Category=[category],
                     chain=["Receiver", "ActionNotSupported", "NoSuchService"], rec=rec)


def test_capability_exchange_needs_no_credentials(recorder: RunningRecorder) -> None:
    """Core: GetServices, GetServiceCapabilities, GetCapabilities and GetSystemDateAndTime
    are PRE_AUTH."""
    svc, rec = onvif_service_with_recorder("device", recorder.service_url("device"))
    assert len(svc.GetServices(IncludeCapability=True)) == 8
    assert svc.GetServiceCapabilities().System.StorageConfiguration is True
    assert svc.GetCapabilities(Category=["Device"]).Device is not None
    before = datetime.now(UTC)
    answer = svc.GetSystemDateAndTime()
    validate_body(rec.last)
    assert (answer.DateTimeType, answer.DaylightSavings, answer.TimeZone.TZ) == (
        "NTP", False, "UTC0")
    utc = answer.UTCDateTime
    reported = datetime(utc.Date.Year, utc.Date.Month, utc.Date.Day, utc.Time.Hour,
                        utc.Time.Minute, utc.Time.Second, tzinfo=UTC)
    assert abs((reported - before).total_seconds()) < 5
    assert answer.LocalDateTime == utc


def test_get_device_information(tds: Client) -> None:
    svc, rec = tds
    info = svc.GetDeviceInformation()
    validate_body(rec.last)
    defaults = RecorderSettings()
    assert (info.Manufacturer, info.Model, info.HardwareId) == (
        defaults.manufacturer, defaults.model, defaults.hardware_id)
    assert info.FirmwareVersion == onvif_recorder.__version__


def test_unimplemented_operations_are_action_not_supported(tds: Client) -> None:
    """Host networking is not the recorder's to change (NetworkConfigNotSupported); an
    in-process recorder has no process to restart."""
    svc, rec = tds
    not_supported = ["Receiver", "ActionNotSupported"]
    expect_fault(svc.SetHostname, Name="other", chain=not_supported, rec=rec)
    expect_fault(svc.SetDNS, FromDHCP=True, chain=not_supported, rec=rec)
    expect_fault(svc.SetNTP, FromDHCP=True, chain=not_supported, rec=rec)
    expect_fault(svc.SetNetworkDefaultGateway, IPv4Address=["192.0.2.1"], chain=not_supported,
                 rec=rec)
    expect_fault(svc.SystemReboot, chain=not_supported, rec=rec)
    expect_fault(svc.GetSystemBackup, chain=not_supported, rec=rec)


# ----------------------------------------------------------------------------- users


def usernames(svc: Any) -> dict[str, str]:
    return {u.Username: u.UserLevel for u in svc.GetUsers()}


def test_users_create_set_delete(tds: Client, recorder: RunningRecorder) -> None:
    """Base Device Test DEVICE-4-1-4, 4-1-7 and 4-1-9."""
    svc, rec = tds
    svc.CreateUsers(User=[
        {"Username": "OnvifTest1", "Password": "OnvifTest123", "UserLevel": "Operator"},
        {"Username": "OnvifTest2", "Password": "OnvifTest123", "UserLevel": "User"},
    ])
    validate_body(rec.last)
    assert usernames(svc) == {recorder.admin_user: "Administrator", "OnvifTest1": "Operator",
                              "OnvifTest2": "User"}
    validate_body(rec.last)
    assert b"Password" not in rec.last and b"OnvifTest123" not in rec.last
    svc.SetUser(User=[{"Username": "OnvifTest2", "Password": "OnvifTest321",
                       "UserLevel": "Operator"}])
    validate_body(rec.last)
    assert usernames(svc)["OnvifTest2"] == "Operator"
    changed, _ = client(recorder, "device", user="OnvifTest2", password="OnvifTest321")
    assert changed.GetDeviceInformation().FirmwareVersion == onvif_recorder.__version__
    svc.DeleteUsers(Username=["OnvifTest1", "OnvifTest2"])
    validate_body(rec.last)
    assert usernames(svc) == {recorder.admin_user: "Administrator"}


def test_user_faults(tds: Client, recorder: RunningRecorder) -> None:
    svc, rec = tds
    operator = {"Username": "OnvifTest1", "Password": "OnvifTest123", "UserLevel": "Operator"}
    svc.CreateUsers(User=[operator])
    clash = ["Sender", "OperationProhibited", "UsernameClash"]
    expect_fault(svc.CreateUsers, User=[{**operator, "UserLevel": "User"}], chain=clash, rec=rec)
    other = {**operator, "Username": "OnvifTest4"}
    expect_fault(svc.CreateUsers, User=[other, operator], chain=clash, rec=rec)
    missing = ["Sender", "InvalidArgVal", "UsernameMissing"]
    expect_fault(svc.DeleteUsers, Username=["OnvifTest1", "OnvifTest2"], chain=missing, rec=rec)
    expect_fault(svc.SetUser, User=[{**operator, "UserLevel": "User"}, other], chain=missing,
                 rec=rec)
    expect_fault(svc.CreateUsers, User=[{**other, "Password": "x" * 65}],
                 chain=["Sender", "OperationProhibited", "PasswordTooLong"], rec=rec)
    expect_fault(svc.CreateUsers, User=[{**other, "UserLevel": "Anonymous"}],
                 chain=["Sender", "OperationProhibited", "AnonymousNotAllowed"], rec=rec)
    expect_fault(svc.SetUser, User=[{"Username": "OnvifTest1", "UserLevel": "User"}],
                 chain=["Sender", "OperationProhibited", "PasswordTooWeak"], rec=rec)
    expect_fault(svc.DeleteUsers, Username=[recorder.admin_user],
                 chain=["Sender", "InvalidArgVal", "FixedUser"], rec=rec)
    # Every call above failed as a whole (Core: all or nothing).
    assert usernames(svc) == {recorder.admin_user: "Administrator", "OnvifTest1": "Operator"}


def test_too_many_users(tds: Client) -> None:
    svc, rec = tds
    batch = [{"Username": f"u{i}", "Password": "OnvifTest123", "UserLevel": "User"}
             for i in range(Limits().max_users)]  # plus the administrator: one too many
    expect_fault(svc.CreateUsers, User=batch, chain=["Receiver", "Action", "TooManyUsers"],
                 rec=rec)
    assert len(svc.GetUsers()) == 1


def test_access_classes(recorder: RunningRecorder) -> None:
    """GetUsers is READ_SYSTEM_SECRET, user handling WRITE_SYSTEM, storage reads READ_MEDIA
    and storage changes ACTUATE (Core 25.12)."""
    operator, op_rec = user_client(recorder, "op", "Operator")
    expect_fault(operator.GetUsers, chain=NOT_AUTHORIZED, rec=op_rec)
    expect_fault(operator.DeleteUsers, Username=["op"], chain=NOT_AUTHORIZED, rec=op_rec)
    token = operator.CreateStorageConfiguration(StorageConfiguration=s3_data())
    user, user_rec = user_client(recorder, "viewer", "User")
    assert user.GetDeviceInformation().Model == RecorderSettings().model
    assert user.GetStorageConfiguration(Token=token).token == token
    expect_fault(user.DeleteStorageConfiguration, Token=token, chain=NOT_AUTHORIZED, rec=user_rec)


# -------------------------------------------------------------- storage configuration


def s3_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "ObjectStorageS3", "Region": "eu-central-1",
        "StorageUri": "https://nvr-bucket.s3.eu-central-1.example.com/recordings",
        "User": {"UserName": "AKIAEXAMPLE", "Password": "s3-secret-key"},
    }
    data.update(overrides)
    return data


AZURE = {
    "type": "ObjectStorageAzure",
    "StorageUri": "https://account.blob.core.windows.net/container",
    "User": {"UserName": "ignored", "Password": "sv=2024-01-01&sig=azure-secret"},
}


def test_storage_configurations_round_trip(tds: Client) -> None:
    svc, rec = tds
    s3 = svc.CreateStorageConfiguration(StorageConfiguration=s3_data())
    validate_body(rec.last)
    azure = svc.CreateStorageConfiguration(StorageConfiguration=AZURE)
    assert s3 != azure
    configuration = svc.GetStorageConfiguration(Token=s3)
    validate_body(rec.last)
    assert b"Password" not in rec.last and b"s3-secret-key" not in rec.last
    data = configuration.Data
    assert (configuration.token, data.type, data.Region, data.StorageUri) == (
        s3, "ObjectStorageS3", "eu-central-1", s3_data()["StorageUri"])
    assert (data.User.UserName, data.User.Password, data.LocalPath) == ("AKIAEXAMPLE", None, None)
    listed = svc.GetStorageConfigurations()
    validate_body(rec.last)
    assert b"Password" not in rec.last and b"azure-secret" not in rec.last
    assert [c.token for c in listed] == [s3, azure]
    assert (listed[1].Data.type, listed[1].Data.Region) == ("ObjectStorageAzure", None)
    assert listed[1].Data.StorageUri == AZURE["StorageUri"]


def test_set_and_delete_storage_configuration(tds: Client) -> None:
    svc, rec = tds
    token = svc.CreateStorageConfiguration(StorageConfiguration=s3_data())
    svc.SetStorageConfiguration(StorageConfiguration={"token": token, "Data": s3_data(
        Region="us-west-2", User={"UserName": "AKIANEW", "Password": "new-secret"})})
    validate_body(rec.last)
    data = svc.GetStorageConfiguration(Token=token).Data
    assert (data.Region, data.User.UserName) == ("us-west-2", "AKIANEW")
    svc.DeleteStorageConfiguration(Token=token)
    validate_body(rec.last)
    assert svc.GetStorageConfigurations() == []
    expect_fault(svc.GetStorageConfiguration, Token=token, chain=NO_CONFIG, rec=rec)


def test_storage_configuration_faults(tds: Client) -> None:
    svc, rec = tds
    expect_fault(svc.GetStorageConfiguration, Token="nope", chain=NO_CONFIG, rec=rec)
    expect_fault(svc.DeleteStorageConfiguration, Token="nope", chain=NO_CONFIG, rec=rec)
    expect_fault(svc.SetStorageConfiguration,
                 StorageConfiguration={"token": "nope", "Data": s3_data()},
                 chain=NO_CONFIG, rec=rec)
    no_uri = s3_data(StorageUri="ftp://bucket.example.com/")
    expect_fault(svc.CreateStorageConfiguration, StorageConfiguration=no_uri,
                 chain=["Sender", "InvalidArgVal"], rec=rec)
    token = svc.CreateStorageConfiguration(StorageConfiguration=s3_data())
    expect_fault(svc.SetStorageConfiguration,
                 StorageConfiguration={"token": token, "Data": {**AZURE, "StorageUri": None}},
                 chain=["Sender", "InvalidArgVal", "ConfigModify"], rec=rec)
    assert svc.GetStorageConfiguration(Token=token).Data.type == "ObjectStorageS3"


@pytest.fixture
def small_recorder(tmp_path: Path) -> Iterator[RunningRecorder]:
    running, thread = start_recorder(tmp_path / "small", Limits(max_storage_configurations=2))
    yield running
    thread.stop()


def test_max_storage_configurations(small_recorder: RunningRecorder) -> None:
    svc, rec = client(small_recorder, "device")
    assert svc.GetServiceCapabilities().System.MaxStorageConfigurations == 2
    svc.CreateStorageConfiguration(StorageConfiguration=s3_data())
    svc.CreateStorageConfiguration(StorageConfiguration=AZURE)
    expect_fault(svc.CreateStorageConfiguration, StorageConfiguration=s3_data(),
                 chain=["Receiver", "OperationProhibited", "MaxStorageConfigurations"], rec=rec)
    assert len(svc.GetStorageConfigurations()) == 2


def test_session_token_is_kept_but_never_returned(tds: Client, recorder: RunningRecorder) -> None:
    """Core UserCredential/Token (temporary S3 credentials): stored for the uploader only."""
    svc, rec = tds
    user = {"UserName": "AKIAEXAMPLE", "Password": "s3-secret-key", "Token": "sts-session-token"}
    token = svc.CreateStorageConfiguration(StorageConfiguration=s3_data(User=user))
    svc.GetStorageConfiguration(Token=token)
    validate_body(rec.last)
    assert b"sts-session-token" not in rec.last and b"Token>" not in rec.last.replace(
        b"ReferenceToken", b"")
    stored = recorder.services.storage.storage_configuration(token).data.user
    assert stored is not None and stored.token == "sts-session-token"
