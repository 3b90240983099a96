"""A WS-Discovery client for the namespace tests, run inside a network namespace:

    ip netns exec NS python -m tests.integration.discovery_peer COMMAND ...

``listen FILE ADDRESS`` appends every datagram arriving on 239.255.255.250:3702 (joined
on ADDRESS) to FILE as JSON lines until killed; its socket has SO_REUSEADDR only, like
other discovery tools. ``probe ADDRESS [--to HOST] [--types T] [--scope S] [--wait N]``
sends a Probe (multicast, or unicast to HOST) once a second and prints the answers as
JSON. ``soap URL OPERATION JSON`` calls a device service operation through zeep with the
test administrator, validating the answer against the XSD, and prints it. ``send ADDRESS
HOST TEXT`` sends TEXT as one datagram to HOST:3702. ``wsdiscovery ADDRESS`` searches with
the third-party ``WSDiscovery`` package. The messages are written here by hand,
independent of the recorder's own code.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import time
import uuid
from typing import Any

GROUP, PORT = "239.255.255.250", 3702
D = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
TDS = "http://www.onvif.org/ver10/device/wsdl"


def probe_message(message_id: str, types: str, scope: str) -> bytes:
    types_element = f'<d:Types xmlns:tds="{TDS}">{types}</d:Types>' if types else ""
    scopes_element = f"<d:Scopes>{scope}</d:Scopes>" if scope else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="{D}">
<s:Header><a:MessageID>{message_id}</a:MessageID>
<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
<a:Action>{D}/Probe</a:Action></s:Header>
<s:Body><d:Probe>{types_element}{scopes_element}</d:Probe></s:Body></s:Envelope>""".encode()


def listen(path: str, address: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("", PORT))
    membership = socket.inet_aton(GROUP) + socket.inet_aton(address)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps({"ready": True}) + "\n")
        out.flush()
        while True:
            data, sender = sock.recvfrom(65535)
            out.write(json.dumps({"from": sender[0], "xml": data.decode()}) + "\n")
            out.flush()


def probe(address: str, to: str | None, types: str, scope: str, wait: float) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 0))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
    answers: list[dict[str, str]] = []
    deadline = time.monotonic() + wait
    next_probe = 0.0
    while time.monotonic() < deadline and not answers:
        if time.monotonic() >= next_probe:
            message = probe_message(uuid.uuid4().urn, types, scope)
            sock.sendto(message, (to or GROUP, PORT))
            next_probe = time.monotonic() + 1.0
        readable, _, _ = select.select([sock], [], [], 0.1)
        if readable:
            data, sender = sock.recvfrom(65535)
            answers.append({"from": sender[0], "xml": data.decode()})
    if answers:  # late duplicates or several devices: collect for one more second
        end = time.monotonic() + 1.0
        while (left := end - time.monotonic()) > 0:
            if select.select([sock], [], [], left)[0]:
                data, sender = sock.recvfrom(65535)
                answers.append({"from": sender[0], "xml": data.decode()})
    print(json.dumps(answers))


def soap(url: str, operation: str, arguments: str) -> None:
    from zeep.helpers import serialize_object

    from tests.conftest import ADMIN_PASSWORD, ADMIN_USER
    from tests.onvif_client import onvif_service_with_recorder, validate_body

    service, recorder = onvif_service_with_recorder(
        "device", url, username=ADMIN_USER, password=ADMIN_PASSWORD)
    result = getattr(service, operation)(**json.loads(arguments))
    validate_body(recorder.last)
    print(json.dumps(serialize_object(result), default=str))  # type: ignore[no-untyped-call]


def third_party(address: str) -> None:
    from wsdiscovery import QName, Scope
    from wsdiscovery.discovery import ThreadedWSDiscovery

    client = ThreadedWSDiscovery()
    client.start()
    try:
        found: list[Any] = []
        for _ in range(5):
            found = client.searchServices(
                types=[QName(TDS, "Device")],
                scopes=[Scope("onvif://www.onvif.org/Profile/G")], timeout=2)
            if found:
                break
        print(json.dumps([{"epr": s.getEPR(), "xaddrs": s.getXAddrs(),
                           "scopes": [str(x.getValue()) for x in s.getScopes()]}
                          for s in found]))
    finally:
        client.stop()


def main(argv: list[str]) -> None:
    command, *rest = argv
    if command == "listen":
        listen(rest[0], rest[1])
    elif command == "probe":
        options = dict(zip(rest[1::2], rest[2::2], strict=True))
        probe(rest[0], options.get("--to"), options.get("--types", ""),
              options.get("--scope", ""), float(options.get("--wait", "10")))
    elif command == "soap":
        soap(*rest)
    elif command == "send":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((rest[0], 0))
            sock.sendto(rest[2].encode(), (rest[1], PORT))
        print(json.dumps("sent"))
    elif command == "wsdiscovery":
        third_party(rest[0])
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
