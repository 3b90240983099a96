"""Device service scopes, date and time, system log, host network and identity, driven
by zeep clients from the official 25.12 WSDL; every answer validated against the XSD
(Core 25.12 "Device management", Base Device Test DISCOVERY-1-1-11, DEVICE-2-1-x,
DEVICE-3-1-x)."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from onvif_recorder.hostinfo import parse_ipv4_routes
from tests.conftest import RunningRecorder, start_recorder
from tests.integration.helpers import client, expect_fault
from tests.onvif_client import ResponseRecorder, onvif_service_with_recorder, validate_body

Client = tuple[Any, ResponseRecorder]
ONVIF = "onvif://www.onvif.org/"


@pytest.fixture
def tds(recorder: RunningRecorder) -> Client:
    return client(recorder, "device")


def scopes(svc: Any) -> dict[str, str]:
    return {s.ScopeItem: s.ScopeDef for s in svc.GetScopes()}


# ---------------------------------------------------------------------------- scopes


def test_default_scopes(tds: Client) -> None:
    """Core: a non-empty list with fixed profile, hardware and name entries."""
    svc, rec = tds
    found = scopes(svc)
    validate_body(rec.last)
    assert found[ONVIF + "Profile/G"] == "Fixed"
    assert found[ONVIF + "type/Network_Video_Storage"] == "Fixed"
    fixed = [s for s, kind in found.items() if kind == "Fixed"]
    for category in ("hardware/", "name/"):
        assert any(s.startswith(ONVIF + category) for s in fixed), category
    assert found[ONVIF + "location/unknown"] == "Configurable"


def test_set_add_remove_scopes(tds: Client, tmp_path: Path, recorder: RunningRecorder) -> None:
    """DISCOVERY-1-1-11: SetScopes replaces the configurable ones, AddScopes adds,
    RemoveScopes removes and answers what it removed; all of it persists."""
    svc, rec = tds
    fixed = {s for s, kind in scopes(svc).items() if kind == "Fixed"}
    svc.SetScopes(Scopes=[ONVIF + "location/city/lund", ONVIF + "name/gate"])
    validate_body(rec.last)
    svc.AddScopes(ScopeItem=["http://example.com/site/7", ONVIF + "name/gate"])
    validate_body(rec.last)
    assert scopes(svc) == {**dict.fromkeys(fixed, "Fixed"),
                           ONVIF + "location/city/lund": "Configurable",
                           ONVIF + "name/gate": "Configurable",
                           "http://example.com/site/7": "Configurable"}
    removed = svc.RemoveScopes(ScopeItem=[ONVIF + "name/gate"])
    validate_body(rec.last)
    assert removed == [ONVIF + "name/gate"]
    expected = {s for s in scopes(svc)}
    restarted, thread = start_recorder(recorder.data_dir)
    try:
        again, _ = client(restarted, "device")
        assert set(scopes(again)) == expected
    finally:
        thread.stop()


def test_scope_faults(tds: Client) -> None:
    svc, rec = tds
    before = scopes(svc)
    fixed = next(s for s, kind in before.items() if kind == "Fixed")
    expect_fault(svc.RemoveScopes, ScopeItem=[fixed],
                 chain=["Sender", "OperationProhibited", "FixedScope"], rec=rec)
    expect_fault(svc.RemoveScopes, ScopeItem=[ONVIF + "location/unknown", ONVIF + "nope"],
                 chain=["Sender", "InvalidArgVal", "NoScope"], rec=rec)
    expect_fault(svc.SetScopes, Scopes=[fixed, ONVIF + "name/x"],
                 chain=["Sender", "OperationProhibited", "ScopeOverwrite"], rec=rec)
    many = [f"{ONVIF}location/room/{i}" for i in range(40)]
    expect_fault(svc.SetScopes, Scopes=many, chain=["Receiver", "Action", "TooManyScopes"],
                 rec=rec)
    expect_fault(svc.AddScopes, ScopeItem=many, chain=["Receiver", "Action", "TooManyScopes"],
                 rec=rec)
    expect_fault(svc.AddScopes, ScopeItem=["no scheme here"],
                 chain=["Sender", "InvalidArgVal"], rec=rec)
    assert scopes(svc) == before  # each refusal changed nothing


def test_discovery_mode_without_discovery(tds: Client) -> None:
    """The in-process recorder runs no WS-Discovery and says so (DiscoveryNotSupported):
    the mode reads, setting it is ActionNotSupported."""
    svc, rec = tds
    assert svc.GetDiscoveryMode() == "Discoverable"
    validate_body(rec.last)
    assert svc.GetServiceCapabilities().System.DiscoveryNotSupported is True
    expect_fault(svc.SetDiscoveryMode, DiscoveryMode="NonDiscoverable",
                 chain=["Receiver", "ActionNotSupported"], rec=rec)


# ------------------------------------------------------------------------- identity


def test_serial_number_and_endpoint_reference_are_per_installation(
    tds: Client, recorder: RunningRecorder, tmp_path: Path
) -> None:
    svc, rec = tds
    info = svc.GetDeviceInformation()
    validate_body(rec.last)
    reference = svc.GetEndpointReference().GUID
    validate_body(rec.last)
    assert reference.startswith("urn:uuid:") and info.SerialNumber not in ("", "0")
    restarted, thread = start_recorder(recorder.data_dir)
    try:
        again, _ = client(restarted, "device")
        assert again.GetDeviceInformation().SerialNumber == info.SerialNumber
        assert reference == again.GetEndpointReference().GUID
    finally:
        thread.stop()
    other, thread = start_recorder(tmp_path / "other")
    try:
        svc2, _ = client(other, "device")
        assert svc2.GetDeviceInformation().SerialNumber != info.SerialNumber
        assert reference != svc2.GetEndpointReference().GUID
    finally:
        thread.stop()


# -------------------------------------------------------------------- date and time


def reported(value: Any) -> datetime:
    return datetime(value.Date.Year, value.Date.Month, value.Date.Day, value.Time.Hour,
                    value.Time.Minute, value.Time.Second)


def test_time_zone_is_stored_and_applied(tds: Client, recorder: RunningRecorder) -> None:
    """DEVICE-3-1-12 without changing the clock: NTP, a POSIX zone with DST rules;
    LocalDateTime agrees with the tz database's Europe/Berlin."""
    svc, rec = tds
    zone = "CET-1CEST,M3.5.0,M10.5.0/3"
    svc.SetSystemDateAndTime(DateTimeType="NTP", DaylightSavings=True, TimeZone={"TZ": zone})
    validate_body(rec.last)
    answer = svc.GetSystemDateAndTime()
    validate_body(rec.last)
    assert (answer.DateTimeType, answer.DaylightSavings, answer.TimeZone.TZ) == (
        "NTP", True, zone)
    utc = reported(answer.UTCDateTime).replace(tzinfo=UTC)
    berlin = utc.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    assert reported(answer.LocalDateTime) == berlin
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC)  # the zone schedules are evaluated in
    assert summer.astimezone(recorder.services.device.time_zone()).utcoffset() == timedelta(
        hours=2)
    svc.SetSystemDateAndTime(DateTimeType="NTP", DaylightSavings=False)
    answer = svc.GetSystemDateAndTime()
    assert (answer.DaylightSavings, answer.TimeZone.TZ) == (False, zone)  # zone kept
    assert reported(answer.LocalDateTime) - reported(answer.UTCDateTime) in (
        timedelta(hours=1), timedelta(hours=1, seconds=1))


