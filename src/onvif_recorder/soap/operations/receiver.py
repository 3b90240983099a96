"""Receiver service endpoint (trv)."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import BadConfiguration
from onvif_recorder.domain.receiver import ReceiverMode
from onvif_recorder.service.capabilities import ReceiverCapabilities
from onvif_recorder.service.receivers import ReceiverService
from onvif_recorder.soap.dispatch import CallContext, Operation, ServiceEndpoint
from onvif_recorder.soap.mapping.capabilities import write_receiver_capabilities
from onvif_recorder.soap.mapping.primitives import Reader
from onvif_recorder.soap.mapping.receiver import (
    read_receiver_configuration,
    write_receiver,
    write_receiver_state,
)
from onvif_recorder.soap.namespaces import TRV, TT, qname
from onvif_recorder.soap.security.access import AccessClass

PATH = "/onvif/receiver_service"


def _trv(name: str) -> str:
    return qname(TRV, name)


def _response(name: str) -> etree._Element:
    return etree.Element(_trv(name), nsmap={"trv": TRV, "tt": TT})


def _token(request: etree._Element) -> str:
    return Reader(request).token("ReceiverToken")


def _configuration(request: etree._Element) -> etree._Element:
    return Reader(request, BadConfiguration).required("Configuration").element


class ReceiverHandlers:
    def __init__(self, receivers: ReceiverService, caps: ReceiverCapabilities) -> None:
        self.receivers = receivers
        self.caps = caps

    def get_service_capabilities(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetServiceCapabilitiesResponse")
        write_receiver_capabilities(response, self.caps)
        return response

    def get_receivers(self, _: CallContext, __: etree._Element) -> etree._Element:
        response = _response("GetReceiversResponse")
        for receiver in self.receivers.receivers():
            write_receiver(response, _trv("Receivers"), receiver)
        return response

    def get_receiver(self, _: CallContext, request: etree._Element) -> etree._Element:
        response = _response("GetReceiverResponse")
        write_receiver(response, _trv("Receiver"), self.receivers.receiver(_token(request)))
        return response

    def create_receiver(self, _: CallContext, request: etree._Element) -> etree._Element:
        receiver = self.receivers.create_receiver(
            read_receiver_configuration(_configuration(request))
        )
        response = _response("CreateReceiverResponse")
        write_receiver(response, _trv("Receiver"), receiver)
        return response

    def delete_receiver(self, _: CallContext, request: etree._Element) -> etree._Element:
        self.receivers.delete_receiver(_token(request))
        return _response("DeleteReceiverResponse")

    def configure_receiver(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = _token(request)
        self.receivers.receiver(token)  # UnknownToken before BadConfiguration
        configuration = read_receiver_configuration(_configuration(request))
        self.receivers.configure_receiver(token, configuration)
        return _response("ConfigureReceiverResponse")

    def set_receiver_mode(self, _: CallContext, request: etree._Element) -> etree._Element:
        token = _token(request)
        self.receivers.receiver(token)
        self.receivers.set_receiver_mode(token, Reader(request).enum("Mode", ReceiverMode))
        return _response("SetReceiverModeResponse")

    def get_receiver_state(self, _: CallContext, request: etree._Element) -> etree._Element:
        state, auto_created = self.receivers.receiver_state(_token(request))
        response = _response("GetReceiverStateResponse")
        write_receiver_state(response, _trv("ReceiverState"), state, auto_created)
        return response


def receiver_endpoint(handlers: ReceiverHandlers) -> ServiceEndpoint:
    h = handlers
    read, write = AccessClass.READ_MEDIA, AccessClass.ACTUATE
    operations = [
        Operation("GetServiceCapabilities", AccessClass.PRE_AUTH, h.get_service_capabilities),
        Operation("GetReceivers", read, h.get_receivers),
        Operation("GetReceiver", read, h.get_receiver),
        Operation("CreateReceiver", write, h.create_receiver),
        Operation("DeleteReceiver", write, h.delete_receiver),
        Operation("ConfigureReceiver", write, h.configure_receiver),
        Operation("SetReceiverMode", write, h.set_receiver_mode),
        Operation("GetReceiverState", read, h.get_receiver_state),
    ]
    return ServiceEndpoint.build(PATH, TRV, operations, ())
