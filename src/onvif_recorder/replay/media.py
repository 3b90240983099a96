"""A recorded track as an RTP stream: encoding, clock, fmtp (from the stored sample
entry: avcC, hvcC, esds) and its packetizer; and the SDP of a recording (RFC 4566,
Streaming §6.1: ``a=x-onvif-track`` per media, ``a=control`` per stream)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from onvif_recorder.mp4.fragment_reader import StoredTrack
from onvif_recorder.mp4.sample_entries import esds_config
from onvif_recorder.rtp.packetize import Payload, aac, g711, h264, h265, metadata

Packetizer = Callable[[bytes, int], list[Payload]]
DYNAMIC_PT = 96


@dataclass(frozen=True, slots=True)
class ReplayMedia:
    track_token: str
    kind: str  # SDP media: video, audio, application
    encoding: str
    clock_rate: int
    payload_type: int
    packetize: Packetizer
    fmtp: str = ""
    channels: int = 1
    lead_in: bytes = b""
    """An access unit that carries no picture (the codec's access unit delimiter), sent
    before a PLAY's first frame (see playback.RtpStream.packets); empty: none."""
    end_of_stream: bytes = b""
    """The codec's end-of-stream NAL unit, appended to the terminal frame to carry the T
    bit (see playback.RtpStream.packets); empty: T rides on the frame itself."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _avcc_fmtp(payload: bytes) -> str:
    """profile-level-id and sprop-parameter-sets (RFC 6184 §8.1) from an avcC."""
    sets: list[bytes] = []
    pos, count = 6, payload[5] & 0x1F
    for phase in range(2):
        for _ in range(count):
            size = int.from_bytes(payload[pos:pos + 2], "big")
            sets.append(payload[pos + 2:pos + 2 + size])
            pos += 2 + size
        if phase == 0 and pos < len(payload):
            count, pos = payload[pos], pos + 1
        else:
            break
    return (f"packetization-mode=1;profile-level-id={payload[1:4].hex().upper()};"
            f"sprop-parameter-sets={','.join(_b64(s) for s in sets)}")


def _hvcc_fmtp(payload: bytes) -> str:
    """sprop-vps/sps/pps (RFC 7798 §7.1) from an hvcC."""
    names = {32: "sprop-vps", 33: "sprop-sps", 34: "sprop-pps"}
    found: dict[str, list[str]] = {}
    pos, arrays = 23, payload[22]
    for _ in range(arrays):
        nal_type, count = payload[pos] & 0x3F, int.from_bytes(payload[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            size = int.from_bytes(payload[pos:pos + 2], "big")
            if nal_type in names:
                found.setdefault(names[nal_type], []).append(_b64(payload[pos + 2:pos + 2 + size]))
            pos += 2 + size
    return ";".join(f"{name}={','.join(values)}" for name, values in found.items())


def _audio(track: StoredTrack) -> tuple[int, int]:
    """channelcount and the integer part of samplerate (AudioSampleEntry, §12.2.3)."""
    payload = track.entry.payload
    return (int.from_bytes(payload[16:18], "big") or 1,
            int.from_bytes(payload[24:26], "big") or 8000)


def describe(track: StoredTrack, token: str, index: int) -> ReplayMedia | None:
    """The RTP stream of ``track``; None for a sample entry replay cannot send."""
    entry, pt = track.entry, DYNAMIC_PT + index
    children = {c.name: c.payload for c in entry.children}
    if entry.name in ("avc1", "avc3") and "avcC" in children:
        return ReplayMedia(token, "video", "H264", 90000, pt, h264.packetize,
                           _avcc_fmtp(children["avcC"]),
                           lead_in=h264.ACCESS_UNIT_DELIMITER,
                           end_of_stream=h264.END_OF_STREAM)
    if entry.name in ("hvc1", "hev1") and "hvcC" in children:
        return ReplayMedia(token, "video", "H265", 90000, pt, h265.packetize,
                           _hvcc_fmtp(children["hvcC"]),
                           lead_in=h265.ACCESS_UNIT_DELIMITER,
                           end_of_stream=h265.END_OF_BITSTREAM)
    if entry.name == "mp4a" and "esds" in children:
        channels, rate = _audio(track)
        config = (esds_config(children["esds"]) or b"").hex()
        return ReplayMedia(token, "audio", "MPEG4-GENERIC", rate, pt, aac.packetize,
                           f"{aac.FMTP};config={config}", channels)
    if entry.name in ("ulaw", "alaw"):
        static = 0 if entry.name == "ulaw" else 8
        return ReplayMedia(token, "audio", "PCMU" if static == 0 else "PCMA", 8000, static,
                           g711.packetize)
    if entry.name == "metx":
        return ReplayMedia(token, "application", "vnd.onvif.metadata", 90000, pt,
                           metadata.packetize)
    return None


def control(index: int) -> str:
    return f"trackID={index}"


def session_description(media: Sequence[ReplayMedia], address: str, name: str,
                        range_text: str) -> str:
    lines = ["v=0", f"o=- 0 0 IN IP4 {address}", f"s={name}", f"c=IN IP4 {address}", "t=0 0",
             "a=control:*", f"a=range:{range_text}"]
    for index, item in enumerate(media):
        rtpmap = f"{item.encoding}/{item.clock_rate}"
        if item.kind == "audio" and item.channels > 1:
            rtpmap += f"/{item.channels}"
        lines += [f"m={item.kind} 0 RTP/AVP {item.payload_type}",
                  f"a=rtpmap:{item.payload_type} {rtpmap}"]
        if item.fmtp:
            lines.append(f"a=fmtp:{item.payload_type} {item.fmtp}")
        lines += [f"a=control:{control(index)}", f"a=x-onvif-track:{item.track_token}",
                  "a=recvonly"]
    return "\r\n".join(lines) + "\r\n"