def test_set_system_date_and_time_faults(tds: Client) -> None:
    """DEVICE-3-1-4 and 3-1-5; a Manual clock is refused (the host keeps the clock)."""
    svc, rec = tds
    now = datetime.now(UTC)
    utc = {"Date": {"Year": now.year, "Month": now.month, "Day": now.day},
           "Time": {"Hour": now.hour, "Minute": now.minute, "Second": now.second}}
    expect_fault(svc.SetSystemDateAndTime, DateTimeType="Manual", DaylightSavings=True,
                 TimeZone={"TZ": "INVALIDTIMEZONE"}, UTCDateTime=utc,
                 chain=["Sender", "InvalidArgVal", "InvalidTimeZone"], rec=rec)
    bad = {"Date": {"Year": now.year, "Month": 13, "Day": 32},
           "Time": {"Hour": 25, "Minute": 60, "Second": 60}}
    expect_fault(svc.SetSystemDateAndTime, DateTimeType="Manual", DaylightSavings=False,
                 TimeZone={"TZ": "UTC0"}, UTCDateTime=bad,
                 chain=["Sender", "InvalidArgVal", "InvalidDateTime"], rec=rec)
    expect_fault(svc.SetSystemDateAndTime, DateTimeType="Manual", DaylightSavings=False,
                 TimeZone={"TZ": "UTC0"}, UTCDateTime=utc,
                 chain=["Sender", "OperationProhibited"], rec=rec)
    answer = svc.GetSystemDateAndTime()
    assert (answer.DateTimeType, answer.TimeZone.TZ) == ("NTP", "UTC0")


