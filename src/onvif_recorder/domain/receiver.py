"""Receivers: RTSP client endpoints that feed recording jobs (ONVIF Receiver spec)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ReceiverMode(Enum):
    AUTO_CONNECT = "AutoConnect"
    ALWAYS_CONNECT = "AlwaysConnect"
    NEVER_CONNECT = "NeverConnect"
    UNKNOWN = "Unknown"


class ReceiverState(Enum):
    NOT_CONNECTED = "NotConnected"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    UNKNOWN = "Unknown"


class StreamType(Enum):
    RTP_UNICAST = "RTP-Unicast"
    RTP_MULTICAST = "RTP-Multicast"


class TransportProtocol(Enum):
    UDP = "UDP"
    TCP = "TCP"
    RTSP = "RTSP"
    HTTP = "HTTP"


@dataclass(frozen=True, slots=True)
class Transport:
    protocol: TransportProtocol
    tunnel: Transport | None = None


@dataclass(frozen=True, slots=True)
class ReceiverConfiguration:
    mode: ReceiverMode
    media_uri: str
    stream: StreamType
    transport: Transport


# Receiver spec: an auto-created receiver has all its fields set to empty values.
EMPTY_RECEIVER_CONFIGURATION = ReceiverConfiguration(
    mode=ReceiverMode.NEVER_CONNECT,
    media_uri="",
    stream=StreamType.RTP_UNICAST,
    transport=Transport(TransportProtocol.UDP),
)


@dataclass(frozen=True, slots=True)
class Receiver:
    token: str
    configuration: ReceiverConfiguration
    auto_created: bool = False
