"""Which recorded samples a PLAY sends, in which order, with which ONVIF bits, and the
RTP packets they become (Streaming §6.3, §6.5), sans-IO: segments come in as bytes-read
``StoredSegment``s, packets go out as bytes.

Forward play only. The start is the clean point the spec names (§6.5.4): the last sync
sample of the first video track at or before the requested time, or the first one of
the next section when the time falls into a gap. Tracks are interleaved in recording
order (decode time). E marks each track's last frame before a gap (a new span) and T its
last frame when no more data exists (§6.3.1); D the first frame of an ``Immediate`` PLAY.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from onvif_recorder.mp4.fragment_reader import StoredSample, StoredSegment
from onvif_recorder.replay.media import ReplayMedia
from onvif_recorder.rtp.onvif_extension import ReplayExtension
from onvif_recorder.rtp.packet import RtpPacket

MTU = 1400  # RTP payload bytes: fits an Ethernet frame over TCP or UDP


@dataclass(frozen=True, slots=True)
class Frame:
    stream: int
    decode_utc: float
    utc: float  # capture (presentation) time: the extension's NTP timestamp
    sync: bool
    data: bytes
    end_of_section: bool = False
    terminal: bool = False


@dataclass(frozen=True, slots=True)
class FrameFilter:
    """``Frames`` (§6.5.3): ``all``, ``intra`` with an optional minimum spacing (ms of the
    recording timeline), ``predicted`` (sent as ``all``: the recorder's streams carry no
    B-frames it could tell apart)."""

    intra: bool = False
    interval: float = 0.0


def clean_start(segment: StoredSegment, streams: Mapping[str, int], requested: float) -> float:
    """§6.5.4: the clean point at or before ``requested``, else the segment's first."""
    video = [utc for utc, sample, _ in _wanted(segment, streams)
             if sample.sync and segment.tracks[sample.track_id].handler == "vide"]
    if not video:
        return requested
    before = [utc for utc in video if utc <= requested]
    return max(before) if before else min(video)


def _wanted(segment: StoredSegment, streams: Mapping[str, int]
            ) -> list[tuple[float, StoredSample, int]]:
    found = []
    for sample in segment.samples:
        token = segment.info.token_of(sample.track_id) if segment.info else str(sample.track_id)
        if token in streams:
            found.append((segment.utc(sample.track_id, sample.decode_time), sample,
                          streams[token]))
    return found


def segment_frames(segment: StoredSegment, streams: Mapping[str, int], start: float,
                   end: float | None, *, section_ends: bool, last: bool,
                   frames: FrameFilter = FrameFilter()) -> list[Frame]:
    """The frames of ``segment`` in [start, end), in recording order; E (and T when
    ``last``) on each stream's final frame when ``section_ends``."""
    chosen: list[Frame] = []
    last_intra = -1e18
    for decode_utc, sample, stream in sorted(_wanted(segment, streams), key=lambda s: s[0]):
        if decode_utc < start or (end is not None and decode_utc >= end):
            continue
        video = segment.tracks[sample.track_id].handler == "vide"
        if frames.intra and video and (not sample.sync
                                       or decode_utc - last_intra < frames.interval):
            continue
        if frames.intra and video:
            last_intra = decode_utc
        utc = segment.utc(sample.track_id, sample.presentation_time)
        chosen.append(Frame(stream, decode_utc, utc, sample.sync, sample.data))
    if section_ends and (end is None or not chosen or chosen[-1].decode_utc < end):
        chosen = _mark_ends(chosen, last)
    return chosen


def _mark_ends(frames: list[Frame], terminal: bool) -> list[Frame]:
    seen: set[int] = set()
    marked = list(frames)
    for index in range(len(marked) - 1, -1, -1):
        frame = marked[index]
        if frame.stream not in seen:
            seen.add(frame.stream)
            marked[index] = Frame(frame.stream, frame.decode_utc, frame.utc, frame.sync,
                                  frame.data, True, terminal)
    return marked