# ------------------------------------------------------------------- network (read)


def test_host_network_operations(tds: Client, recorder: RunningRecorder) -> None:
    svc, rec = tds
    hostname = svc.GetHostname()
    validate_body(rec.last)
    assert (hostname.FromDHCP, hostname.Name) == (False, socket.gethostname())
    svc.GetDNS()
    validate_body(rec.last)
    svc.GetNTP()
    validate_body(rec.last)
    interfaces = svc.GetNetworkInterfaces()
    validate_body(rec.last)
    names = {i.token for i in interfaces}
    assert names == {n for _, n in socket.if_nameindex()} - {"lo"}
    protocols = {p.Name: p for p in svc.GetNetworkProtocols()}
    validate_body(rec.last)
    assert protocols["HTTP"].Enabled and protocols["HTTP"].Port == [
        int(recorder.url.rsplit(":", 1)[1])]
    gateway = svc.GetNetworkDefaultGateway()
    validate_body(rec.last)
    routes = Path("/proc/net/route").read_text()
    assert list(gateway.IPv4Address) == list(parse_ipv4_routes(routes))


# ----------------------------------------------------------------------- system log


def test_no_service_path_and_the_in_process_logs(
    tds: Client, recorder: RunningRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    """Item 8 of issue 18: a POST where no service lives is a 404 SOAP fault and one
    warning line. The in-process recorder keeps no log in memory (``serve`` does, see
    test_discovery_netns): GetSystemLog says so with the fault Core names."""
    svc, rec = tds
    with caplog.at_level(logging.INFO):
        answer = requests.post(f"{recorder.url}/onvif/no_such_service%0Aforged", data=b"<x/>",
                               headers={"Content-Type": "application/soap+xml"}, timeout=5)
    assert answer.status_code == 404 and b"env:Fault" in answer.content
    records = [r for r in caplog.records if r.name.startswith("onvif_recorder")]
    assert [(r.levelno, r.exc_info) for r in records] == [(logging.WARNING, None)]
    assert "\n" not in records[0].getMessage()
    expect_fault(svc.GetSystemLog, LogType="System",
                 chain=["Sender", "InvalidArgs", "SystemlogUnavailable"], rec=rec)
    expect_fault(svc.GetSystemLog, LogType="Access",
                 chain=["Sender", "InvalidArgs", "AccesslogUnavailable"], rec=rec)
    support = svc.GetSystemSupportInformation()
    validate_body(rec.last)
    assert "onvif-recorder" in support.String


def test_access_classes(recorder: RunningRecorder) -> None:
    """GetHostname and GetEndpointReference are PRE_AUTH, GetScopes READ_SYSTEM, scope
    changes WRITE_SYSTEM and the logs READ_SYSTEM_SECRET (Core 25.12)."""
    anonymous, _ = onvif_service_with_recorder("device", recorder.service_url("device"))
    assert anonymous.GetHostname().Name == socket.gethostname()
    assert anonymous.GetEndpointReference().GUID.startswith("urn:uuid:")
    admin, _ = client(recorder, "device")
    admin.CreateUsers(User=[{"Username": "op", "Password": "Pass-word-1",
                             "UserLevel": "Operator"}])
    operator, op_rec = client(recorder, "device", user="op", password="Pass-word-1")
    assert scopes(operator)
    denied = ["Sender", "NotAuthorized"]
    expect_fault(operator.AddScopes, ScopeItem=[ONVIF + "name/x"], chain=denied, rec=op_rec)
    expect_fault(operator.GetSystemLog, LogType="System", chain=denied, rec=op_rec)
    expect_fault(operator.SetSystemFactoryDefault, FactoryDefault="Soft", chain=denied,
                 rec=op_rec)
