"""trp:Capabilities, tt:ReplayConfiguration and the legacy tt:ReplayCapabilities."""

from __future__ import annotations

from lxml import etree

from onvif_recorder.domain.errors import ConfigModify, InvalidArgs
from onvif_recorder.domain.receiver import StreamType, Transport
from onvif_recorder.service.replay import ReplayCapabilities, ReplayConfiguration
from onvif_recorder.soap.mapping.primitives import Reader, sub, xs_boolean
from onvif_recorder.soap.mapping.receiver import read_transport
from onvif_recorder.soap.namespaces import TRP, TT, qname


def trp(name: str) -> str:
    return qname(TRP, name)


def write_capabilities(parent: etree._Element, caps: ReplayCapabilities) -> etree._Element:
    element = sub(parent, trp("Capabilities"))
    element.set("ReversePlayback", xs_boolean(caps.reverse_playback))
    element.set("SessionTimeoutRange", " ".join(str(v) for v in caps.session_timeout_range))
    element.set("RTP_RTSP_TCP", xs_boolean(caps.rtp_rtsp_tcp))
    return element


def write_legacy_replay(parent: etree._Element, xaddr: str) -> None:
    """GetCapabilities: tt:CapabilitiesExtension/Replay (onvif.xsd ReplayCapabilities)."""
    sub(sub(parent, qname(TT, "Replay")), qname(TT, "XAddr"), xaddr)


def read_stream_setup(request: etree._Element) -> tuple[StreamType, Transport, str]:
    """GetReplayUri's StreamSetup and RecordingToken."""
    reader = Reader(request, InvalidArgs)
    setup = reader.required("StreamSetup")
    stream = setup.enum("Stream", StreamType)
    return stream, read_transport(setup.required("Transport")), reader.token("RecordingToken")


def read_configuration(request: etree._Element) -> ReplayConfiguration:
    element = Reader(request, InvalidArgs).required("Configuration").element
    return ReplayConfiguration(Reader(element, ConfigModify).duration("SessionTimeout"))


def write_configuration(parent: etree._Element, configuration: ReplayConfiguration) -> None:
    element = sub(parent, trp("Configuration"))
    sub(element, qname(TT, "SessionTimeout"), configuration.session_timeout.lexical)
