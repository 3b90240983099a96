"""WS-Discovery 2005/04 messages over SOAP 1.2: Hello, Bye, ProbeMatches, ResolveMatches
and the MatchingRuleNotSupported fault built; Probe and Resolve read (through the safe
parser, ``soap.xmlparse``). Bytes in, bytes out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from onvif_recorder.discovery.matching import SUPPORTED_RULES, D, QName
from onvif_recorder.soap.xmlparse import ParseLimits, parse_document

ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
MULTICAST_TO = "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
ANONYMOUS = WSA + "/role/anonymous"
FAULT_ACTION = D + "/fault"
DATAGRAM_LIMITS = ParseLimits(max_bytes=65_507, max_depth=32)  # one UDP datagram


@dataclass(frozen=True, slots=True)
class Announcement:
    """What the target says about itself in Hello, ProbeMatch and ResolveMatch."""

    endpoint_reference: str
    types: tuple[QName, ...]
    scopes: tuple[str, ...]
    xaddrs: tuple[str, ...]
    metadata_version: int


@dataclass(frozen=True, slots=True)
class Header:
    message_id: str
    action: str
    instance_id: int
    message_number: int
    relates_to: str | None = None
    to: str = MULTICAST_TO


@dataclass(frozen=True, slots=True)
class Probe:
    message_id: str
    types: tuple[QName, ...]
    scopes: tuple[str, ...]
    match_by: str | None


@dataclass(frozen=True, slots=True)
class Resolve:
    message_id: str
    endpoint_reference: str


class NotDiscovery(ValueError):
    """Well-formed XML that is no Probe or Resolve this target must answer."""


# ---------------------------------------------------------------------- building


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _envelope(header: Header, extra_ns: dict[str, str]) -> tuple[etree._Element, etree._Element]:
    nsmap = {"env": ENV, "wsa": WSA, "d": D, **extra_ns}
    envelope = etree.Element(_q(ENV, "Envelope"), nsmap=nsmap)
    head = _sub(envelope, _q(ENV, "Header"))
    _sub(head, _q(WSA, "MessageID"), header.message_id)
    if header.relates_to is not None:
        _sub(head, _q(WSA, "RelatesTo"), header.relates_to)
    _sub(head, _q(WSA, "To"), header.to)
    _sub(head, _q(WSA, "Action"), header.action)
    sequence = _sub(head, _q(D, "AppSequence"))
    sequence.set("InstanceId", str(header.instance_id))
    sequence.set("MessageNumber", str(header.message_number))
    return envelope, _sub(envelope, _q(ENV, "Body"))


# The prefixes ONVIF's own examples use: some clients compare the text "tds:Device".
KNOWN_PREFIXES = {
    "http://www.onvif.org/ver10/device/wsdl": "tds",
    "http://www.onvif.org/ver10/network/wsdl": "dn",
}


def _prefixes(types: Sequence[QName]) -> dict[str, str]:
    namespaces = dict.fromkeys(namespace for namespace, _ in types)
    return {KNOWN_PREFIXES.get(ns, f"t{i}"): ns for i, ns in enumerate(namespaces)}


def _write_target(parent: etree._Element, a: Announcement, prefixes: dict[str, str]) -> None:
    """EndpointReference, Types, Scopes, XAddrs, MetadataVersion (the schema's order)."""
    reference = _sub(parent, _q(WSA, "EndpointReference"))
    _sub(reference, _q(WSA, "Address"), a.endpoint_reference)
    by_namespace = {namespace: prefix for prefix, namespace in prefixes.items()}
    names = " ".join(f"{by_namespace[ns]}:{local}" for ns, local in a.types)
    _sub(parent, _q(D, "Types"), names)
    _sub(parent, _q(D, "Scopes"), " ".join(a.scopes))
    _sub(parent, _q(D, "XAddrs"), " ".join(a.xaddrs))
    _sub(parent, _q(D, "MetadataVersion"), str(a.metadata_version))


def _serialize(envelope: etree._Element) -> bytes:
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def hello(header: Header, a: Announcement) -> bytes:
    prefixes = _prefixes(a.types)
    envelope, body = _envelope(header, prefixes)
    _write_target(_sub(body, _q(D, "Hello")), a, prefixes)
    return _serialize(envelope)


def bye(header: Header, a: Announcement) -> bytes:
    envelope, body = _envelope(header, {})
    reference = _sub(_sub(body, _q(D, "Bye")), _q(WSA, "EndpointReference"))
    _sub(reference, _q(WSA, "Address"), a.endpoint_reference)
    return _serialize(envelope)


def matches(header: Header, a: Announcement, kind: str) -> bytes:
    """``kind`` "Probe" → ProbeMatches/ProbeMatch, "Resolve" → ResolveMatches/ResolveMatch."""
    prefixes = _prefixes(a.types)
    envelope, body = _envelope(header, prefixes)
    match = _sub(_sub(body, _q(D, f"{kind}Matches")), _q(D, f"{kind}Match"))
    _write_target(match, a, prefixes)
    return _serialize(envelope)


def matching_rule_fault(header: Header) -> bytes:
    """Core "SOAP Fault Messages": a unicast Probe with a rule the device lacks."""
    envelope, body = _envelope(header, {})
    fault = _sub(body, _q(ENV, "Fault"))
    code = _sub(fault, _q(ENV, "Code"))
    _sub(code, _q(ENV, "Value"), "env:Sender")
    _sub(_sub(code, _q(ENV, "Subcode")), _q(ENV, "Value"), "d:MatchingRuleNotSupported")
    text = _sub(_sub(fault, _q(ENV, "Reason")), _q(ENV, "Text"), "the matching rule "
                "specified is not supported")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    detail = _sub(fault, _q(ENV, "Detail"))
    _sub(detail, _q(D, "SupportedMatchingRules"), " ".join(SUPPORTED_RULES))
    return _serialize(envelope)


# ----------------------------------------------------------------------- reading


def _child(parent: etree._Element, namespace: str, name: str) -> etree._Element | None:
    return parent.find(_q(namespace, name))


def _text(parent: etree._Element | None, namespace: str, name: str) -> str | None:
    element = None if parent is None else _child(parent, namespace, name)
    return None if element is None else (element.text or "").strip()


def _qnames(element: etree._Element | None) -> tuple[QName, ...]:
    """A d:Types list: each prefix resolved in the element's own scope (Base Device
    Test DISCOVERY-2-1-x: any prefix, default namespaces)."""
    if element is None:
        return ()
    names = []
    for word in (element.text or "").split():
        prefix, _, local = word.rpartition(":")
        namespace = element.nsmap.get(prefix or None)
        if namespace is None or not local:
            raise NotDiscovery(f"the Types entry {word!r} names no namespace")
        names.append((namespace, local))
    return tuple(names)


def read_request(datagram: bytes) -> Probe | Resolve:
    """The Probe or Resolve in ``datagram``; ``XmlRefused`` when it is no acceptable XML,
    ``NotDiscovery`` when it is XML but nothing to answer."""
    root = parse_document(datagram, DATAGRAM_LIMITS)
    if root.tag not in (_q(ENV, "Envelope"), _q(SOAP11_ENV, "Envelope")):
        raise NotDiscovery("not a SOAP envelope")
    namespace = etree.QName(root).namespace or ENV
    header = _child(root, namespace, "Header")
    body = _child(root, namespace, "Body")
    message_id = _text(header, WSA, "MessageID")
    if body is None or not message_id:
        raise NotDiscovery("no Body or no wsa:MessageID")
    probe = _child(body, D, "Probe")
    if probe is not None:
        scopes = _child(probe, D, "Scopes")
        return Probe(
            message_id=message_id,
            types=_qnames(_child(probe, D, "Types")),
            scopes=tuple((scopes.text or "").split()) if scopes is not None else (),
            match_by=scopes.get("MatchBy") if scopes is not None else None,
        )
    resolve = _child(body, D, "Resolve")
    if resolve is not None:
        address = _text(_child(resolve, WSA, "EndpointReference"), WSA, "Address")
        if address:
            return Resolve(message_id, address)
    raise NotDiscovery("neither Probe nor Resolve")
