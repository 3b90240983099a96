"""Domain errors → SOAP 1.2 env:Fault with the full Code/Subcode chain (ONVIF Core,
"Error handling"). The only place that writes a fault."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import OnvifError
from onvif_recorder.soap.envelope import MustUnderstand, VersionMismatch, build_envelope
from onvif_recorder.soap.namespaces import ENV, TER, XML, qname


def _code_value(error: OnvifError) -> str:
    if isinstance(error, VersionMismatch):
        return "env:VersionMismatch"
    if isinstance(error, MustUnderstand):
        return "env:MustUnderstand"
    return f"env:{error.code.value}"


def fault_element(error: OnvifError) -> etree._Element:
    fault = etree.Element(qname(ENV, "Fault"), nsmap={"env": ENV, "ter": TER})
    parent = etree.SubElement(fault, qname(ENV, "Code"))
    etree.SubElement(parent, qname(ENV, "Value")).text = _code_value(error)
    for subcode in error.subcodes:
        parent = etree.SubElement(parent, qname(ENV, "Subcode"))
        etree.SubElement(parent, qname(ENV, "Value")).text = f"ter:{subcode}"
    reason = etree.SubElement(fault, qname(ENV, "Reason"))
    text = etree.SubElement(reason, qname(ENV, "Text"))
    text.set(qname(XML, "lang"), "en")
    text.text = error.reason
    return fault


def fault_envelope(error: OnvifError) -> bytes:
    return build_envelope(fault_element(error))
