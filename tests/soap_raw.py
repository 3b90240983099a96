"""Raw SOAP requests for the cases a schema-driven client cannot send (exact lexical
forms, malformed or hostile XML). Authenticated with HTTP Digest."""

from __future__ import annotations

import requests
from lxml import etree
from requests.auth import HTTPDigestAuth

ENV = "http://www.w3.org/2003/05/soap-envelope"
NAMESPACES = {
    "env": ENV,
    "tt": "http://www.onvif.org/ver10/schema",
    "trc": "http://www.onvif.org/ver10/recording/wsdl",
    "trv": "http://www.onvif.org/ver10/receiver/wsdl",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "ter": "http://www.onvif.org/ver10/error",
}


def envelope(body: str) -> bytes:
    declarations = " ".join(f'xmlns:{p}="{u}"' for p, u in NAMESPACES.items())
    return f"<env:Envelope {declarations}><env:Body>{body}</env:Body></env:Envelope>".encode()


def post(
    url: str,
    data: bytes,
    user: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> requests.Response:
    auth = HTTPDigestAuth(user, password) if user is not None and password is not None else None
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    return requests.post(url, data=data, auth=auth, headers=headers, timeout=timeout)


def body_of(response: requests.Response) -> etree._Element:
    root = etree.fromstring(response.content)
    body = root.find(f"{{{ENV}}}Body")
    assert body is not None and len(body), response.text
    return body[0]


def fault_chain_of(response: requests.Response) -> list[str]:
    """The Code and Subcode values of a raw fault response, as local names."""
    fault = body_of(response)
    assert fault.tag == f"{{{ENV}}}Fault", response.text
    chain: list[str] = []
    node = fault.find(f"{{{ENV}}}Code")
    while node is not None:
        value = node.findtext(f"{{{ENV}}}Value") or ""
        chain.append(value.split(":")[-1])
        node = node.find(f"{{{ENV}}}Subcode")
    return chain


def text_at(element: etree._Element, path: str) -> str | None:
    return element.findtext(path, namespaces=NAMESPACES)
