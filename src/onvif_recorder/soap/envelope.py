"""SOAP 1.2 envelopes: split a request into header blocks and the operation element,
and wrap response payloads (SOAP 1.2 Part 1 §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from onvif_recorder.domain.errors import SenderFault
from onvif_recorder.soap.namespaces import ENV, SOAP11_ENV, WSA, WSSE, qname

# Header blocks this endpoint processes; any other block marked mustUnderstand
# gets an env:MustUnderstand fault (SOAP 1.2 Part 1 §5.2.3).
_UNDERSTOOD_NAMESPACES = frozenset({WSSE, WSA})
_TRUE = frozenset({"true", "1"})


class VersionMismatch(SenderFault):
    """SOAP 1.2 Part 1 §5.4.7: the envelope is not in the SOAP 1.2 namespace.
    Part 2 §7.5.2.2 Table 20: sent with HTTP 500."""

    subcodes = ()
    http_status = 500


class MustUnderstand(SenderFault):
    """SOAP 1.2 Part 1 §5.4.8; Part 2 §7.5.2.2 Table 20: sent with HTTP 500."""

    subcodes = ()
    http_status = 500


class MalformedEnvelope(SenderFault):
    subcodes = ("WellFormed",)


@dataclass(frozen=True, slots=True)
class Addressing:
    """The request's WS-Addressing 1.0 properties (the event service answers with them)."""

    action: str | None = None
    to: str | None = None
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class SoapRequest:
    operation: etree._Element
    security: etree._Element | None
    addressing: Addressing = field(default_factory=Addressing)

    @property
    def operation_name(self) -> str:
        return str(self.operation.tag)


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _check_headers(header: etree._Element) -> tuple[etree._Element | None, Addressing]:
    security = None
    addressing: dict[str, str] = {}
    for block in _children(header):
        namespace = etree.QName(block).namespace
        if block.tag == qname(WSSE, "Security"):
            security = block
        elif namespace == WSA:
            # zeep sends the WS-Addressing blocks twice for some operations: first one wins.
            addressing.setdefault(etree.QName(block).localname, (block.text or "").strip())
        elif block.get(qname(ENV, "mustUnderstand"), "").strip() in _TRUE and (
            namespace not in _UNDERSTOOD_NAMESPACES
        ):
            raise MustUnderstand(f"header block {block.tag} is not understood")
    wsa = Addressing(addressing.get("Action"), addressing.get("To"), addressing.get("MessageID"))
    return security, wsa


def parse_envelope(root: etree._Element) -> SoapRequest:
    """Validate the envelope structure and return the operation element."""
    if root.tag == qname(SOAP11_ENV, "Envelope"):
        raise VersionMismatch("only SOAP 1.2 envelopes are supported")
    if root.tag != qname(ENV, "Envelope"):
        raise MalformedEnvelope("the document element is not a SOAP 1.2 Envelope")
    parts = _children(root)
    header = parts[0] if parts and parts[0].tag == qname(ENV, "Header") else None
    bodies = [p for p in parts if p.tag == qname(ENV, "Body")]
    if len(bodies) != 1 or len(parts) != len(bodies) + (header is not None):
        raise MalformedEnvelope("the Envelope must hold an optional Header and one Body")
    operations = _children(bodies[0])
    if len(operations) != 1:
        raise MalformedEnvelope("the Body must hold exactly one operation element")
    if header is None:
        return SoapRequest(operations[0], None)
    security, addressing = _check_headers(header)
    return SoapRequest(operations[0], security, addressing)


def build_envelope(payload: etree._Element, headers: Sequence[etree._Element] = ()) -> bytes:
    envelope = etree.Element(qname(ENV, "Envelope"), nsmap={"env": ENV})
    if headers:
        etree.SubElement(envelope, qname(ENV, "Header")).extend(headers)
    body = etree.SubElement(envelope, qname(ENV, "Body"))
    body.append(payload)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))
