"""Every XML namespace the recorder reads or writes, with its conventional prefix."""

from __future__ import annotations

ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TER = "http://www.onvif.org/ver10/error"
TT = "http://www.onvif.org/ver10/schema"
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRC = "http://www.onvif.org/ver10/recording/wsdl"
TRV = "http://www.onvif.org/ver10/receiver/wsdl"
TEV = "http://www.onvif.org/ver10/events/wsdl"
TSE = "http://www.onvif.org/ver10/search/wsdl"
TRP = "http://www.onvif.org/ver10/replay/wsdl"
TSC = "http://www.onvif.org/ver10/schedule/wsdl"
TAS = "http://www.onvif.org/ver10/advancedsecurity/wsdl"
PT = "http://www.onvif.org/ver10/pacs"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSA = "http://www.w3.org/2005/08/addressing"
WSNT = "http://docs.oasis-open.org/wsn/b-2"
WSTOP = "http://docs.oasis-open.org/wsn/t-1"
WSRF_R = "http://docs.oasis-open.org/wsrf/r-2"
WSRF_BF = "http://docs.oasis-open.org/wsrf/bf-2"
TNS1 = "http://www.onvif.org/ver10/topics"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"

NSMAP: dict[str | None, str] = {
    "env": ENV,
    "ter": TER,
    "tt": TT,
    "tds": TDS,
    "trc": TRC,
    "trv": TRV,
}


# Prefixes for QName values written as text (fault subcodes, topics, item types).
PREFIXES: dict[str, str] = {
    TER: "ter",
    TT: "tt",
    TEV: "tev",
    WSNT: "wsnt",
    WSTOP: "wstop",
    WSRF_R: "wsrf-r",
    WSRF_BF: "wsrf-bf",
    TNS1: "tns1",
    XS: "xs",
    PT: "pt",
}


def qname(namespace: str, local: str) -> str:
    """Clark notation, as lxml uses it: ``{namespace}local``."""
    return f"{{{namespace}}}{local}"
