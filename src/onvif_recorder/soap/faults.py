"""Domain errors → SOAP 1.2 env:Fault with the full Code/Subcode chain (ONVIF Core,
"Error handling"). The only place that writes a fault."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from onvif_recorder.domain.errors import OnvifError, ReceiverFault
from onvif_recorder.soap.envelope import MustUnderstand, VersionMismatch, build_envelope
from onvif_recorder.soap.namespaces import ENV, PREFIXES, TER, XML, qname


class DetailFault(ReceiverFault):
    """A fault named by a schema element instead of a ``ter:`` subcode: the
    WS-BaseNotification and WS-ResourceFramework faults of the event service, and
    tev:PullMessagesFaultResponse. Core "SOAP Fault Messages": they are env:Receiver faults
    (HTTP 500); the element's QName is the subcode and the element is the env:Detail."""

    def __init__(self, reason: str, detail: etree._Element) -> None:
        super().__init__(reason)
        self.detail = detail
        self.subcodes = (str(detail.tag),)


def _code_value(error: OnvifError) -> str:
    if isinstance(error, VersionMismatch):
        return "env:VersionMismatch"
    if isinstance(error, MustUnderstand):
        return "env:MustUnderstand"
    return f"env:{error.code.value}"


def _subcode_values(error: OnvifError) -> tuple[dict[str, str], list[str]]:
    """The namespace map the fault needs and the text of each subcode Value (a QName)."""
    nsmap = {"env": ENV, "ter": TER}
    values = []
    for subcode in error.subcodes:
        if not subcode.startswith("{"):
            values.append(f"ter:{subcode}")
            continue
        name = etree.QName(subcode)
        prefix = PREFIXES.get(str(name.namespace), "ns1")
        nsmap[prefix] = str(name.namespace)
        values.append(f"{prefix}:{name.localname}")
    return nsmap, values


def fault_element(error: OnvifError) -> etree._Element:
    nsmap, subcodes = _subcode_values(error)
    fault = etree.Element(qname(ENV, "Fault"), nsmap=nsmap)
    parent = etree.SubElement(fault, qname(ENV, "Code"))
    etree.SubElement(parent, qname(ENV, "Value")).text = _code_value(error)
    for subcode in subcodes:
        parent = etree.SubElement(parent, qname(ENV, "Subcode"))
        etree.SubElement(parent, qname(ENV, "Value")).text = subcode
    reason = etree.SubElement(fault, qname(ENV, "Reason"))
    text = etree.SubElement(reason, qname(ENV, "Text"))
    text.set(qname(XML, "lang"), "en")
    text.text = error.reason
    if isinstance(error, DetailFault):
        etree.SubElement(fault, qname(ENV, "Detail")).append(error.detail)
    return fault


def fault_envelope(error: OnvifError, headers: Sequence[etree._Element] = ()) -> bytes:
    return build_envelope(fault_element(error), headers)
