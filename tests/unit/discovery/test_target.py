"""The WS-Discovery target, datagram in, datagram out (WS-Discovery 2005/04, Core
"Device discovery", Base Device Test DISCOVERY-1-1-3 to 1-1-10 and 2-1-x)."""

from __future__ import annotations

import uuid
from itertools import count

import pytest
from lxml import etree

from onvif_recorder.discovery.messages import Announcement
from onvif_recorder.discovery.target import DiscoveryTarget

D = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
ENV = "http://www.w3.org/2003/05/soap-envelope"
TDS = "http://www.onvif.org/ver10/device/wsdl"
DN = "http://www.onvif.org/ver10/network/wsdl"
NS = {"d": D, "wsa": WSA, "env": ENV}
ME = Announcement(
    endpoint_reference="urn:uuid:6b6c1a3e-9c5e-4c62-a2b2-3f6f2f1d0001",
    types=((DN, "NetworkVideoTransmitter"), (TDS, "Device")),
    scopes=("onvif://www.onvif.org/Profile/G", "onvif://www.onvif.org/name/nvr-1"),
    xaddrs=("http://192.0.2.5:8080/onvif/device_service",),
    metadata_version=4,
)


def probe(body: str, envelope: str = ENV, extra: str = "", message_id: str = "") -> bytes:
    message_id = message_id or uuid.uuid4().urn
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="{envelope}" xmlns:a="{WSA}" xmlns:d="{D}" {extra}>
 <s:Header><a:MessageID>{message_id}</a:MessageID>
  <a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
  <a:Action>{D}/Probe</a:Action></s:Header>
 <s:Body>{body}</s:Body></s:Envelope>""".encode()


@pytest.fixture
def target() -> DiscoveryTarget:
    ids = count(1)
    return DiscoveryTarget(instance_id=1700000000, message_id=lambda: f"urn:uuid:m{next(ids)}")


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(e.text) for e in root.iterfind(path, NS)]


def test_probe_by_type_and_scope_gets_a_full_probe_match(target: DiscoveryTarget) -> None:
    body = (f'<d:Probe><d:Types xmlns:tds="{TDS}">tds:Device</d:Types>'
            "<d:Scopes>onvif://www.onvif.org/Profile/G</d:Scopes></d:Probe>")
    message_id = "uuid:9c35aca0-d1cc-41bf-a932-2dd0fe45cc87"  # DISCOVERY-1-1-3: no "urn:"
    reply = target.answer(probe(body, message_id=message_id), ME, multicast=True)
    assert reply is not None and reply.delayed
    root = parse(reply.data)
    assert texts(root, "env:Header/wsa:RelatesTo") == [
        "uuid:9c35aca0-d1cc-41bf-a932-2dd0fe45cc87"]
    assert texts(root, "env:Header/wsa:Action") == [f"{D}/ProbeMatches"]
    match = root.find("env:Body/d:ProbeMatches/d:ProbeMatch", NS)
    assert match is not None
    assert texts(match, "wsa:EndpointReference/wsa:Address") == [ME.endpoint_reference]
    types = [t.split(":") for t in texts(match, "d:Types")[0].split()]
    assert [(match.nsmap[p], name) for p, name in types] == list(ME.types)
    assert texts(match, "d:Scopes")[0].split() == list(ME.scopes)
    assert texts(match, "d:XAddrs") == list(ME.xaddrs)
    assert texts(match, "d:MetadataVersion") == ["4"]
    sequence = root.find("env:Header/d:AppSequence", NS)
    assert sequence is not None and sequence.get("InstanceId") == "1700000000"


def test_repeated_datagrams_are_answered_once(target: DiscoveryTarget) -> None:
    """SOAP-over-UDP: a client sends each Probe several times under one MessageID."""
    datagram = probe("<d:Probe/>")
    assert target.answer(datagram, ME, multicast=True) is not None
    assert target.answer(datagram, ME, multicast=True) is None
    assert target.counters["repeated"] == 1


def test_omitted_types_and_scopes_match(target: DiscoveryTarget) -> None:
    """DISCOVERY-1-1-4."""
    assert target.answer(probe("<d:Probe/>"), ME, multicast=False) is not None


@pytest.mark.parametrize("extra", [
    f'xmlns:p1="{DN}"',  # non-standard prefix (DISCOVERY-2-1-x)
])
def test_types_resolve_through_any_prefix(target: DiscoveryTarget, extra: str) -> None:
    reply = target.answer(probe("<d:Probe><d:Types>p1:NetworkVideoTransmitter</d:Types>"
                                "</d:Probe>", extra=extra), ME, multicast=True)
    assert reply is not None


def test_default_namespace_type(target: DiscoveryTarget) -> None:
    body = f'<d:Probe><d:Types xmlns="{TDS}">Device</d:Types></d:Probe>'
    assert target.answer(probe(body), ME, multicast=True) is not None


def test_soap_1_1_probe_is_answered(target: DiscoveryTarget) -> None:
    soap11 = "http://schemas.xmlsoap.org/soap/envelope/"
    assert target.answer(probe("<d:Probe/>", envelope=soap11), ME, multicast=True) is not None


@pytest.mark.parametrize("body", [
    f'<d:Probe><d:Types xmlns:x="{TDS}">x:Camera</d:Types></d:Probe>',  # DISCOVERY-1-1-5
    '<d:Probe><d:Types xmlns:x="urn:nope">x:Device</d:Types></d:Probe>',
    "<d:Probe><d:Scopes>onvif://www.onvif.org/Profile/S</d:Scopes></d:Probe>",
    "<d:Probe><d:Scopes>onvif://www.onvif.org/name/nvr</d:Scopes></d:Probe>",
])
def test_probes_that_do_not_match_get_nothing(target: DiscoveryTarget, body: str) -> None:
    assert target.answer(probe(body), ME, multicast=True) is None
    assert target.answer(probe(body), ME, multicast=False) is None
    assert target.counters["no_match"] == 2


def test_unsupported_rule_faults_only_by_unicast(target: DiscoveryTarget) -> None:
    """Core "SOAP Fault Messages", DISCOVERY-1-1-10."""
    body = ('<d:Probe><d:Scopes MatchBy="http://example.com/odd">'
            "onvif://www.onvif.org</d:Scopes></d:Probe>")
    assert target.answer(probe(body), ME, multicast=True) is None
    reply = target.answer(probe(body), ME, multicast=False)
    assert reply is not None and not reply.delayed
    root = parse(reply.data)
    assert texts(root, "env:Body/env:Fault/env:Code/env:Subcode/env:Value") == [
        "d:MatchingRuleNotSupported"]
    assert texts(root, "env:Header/wsa:Action") == [f"{D}/fault"]
    assert texts(root, "env:Body/env:Fault/env:Detail/d:SupportedMatchingRules")


def test_resolve(target: DiscoveryTarget) -> None:
    def resolve(address: str) -> bytes:
        return probe(f"<d:Resolve><a:EndpointReference><a:Address>{address}</a:Address>"
                     "</a:EndpointReference></d:Resolve>")

    reply = target.answer(resolve(ME.endpoint_reference), ME, multicast=True)
    assert reply is not None
    root = parse(reply.data)
    match = root.find("env:Body/d:ResolveMatches/d:ResolveMatch", NS)
    assert match is not None and texts(match, "d:XAddrs") == list(ME.xaddrs)
    assert target.answer(resolve("urn:uuid:someone-else"), ME, multicast=True) is None


@pytest.mark.parametrize(("datagram", "reason"), [
    (b"\x00\x01garbage", "dropped_malformed"),
    (b"<a><b>", "dropped_malformed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "dropped_dtd"),
    (b"<a>" * 100 + b"</a>" * 100, "dropped_too_deep"),
])
def test_hostile_datagrams_are_dropped_and_counted(
    target: DiscoveryTarget, datagram: bytes, reason: str
) -> None:
    assert target.answer(datagram, ME, multicast=True) is None
    assert target.counters[reason] == 1


def test_other_messages_are_ignored(target: DiscoveryTarget) -> None:
    """Another device's Hello, or our own looped back, is no request."""
    assert target.answer(target.hello(ME), ME, multicast=True) is None
    assert target.answer(b"<x/>", ME, multicast=True) is None
    assert target.counters["ignored"] == 2


def test_hello_and_bye(target: DiscoveryTarget) -> None:
    hello = parse(target.hello(ME))
    assert texts(hello, "env:Header/wsa:Action") == [f"{D}/Hello"]
    assert texts(hello, "env:Header/wsa:To") == ["urn:schemas-xmlsoap-org:ws:2005:04:discovery"]
    assert texts(hello, "env:Body/d:Hello/d:Scopes")[0].split() == list(ME.scopes)
    assert texts(hello, "env:Body/d:Hello/d:MetadataVersion") == ["4"]
    bye = parse(target.bye(ME))
    assert texts(bye, "env:Body/d:Bye/wsa:EndpointReference/wsa:Address") == [
        ME.endpoint_reference]
    numbers = [e.get("MessageNumber") for e in (hello, bye)
               for e in e.iterfind("env:Header/d:AppSequence", NS)]
    assert numbers == ["1", "2"]  # §7: grows with every message of this instance
