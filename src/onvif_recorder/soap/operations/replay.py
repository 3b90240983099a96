"""Replay Control service endpoint (trp, Replay 25.12 §5): every operation of replay.wsdl."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.service.replay import ReplayService
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.primitives import sub
from onvif_recorder.soap.mapping.replay import (
    read_configuration,
    read_stream_setup,
    trp,
    write_capabilities,
    write_configuration,
)
from onvif_recorder.soap.namespaces import TRP, TT
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/replay_service"


def _response(name: str) -> etree._Element:
    return etree.Element(trp(name), nsmap={"trp": TRP, "tt": TT})


class ReplayHandlers:
    def __init__(self, replay: ReplayService) -> None:
        self.replay = replay

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_capabilities(response, self.replay.capabilities)
        return response

    def get_replay_uri(self, ctx: CallContext, request: etree._Element) -> etree._Element:
        stream, transport, recording = read_stream_setup(request)
        response = _response("GetReplayUriResponse")
        uri = self.replay.replay_uri(recording, stream, transport, ctx.base_url)
        sub(response, trp("Uri"), uri)
        return response

    def get_replay_configuration(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetReplayConfigurationResponse")
        write_configuration(response, self.replay.configuration)
        return response

    def set_replay_configuration(self, _: CallContext, request: etree._Element
                                 ) -> etree._Element:
        self.replay.set_configuration(read_configuration(request))
        return _response("SetReplayConfigurationResponse")


def replay_endpoint(handlers: ReplayHandlers) -> ServiceEndpoint:
    h = handlers
    operations = [
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("GetReplayUri", AccessClass.READ_MEDIA, h.get_replay_uri),
        Operation("GetReplayConfiguration", AccessClass.READ_MEDIA, h.get_replay_configuration),
        Operation("SetReplayConfiguration", AccessClass.ACTUATE, h.set_replay_configuration),
    ]
    return ServiceEndpoint.build(PATH, TRP, operations, ())
