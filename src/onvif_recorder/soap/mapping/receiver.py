"""tt:ReceiverConfiguration, tt:Receiver and tt:ReceiverStateInformation."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import BadConfiguration
from onvif_recorder.domain.receiver import (
    Receiver,
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.soap.mapping.primitives import Reader, sub, xs_boolean
from onvif_recorder.soap.namespaces import TT, qname

MAX_TUNNEL_DEPTH = 4


def _tt(name: str) -> str:
    return qname(TT, name)


def read_transport(reader: Reader, depth: int = 0) -> Transport:
    if depth > MAX_TUNNEL_DEPTH:
        raise reader.fail("Transport tunnels nest too deep")
    tunnel = reader.child("Tunnel")
    return Transport(
        protocol=reader.enum("Protocol", TransportProtocol),
        tunnel=None if tunnel is None else read_transport(tunnel, depth + 1),
    )


def read_receiver_configuration(element: etree._Element) -> ReceiverConfiguration:
    reader = Reader(element, BadConfiguration)
    setup = reader.required("StreamSetup")
    return ReceiverConfiguration(
        mode=reader.enum("Mode", ReceiverMode),
        media_uri=reader.uri("MediaUri").strip(),
        stream=setup.enum("Stream", StreamType),
        transport=read_transport(setup.required("Transport")),
    )


def write_transport(parent: etree._Element, tag: str, transport: Transport) -> None:
    element = sub(parent, tag)
    sub(element, _tt("Protocol"), transport.protocol.value)
    if transport.tunnel is not None:
        write_transport(element, _tt("Tunnel"), transport.tunnel)


def write_receiver_configuration(
    parent: etree._Element, tag: str, configuration: ReceiverConfiguration
) -> None:
    element = sub(parent, tag)
    sub(element, _tt("Mode"), configuration.mode.value)
    sub(element, _tt("MediaUri"), configuration.media_uri)
    setup = sub(element, _tt("StreamSetup"))
    sub(setup, _tt("Stream"), configuration.stream.value)
    write_transport(setup, _tt("Transport"), configuration.transport)


def write_receiver(parent: etree._Element, tag: str, receiver: Receiver) -> None:
    element = sub(parent, tag)
    sub(element, _tt("Token"), receiver.token)
    write_receiver_configuration(element, _tt("Configuration"), receiver.configuration)


def write_receiver_state(
    parent: etree._Element, tag: str, state: ReceiverState, auto_created: bool
) -> None:
    element = sub(parent, tag)
    sub(element, _tt("State"), state.value)
    sub(element, _tt("AutoCreated"), xs_boolean(auto_created))
