"""Fuzz targets: each takes bytes and may raise only the package's own errors.

Shared by ``run.py`` (a seeded mutation fuzzer needing nothing but the standard
library) and by atheris when it is installed. A target that raises anything else -
IndexError, struct.error, RecursionError, UnicodeDecodeError - has found a bug.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from pathlib import Path

from onvif_recorder.codecs import aac, h264, h265
from onvif_recorder.codecs.errors import BitstreamError
from onvif_recorder.replay.media import ReplayMedia
from onvif_recorder.rtp import rtcp
from onvif_recorder.rtp.depacketize.aac import AacDepacketizer, AuHeaderLayout
from onvif_recorder.rtp.depacketize.base import Depacketizer
from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer
from onvif_recorder.rtp.depacketize.h265 import H265Depacketizer
from onvif_recorder.rtp.depacketize.metadata import MetadataDepacketizer
from onvif_recorder.rtp.errors import RtpError
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.packetize import h264 as h264_packetize
from onvif_recorder.rtsp import auth, headers, sdp
from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.events import Described, MediaSelection
from onvif_recorder.rtsp.message import NEED_DATA, MessageLimits, MessageParser
from onvif_recorder.rtsp.server import RecordingMedia, ServerConnection
from onvif_recorder.rtsp.session import ClientSession

ALLOWED: tuple[type[Exception], ...] = (RemoteProtocolError, RtpError, BitstreamError)
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "rtsp"


def message_parser(data: bytes) -> None:
    parser = MessageParser(MessageLimits(max_header_bytes=4096, max_body=4096))
    for start in range(0, len(data), 61):
        parser.feed(data[start : start + 61])
        while parser.next_event() is not NEED_DATA:
            pass
    parser.feed_eof()
    while parser.next_event() is not NEED_DATA:
        if parser.buffered == 0:
            break


def session(data: bytes) -> None:
    """A whole client session fed the input as the server's bytes."""
    client = ClientSession("rtsp://u:p@127.0.0.1:8554/h264")
    client.start(0.0)
    client.receive_data(data, 1.0)
    while (event := client.next_event()) is not NEED_DATA:
        if isinstance(event, Described):
            client.setup([MediaSelection(0, headers.Transport.tcp())], 1.0)
    client.handle_timer(2.0)


REPLAYED = RecordingMedia(
    [ReplayMedia("VIDEO001", "video", "H264", 90000, 96, h264_packetize.packetize,
                 "packetization-mode=1")], 1_700_000_000.0, 1_700_000_060.0)


def replay_server(data: bytes) -> None:
    """The replay server fed the input as a client's bytes (requests, interleaved RTCP),
    in pieces: it answers every mistake itself, so it may raise nothing at all."""
    connection = ServerConnection(lambda token: REPLAYED if token == "Recording_1" else None,
                                  lambda request: None, lambda: 30, "127.0.0.1", (6970, 6971))
    rest, number = data, 0
    while rest:
        piece, rest = rest[:97], rest[97:]
        connection.receive(piece, float(number))
        number += 1
        if connection.session is not None:  # the seeds' placeholder becomes the real id
            rest = rest.replace(b"SESSIONID", connection.session.session_id.encode())
    connection.receive(b"", 1e6)
    connection.expired(1e6)


def text_headers(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    for parse in (headers.parse_transport, headers.parse_session, headers.parse_rtp_info,
                  headers.parse_range):
        with contextlib.suppress(RemoteProtocolError):
            parse(text)
    for challenge in auth.parse_challenges([text]):
        if auth.choose_challenge([challenge]) is not None:
            auth.Authenticator(auth.Credentials("u", "p"), challenge).authorize("PLAY", "rtsp://x")


def session_description(data: bytes) -> None:
    sdp.parse_sdp(data, "rtsp://127.0.0.1/p")


def rtp_and_rtcp(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
        assert RtpPacket.parse(bytes(packet)) == packet
    except RtpError:
        pass
    rtcp.parse_compound(data)


def _packets(data: bytes) -> list[RtpPacket]:
    """Split the input into RTP packets: [2-byte length][flags byte][payload]..."""
    packets, pos, seq = [], 0, 0
    while pos + 3 <= len(data):
        (length,), flags = struct.unpack_from("!H", data, pos), data[pos + 2]
        payload = data[pos + 3 : pos + 3 + length % 2048]
        pos += 3 + len(payload)
        seq += 1 + (flags & 3 == 3)  # sometimes skip one: a loss
        packets.append(RtpPacket(96, seq & 0xFFFF, (flags >> 2) & 3, 1, payload, bool(flags & 1)))
    return packets


def _depacketize(make: Callable[[], Depacketizer], data: bytes) -> None:
    depacketizer = make()
    for packet in _packets(data):
        with contextlib.suppress(RtpError):
            depacketizer.push(packet)


def depacketizers(data: bytes) -> None:
    _depacketize(lambda: H264Depacketizer(max_size=4096, max_nal_units=8), data)
    _depacketize(lambda: H265Depacketizer(donl=bool(data[:1] == b"\x01"), max_size=4096), data)
    _depacketize(lambda: AacDepacketizer(b"\x14\x08", AuHeaderLayout(13, 3, 3, 2, 2, True, 1, 4),
                                         max_size=4096), data)
    _depacketize(lambda: MetadataDepacketizer("vnd.onvif.metadata+gzip", max_size=4096), data)


def codecs(data: bytes) -> None:
    for parse in (h264.parse_sps, h265.parse_sps, h265.parse_vps,
                  aac.parse_audio_specific_config, h264.split_annexb,
                  h264.from_length_prefixed):
        with contextlib.suppress(BitstreamError):
            parse(data)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "message": message_parser,
    "session": session,
    "server": replay_server,
    "headers": text_headers,
    "sdp": session_description,
    "rtp": rtp_and_rtcp,
    "depacketize": depacketizers,
    "codecs": codecs,
}


def seeds() -> list[bytes]:
    """The committed byte fixtures (RTSP, SDP, captured media) as the starting corpus."""
    files = sorted(p for p in DATA.rglob("*") if p.suffix in (".bin", ".sdp"))
    return [p.read_bytes()[:65536] for p in files]
