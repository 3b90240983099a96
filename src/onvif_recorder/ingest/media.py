"""Which media of a DESCRIBE to receive, and the per-session path from packets to samples.

``select_media`` keeps every media we can depacketize (video, audio, ONVIF metadata) and
skips the rest with a reason: an unknown codec, or ``a=inactive``. Other directions are
not a reason to skip: ONVIF Streaming ("Back channel connection") writes them from the
client's side (``a=recvonly`` on what the server sends, as Hikvision and Dahua do on every
stream) while generic servers write ``a=sendonly`` on the same media, and a back channel
is only described to a client that sends ``Require: www.onvif.org/ver20/backchannel``,
which we never do. ``MediaPipeline`` is what a
connection hands each RTP/RTCP packet to: one ``RtpStream`` per media, samples published
to the receiver's ``SampleFanout`` with the session number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.ingest.items import MediaSample, SamplePublisher, StreamInfo
from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize import Depacketizer, UnsupportedCodec
from onvif_recorder.rtp.stream import RtpStream
from onvif_recorder.rtsp.events import Playing
from onvif_recorder.rtsp.sdp import MediaDescription, SessionDescription

_TRACK_TYPES = {"video": TrackType.VIDEO, "audio": TrackType.AUDIO}


@dataclass(frozen=True, slots=True)
class Selected:
    info: StreamInfo
    depacketizer: Depacketizer
    payload_type: int | None
    ssrc: int | None


def track_type(media: MediaDescription) -> TrackType | None:
    if media.is_onvif_metadata:
        return TrackType.METADATA
    return _TRACK_TYPES.get(media.kind.lower())


def select_media(description: SessionDescription) -> tuple[list[Selected], list[str]]:
    """The media to SETUP, in SDP order, and why each other media was skipped."""
    chosen: list[Selected] = []
    skipped: list[str] = []
    for index, media in enumerate(description.media):
        kind = track_type(media)
        name = f"{media.kind} {media.encoding or media.payload_type}"
        if kind is None or media.direction == "inactive" or media.clock_rate <= 0:
            skipped.append(f"{name}: not a stream we record")
            continue
        try:
            depacketizer = create_depacketizer(media.encoding, media.clock_rate, media.fmtp,
                                               channels=media.channels,
                                               payload_type=media.payload_type)
        except UnsupportedCodec as exc:
            skipped.append(f"{name}: {exc}")
            continue
        info = StreamInfo(index, kind, media.encoding, media.clock_rate, media.channels,
                          media.fmtp, media.control)
        chosen.append(Selected(info, depacketizer, media.payload_type, media.ssrc))
    return chosen, skipped


class MediaPipeline:
    """Packets of one session's media in, ``MediaSample``s out (a connection's handler)."""

    def __init__(self, session: int, selected: list[Selected], fanout: SamplePublisher,
                 utc: Callable[[], float] = time.time) -> None:
        self.session = session
        self.fanout = fanout
        self._utc = utc
        self.infos = tuple(chosen.info for chosen in selected)
        self.streams: dict[int, RtpStream] = {}
        for chosen in selected:
            types = None if chosen.payload_type is None else frozenset({chosen.payload_type})
            self.streams[chosen.info.media_index] = RtpStream(
                chosen.depacketizer, chosen.info.clock_rate, payload_types=types,
                ssrc=chosen.ssrc)

    def on_playing(self, playing: Playing) -> None:
        """Take the SSRC the SETUP reply named, and anchor wall clocks on PLAY's
        ``Range: clock=`` with ``RTP-Info: rtptime`` (ONVIF Streaming, synchronization)."""
        start = playing.range.start if playing.range and playing.range.unit == "clock" else None
        for setup in playing.streams:
            stream = self.streams.get(setup.media_index)
            if stream is None:
                continue
            if setup.transport.ssrc is not None:
                stream.ssrc = setup.transport.ssrc
            if start is not None and setup.rtp_info and setup.rtp_info.rtptime is not None:
                stream.anchor_from_play(setup.rtp_info.rtptime, start)

    def rtp(self, media_index: int, data: bytes, now: float) -> None:
        stream = self.streams.get(media_index)
        if stream is None:
            return
        utc = self._utc()
        for sample in stream.receive_rtp(data, now, utc):
            self.fanout.publish(MediaSample(self.session, media_index, sample, utc))

    def rtp_batch(self, media_index: int, packets: list[bytes], now: float) -> None:
        """Packets of one media received together: one call through the stream."""
        stream = self.streams.get(media_index)
        if stream is None:
            return
        utc = self._utc()
        for sample in stream.receive_rtp_batch(packets, now, utc):
            self.fanout.publish(MediaSample(self.session, media_index, sample, utc))

    def rtcp(self, media_index: int, data: bytes, now: float) -> None:
        stream = self.streams.get(media_index)
        if stream is not None:
            stream.receive_rtcp(data, now)

    def report(self, media_index: int, now: float) -> bytes | None:
        stream = self.streams.get(media_index)
        return None if stream is None else stream.receiver_report(now)