@dataclass(slots=True)
class RtpStream:
    """The sending state of one SETUP stream: SSRC, next sequence number, the RTP time of
    the current PLAY's origin (RTP-Info ``rtptime``)."""

    media: ReplayMedia
    channel: int
    """Interleaved RTP channel (RTCP on the next); -1 for RTP/UDP."""
    client_port: tuple[int, int] | None = None
    """RTP/UDP: the client's RTP and RTCP ports."""
    ssrc: int = field(default_factory=lambda: random.getrandbits(32))
    sequence: int = field(default_factory=lambda: random.getrandbits(16))
    rtptime: int = field(default_factory=lambda: random.getrandbits(32))
    last_timestamp: int | None = None
    opened: bool = False
    """Whether this PLAY's first packet was sent (reset by ``next_origin``)."""
    packets_sent: int = 0
    octets_sent: int = 0
    """Payload octets sent (RFC 3550 §6.4.1 sender's octet count)."""

    def next_origin(self) -> int:
        """RTP time for a new PLAY: just after the last one sent (timestamps move on)."""
        if self.last_timestamp is not None:
            self.rtptime = (self.last_timestamp + self.media.clock_rate) & 0xFFFFFFFF
        self.opened = False
        return self.rtptime

    def packets(self, frame: Frame, offset: float, extension: ReplayExtension) -> list[bytes]:
        """The RTP packets of ``frame``, ``offset`` seconds after the PLAY origin; the
        ONVIF extension rides on every packet (§6.3 requires the first of each AU).

        Two additions for codecs that have the NAL units for them, so that GStreamer's
        ONVIF client (``rtspsrc onvif-mode`` with ``rtponvifparse``, 1.22) gets every
        frame and other clients see nothing unusual:
        - a stream's first frame of a PLAY is preceded by an access unit delimiter one
          RTP tick earlier. GStreamer's jitter buffer cannot place the first packet's
          arrival time in the clock-based segment and drops it together with every
          packet of the same RTP timestamp: without it, the first GOP was lost.
          Other clients' parsers join the delimiter to the next access unit.
        - the terminal frame ends with an end-of-stream NAL unit in a packet of its own
          (same timestamp), and only that packet carries T. ``rtponvifparse`` turns the
          packet with T into end-of-stream and drops it: with T on the frame's own
          packets, the last frame was lost."""
        packets = []
        if self.media.lead_in and not self.opened:
            packets = self._unit(self.media.lead_in, offset, -1,
                                 replace(extension, terminal=False))
        self.opened = True
        if extension.terminal and self.media.end_of_stream:
            packets += self._frame(frame.data, offset, replace(extension, terminal=False))
            return packets + self._unit(self.media.end_of_stream, offset, 0, extension)
        return packets + self._frame(frame.data, offset, extension)

    def _unit(self, nal_unit: bytes, offset: float, ticks: int, extension: ReplayExtension
              ) -> list[bytes]:
        """One NAL unit in one packet, ``ticks`` RTP ticks from the frame at ``offset``."""
        timestamp = self.rtptime + round(offset * self.media.clock_rate) + ticks
        packet = RtpPacket(self.media.payload_type, self.sequence, timestamp & 0xFFFFFFFF,
                           self.ssrc, nal_unit, marker=True, extension=extension.header())
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.packets_sent += 1
        self.octets_sent += len(nal_unit)
        return [bytes(packet)]

    def _frame(self, data: bytes, offset: float, extension: ReplayExtension) -> list[bytes]:
        timestamp = (self.rtptime + round(offset * self.media.clock_rate)) & 0xFFFFFFFF
        self.last_timestamp = timestamp
        payloads = self.media.packetize(data, MTU)
        packets = []
        for index, payload in enumerate(payloads):
            packet = RtpPacket(self.media.payload_type, self.sequence,
                               (timestamp + payload.ticks) & 0xFFFFFFFF, self.ssrc,
                               payload.data, marker=index == len(payloads) - 1,
                               extension=extension.header())
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.packets_sent += 1
            self.octets_sent += len(payload.data)
            packets.append(bytes(packet))
        return packets


def extension_for(frame: Frame, cseq: int, discontinuity: bool) -> ReplayExtension:
    return ReplayExtension(frame.utc, clean_point=frame.sync,
                           end_of_section=frame.end_of_section, discontinuity=discontinuity,
                           terminal=frame.terminal, cseq=cseq)


def interleave(channel: int, packet: bytes) -> bytes:
    """RFC 2326 §10.12: ``$``, channel, 16-bit length, packet."""
    return b"$" + bytes([channel]) + len(packet).to_bytes(2, "big") + packet


def streams_by_token(streams: Sequence[RtpStream]) -> dict[str, int]:
    return {s.media.track_token: index for index, s in enumerate(streams)}
