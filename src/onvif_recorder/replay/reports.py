"""RTCP sent during playback (Streaming §6.11, RFC 3550 §6.1, §6.4.1): per stream, a
compound packet of a sender report and the SDES CNAME, at the start of a PLAY and then at
most every ``REPORT_INTERVAL`` seconds, and with a BYE at the end of the data for clients
that take that as the end of the stream.

With rate control the report pairs the wall clock (NTP) with the RTP time of that
instant: the last packet's timestamp advanced by the media time since it was sent.
Without rate control there is no such pairing; the NTP and RTP timestamps are zero, as
§6.11 says.
"""

from __future__ import annotations

from onvif_recorder.replay.playback import RtpStream
from onvif_recorder.rtp.onvif_extension import ntp_timestamp
from onvif_recorder.rtp.rtcp import (
    SDES_CNAME,
    Bye,
    RtcpPacket,
    SdesChunk,
    SenderReport,
    SourceDescription,
    serialize_compound,
)

REPORT_INTERVAL = 5.0
"""Seconds between reports (RFC 3550 §6.2's recommended minimum)."""
CNAME = b"onvif-recorder"


def sender_report(stream: RtpStream, wall_utc: float | None, media_since: float
                  ) -> SenderReport:
    """``wall_utc`` None: no rate control (zero times); ``media_since``: media seconds
    played since the stream's last packet."""
    ntp = rtp = 0
    if wall_utc is not None and stream.last_timestamp is not None:
        ntp = ntp_timestamp(wall_utc)
        advance = round(media_since * stream.media.clock_rate)
        rtp = (stream.last_timestamp + advance) & 0xFFFFFFFF
    return SenderReport(stream.ssrc, ntp, rtp, stream.packets_sent & 0xFFFFFFFF,
                        stream.octets_sent & 0xFFFFFFFF)


def report_compound(stream: RtpStream, wall_utc: float | None, media_since: float,
                    bye: bool = False) -> bytes:
    packets: list[RtcpPacket] = [
        sender_report(stream, wall_utc, media_since),
        SourceDescription((SdesChunk(stream.ssrc, ((SDES_CNAME, CNAME),)),))]
    if bye:
        packets.append(Bye((stream.ssrc,)))
    return serialize_compound(packets)
