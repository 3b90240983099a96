"""WS-Addressing on requests and answers, faults with a Detail element, and operations of
another namespace in a dispatch table: what the event service needs from the SOAP layer."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import ActionNotSupported, UnknownAction
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.envelope import build_envelope, parse_envelope
from onvif_recorder.soap.faults import DetailFault, fault_element
from onvif_recorder.soap.namespaces import ENV, TEV, WSA, WSNT, qname
from onvif_recorder.soap.security.access import AccessClass

REQUEST = b"""<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"
    xmlns:a="http://www.w3.org/2005/08/addressing">
  <e:Header>
    <a:Action e:mustUnderstand="1">urn:first-action</a:Action>
    <a:MessageID>urn:uuid:1</a:MessageID>
    <a:To e:mustUnderstand="1"> http://host/onvif/event_service/subscription/x </a:To>
    <a:Action>urn:second-action</a:Action>
  </e:Header>
  <e:Body><t:PullMessages xmlns:t="http://www.onvif.org/ver10/events/wsdl"/></e:Body>
</e:Envelope>"""


def test_addressing_properties_are_read_and_the_first_copy_wins() -> None:
    request = parse_envelope(etree.fromstring(REQUEST))
    assert request.addressing.action == "urn:first-action"
    assert request.addressing.message_id == "urn:uuid:1"
    assert request.addressing.to == "http://host/onvif/event_service/subscription/x"


def test_a_request_without_header_has_no_addressing() -> None:
    body = b"""<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body>
        <t:GetEventProperties xmlns:t="http://www.onvif.org/ver10/events/wsdl"/>
        </e:Body></e:Envelope>"""
    request = parse_envelope(etree.fromstring(body))
    assert request.addressing.action is None and request.security is None


def test_answers_carry_the_given_header_blocks() -> None:
    action = etree.Element(qname(WSA, "Action"))
    action.text = "urn:answer"
    envelope = etree.fromstring(build_envelope(etree.Element(qname(TEV, "X")), [action]))
    header, body = list(envelope)
    assert header.tag == qname(ENV, "Header") and body.tag == qname(ENV, "Body")
    assert [h.text for h in header] == ["urn:answer"]
    assert len(etree.fromstring(build_envelope(etree.Element("X")))) == 1  # no empty Header


def test_detail_faults_name_their_element_as_subcode_and_carry_it() -> None:
    detail = etree.Element(qname(WSNT, "InvalidFilterFault"))
    fault = fault_element(DetailFault("bad filter", detail))
    values = [v.text for v in fault.iter(qname(ENV, "Value"))]
    assert values == ["env:Receiver", "wsnt:InvalidFilterFault"]
    assert fault.nsmap["wsnt"] == WSNT
    [carried] = fault.findall(f"{qname(ENV, 'Detail')}/*")
    assert carried.tag == qname(WSNT, "InvalidFilterFault")


def answer(_: CallContext, __: etree._Element) -> etree._Element:
    return etree.Element("answer")


def test_an_endpoint_may_answer_operations_of_another_namespace() -> None:
    endpoint = ServiceEndpoint.build(
        "/x",
        TEV,
        [
            Operation("PullMessages", AccessClass.READ_MEDIA, answer),
            Operation("Renew", AccessClass.READ_MEDIA, answer, namespace=WSNT, action="urn:a"),
        ],
        ["Seek"],
    )
    assert endpoint.lookup(qname(WSNT, "Renew")).action == "urn:a"
    assert endpoint.lookup(qname(TEV, "PullMessages")).name == "PullMessages"
    for tag, error in ((qname(TEV, "Renew"), UnknownAction), (qname(TEV, "Seek"),
                                                              ActionNotSupported)):
        try:
            endpoint.lookup(tag)
        except error:
            continue
        raise AssertionError(f"{tag} should raise {error.__name__}")
