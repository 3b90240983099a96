"""One received RTP stream: packets in, timed samples out, receiver reports back.

This is the glue the asyncio shell calls for each media of a session; it is still
pure. For each RTP packet: parse, check the SSRC, reorder by sequence number, feed the
depacketizer, then give each access unit an unwrapped presentation/decode time and a
UTC wall-clock time (``timing.WallClock``). RTCP sender reports re-anchor the clock;
``receiver_report`` builds the RR the sender expects (RFC 3550 §6.4.2), which ONVIF
servers also take as a keep-alive (ONVIF Streaming, "Timeout and keep-alive handling").

Nothing a peer sends raises here: malformed packets and depacketizer errors are counted
in ``stats`` (the last message kept in ``stats.last_error``) and dropped.

Decode time equals presentation time for streams without B-frames, what cameras send
almost always; with B-frames (pictures presented before ones decoded earlier) it comes
from ``decode_time.DecodeTimes`` and the reorder depth the parameter sets declare.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from onvif_recorder.rtp import kernels
from onvif_recorder.rtp.decode_time import DecodeTimes
from onvif_recorder.rtp.depacketize.aac import AacDepacketizer
from onvif_recorder.rtp.depacketize.base import AccessUnit, CodecConfig, Depacketizer
from onvif_recorder.rtp.depacketize.nal import NalDepacketizer
from onvif_recorder.rtp.errors import DepacketizeError, MalformedPacket
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.report import ReceptionReport, build_receiver_report
from onvif_recorder.rtp.rtcp import SenderReport, parse_compound
from onvif_recorder.rtp.sequencer import DEFAULT_WINDOW, Sequencer, SequenceStats
from onvif_recorder.rtp.timing import ClockSource, TimestampUnwrapper, WallClock

SSRC_SWITCH_AFTER = 1.0  # seconds of silence from the locked SSRC before another is taken


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedSample:
    """A timed access unit of one received stream, ready for the recording engine."""

    units: tuple[bytes, ...]
    pts: int
    """Presentation time in ``clock_rate`` ticks, unwrapped (grows past 2^32)."""
    dts: int
    clock_rate: int
    sync: bool
    utc: float
    """Wall-clock presentation time, POSIX seconds."""
    clock_source: ClockSource
    config: CodecConfig | None
    config_changed: bool

    @property
    def size(self) -> int:
        return sum(map(len, self.units))  # twice per sample in every sample queue


@dataclass(slots=True)
class StreamStats:
    packets: int = 0
    octets: int = 0
    malformed: int = 0
    dropped: int = 0
    """Packets the depacketizer refused (malformed payload, over a size cap)."""
    foreign_ssrc: int = 0
    wrong_payload_type: int = 0
    rtcp_packets: int = 0
    rtcp_malformed: int = 0
    samples: int = 0
    last_error: str | None = None
    sequence: SequenceStats = field(default_factory=SequenceStats)


class RtpStream:
    """Receive side of one RTP stream; ``now`` is monotonic seconds, ``utc`` POSIX seconds."""

    def __init__(self, depacketizer: Depacketizer, clock_rate: int, *,
                 payload_types: frozenset[int] | None = None, ssrc: int | None = None,
                 reorder_window: int = DEFAULT_WINDOW, own_ssrc: int = 0,
                 cname: bytes = b"onvif-recorder") -> None:
        self.depacketizer = depacketizer
        self.clock_rate = clock_rate
        self.payload_types = payload_types
        self.ssrc = ssrc
        self.own_ssrc = own_ssrc
        self.cname = cname
        self.clock = WallClock(clock_rate)
        self._sequencer: Sequencer[RtpPacket] = Sequencer(reorder_window)
        self.stats = StreamStats(sequence=self._sequencer.stats)
        self._report = ReceptionReport(clock_rate)
        self._unwrap = TimestampUnwrapper()
        self._arrival_unwrap = TimestampUnwrapper()
        self._decode_times = DecodeTimes(clock_rate)
        self._last_seen = 0.0
        self._nal = depacketizer if isinstance(depacketizer, NalDepacketizer) else None
        self._aac = depacketizer if isinstance(depacketizer, AacDepacketizer) else None

    def receive_rtp(self, data: bytes, now: float, utc: float) -> list[ReceivedSample]:
        """Handle one RTP datagram or interleaved frame."""
        self.stats.packets += 1
        self.stats.octets += len(data)
        try:
            packet = RtpPacket.parse(data)
        except MalformedPacket as exc:
            return self._count_malformed(exc)
        if not self._accept(packet, now):
            return []
        self._report.on_packet(self._arrival_unwrap.unwrap(packet.timestamp), now)
        samples: list[ReceivedSample] = []
        for released in self._sequencer.push(packet.sequence_number, packet):
            samples += self._depacketize(released.item, utc)
        return samples

    def receive_rtp_batch(self, packets: list[bytes], now: float, utc: float
                          ) -> list[ReceivedSample]:
        """Handle the packets of one read, in order: what ``receive_rtp`` on each gives.

        A run of fragments of one NAL unit - continuing the one being reassembled or
        opening one with its start fragment, up to and with its end fragment
        (``kernels.fragment_run``: most packets of a picture) - is taken in one step, its
        counters advanced as ``receive_rtp`` would have; every other packet goes through
        ``receive_rtp``.
        """
        samples: list[ReceivedSample] = []
        if self._aac is not None:
            for packet in packets:
                if not self._single_aac_unit(packet, now, utc, samples):
                    samples += self.receive_rtp(packet, now, utc)
            return samples
        index, count = 0, len(packets)
        while index < count:
            taken = (self._fragment_run(packets, index, now, utc, samples)
                     if self._nal is not None else 0)
            if taken:
                index += taken
                continue
            samples += self.receive_rtp(packets[index], now, utc)
            index += 1
        return samples

    def _single_aac_unit(self, data: bytes, now: float, utc: float,
                         samples: list[ReceivedSample]) -> bool:
        """``receive_rtp`` of an in-order AAC packet holding one whole AU (most are), with
        no ``RtpPacket``, no sequencer search and no AU-header loop; False, with nothing
        changed, for any other packet."""
        assert self._aac is not None
        try:
            payload_type, seq, timestamp, ssrc, payload, *_ = kernels.active.parse_rtp(data)
        except MalformedPacket:
            return False
        types = self.payload_types
        if (ssrc != self.ssrc or seq != self._sequencer.next_in_order()
                or (types is not None and payload_type not in types)):
            return False
        unit = self._aac.single_unit(timestamp, payload)
        if unit is None:
            return False
        self.stats.packets += 1
        self.stats.octets += len(data)
        self._last_seen = now
        self._report.on_packet(self._arrival_unwrap.unwrap(timestamp), now)
        self._sequencer.advance(1)
        samples.append(self._time(unit, utc))
        return True

    def _fragment_run(self, packets: list[bytes], index: int, now: float, utc: float,
                      samples: list[ReceivedSample]) -> int:
        """Take a run of fragments from ``packets[index]`` that continues the open one or
        opens one (``kernels.fragment_run``); how many packets it took."""
        assert self._nal is not None
        seq, types = self._sequencer.next_in_order(), self.payload_types
        if seq is None or self.ssrc is None or (types is not None and len(types) != 1):
            return 0
        payload_type = -1 if types is None else next(iter(types))
        fragment = self._nal.open_fragment()
        if fragment is not None and fragment[2] == seq:
            codec, timestamp, _, room = fragment
            run = kernels.active.fragment_run(packets, index, codec, payload_type, self.ssrc,
                                              timestamp, seq, room)
            if run[0]:
                self._take_run(run, timestamp, now, utc, samples)
                return run[0]
        start_room = self._nal.start_room(len(packets[index]))
        if start_room is None:
            return 0
        run = kernels.active.fragment_run(packets, index, self._nal.FRAGMENT_CODEC,
                                          payload_type, self.ssrc, -1, seq, start_room)
        return self._open_run(packets[index], seq, run, now, utc, samples) if run[0] else 0

    def _open_run(self, first: bytes, seq: int, run: tuple[int, int, bytes, int], now: float,
                  utc: float, samples: list[ReceivedSample]) -> int:
        """``receive_rtp`` of the start fragment ``first``, then of the run after it; how
        many packets that took."""
        assert self._nal is not None
        taken, octets, data, end = run
        timestamp = int.from_bytes(first[4:8], "big")
        self.stats.packets += 1
        self.stats.octets += len(first)
        self._last_seen = now
        self._report.on_packet(self._arrival_unwrap.unwrap(timestamp), now)
        self._sequencer.advance(1)
        try:
            units = self._nal.open_fragment_run(timestamp, first[12:], seq)
        except DepacketizeError as exc:
            self._count_dropped(exc)
            return 1  # the start fragment was refused: the rest goes packet by packet
        samples += [self._time(unit, utc) for unit in units]
        if taken > 1:
            self._take_run((taken - 1, octets - len(first), data, end), timestamp, now, utc,
                           samples)
        return taken

    def _take_run(self, run: tuple[int, int, bytes, int], timestamp: int, now: float,
                  utc: float, samples: list[ReceivedSample]) -> None:
        """``receive_rtp`` of packets that continue the open fragment (``fragment_run``)."""
        assert self._nal is not None
        taken, octets, data, end = run
        self.stats.packets += taken
        self.stats.octets += octets
        self._last_seen = now
        self._report.on_packets(self._arrival_unwrap.unwrap(timestamp), now, taken)
        self._sequencer.advance(taken)
        if end == kernels.END_NONE:
            self._nal.take_fragments(data, taken)
            return
        try:
            units = self._nal.end_fragment(data, taken, end == kernels.END_MARKER)
        except DepacketizeError as exc:
            self._count_dropped(exc)
        else:
            samples += [self._time(unit, utc) for unit in units]

    def receive_rtcp(self, data: bytes, now: float) -> None:
        """Handle one RTCP compound packet from the sender."""
        self.stats.rtcp_packets += 1
        try:
            packets = parse_compound(data)
        except MalformedPacket as exc:
            self.stats.rtcp_malformed += 1
            self.stats.last_error = str(exc)
            return
        for packet in packets:
            if isinstance(packet, SenderReport) and packet.ssrc == self.ssrc:
                self._report.on_sender_report(packet.ntp_timestamp, now)
                rtp = self._unwrap.unwrap(packet.rtp_timestamp)
                self.clock.on_sender_report(rtp, packet.ntp_timestamp)

    def anchor_from_play(self, rtptime: int, utc: float) -> None:
        """PLAY's ``RTP-Info: rtptime`` with ``Range: clock=`` (see ``timing``)."""
        self.clock.anchor_from_play(self._unwrap.unwrap(rtptime), utc)

    def receiver_report(self, now: float) -> bytes:
        """RR + SDES CNAME; the report block is left out until a packet was received."""
        blocks = []
        if self.ssrc is not None and self.stats.sequence.highest is not None:
            blocks.append(self._report.report_block(self.ssrc, self.stats.sequence, now))
        return build_receiver_report(self.own_ssrc, blocks, self.cname)

    def flush(self, utc: float) -> list[ReceivedSample]:
        """Release packets still held for reordering (at teardown)."""
        samples: list[ReceivedSample] = []
        for released in self._sequencer.flush():
            samples += self._depacketize(released.item, utc)
        return samples

    def _accept(self, packet: RtpPacket, now: float) -> bool:
        if self.payload_types is not None and packet.payload_type not in self.payload_types:
            self.stats.wrong_payload_type += 1
            return False
        if self.ssrc is None or (packet.ssrc != self.ssrc
                                 and now - self._last_seen > SSRC_SWITCH_AFTER):
            self.ssrc = packet.ssrc  # first packet, or the sender restarted with a new SSRC
        elif packet.ssrc != self.ssrc:
            self.stats.foreign_ssrc += 1
            return False
        self._last_seen = now
        return True

    def _depacketize(self, packet: RtpPacket, utc: float) -> list[ReceivedSample]:
        try:
            units = self.depacketizer.push(packet)
        except DepacketizeError as exc:
            self._count_dropped(exc)
            return []
        return [self._time(unit, utc) for unit in units]

    def _count_dropped(self, exc: DepacketizeError) -> None:
        self.stats.dropped += 1
        self.stats.last_error = str(exc)

    def _time(self, unit: AccessUnit, arrival_utc: float) -> ReceivedSample:
        pts = self._unwrap.unwrap(unit.timestamp)
        dts = self._decode_times.decode_time(pts, unit.reorder_depth)
        wall, source = self.clock.utc(pts, arrival_utc)
        self.stats.samples += 1
        return ReceivedSample(units=unit.units, pts=pts, dts=dts, clock_rate=self.clock_rate,
                              sync=unit.sync, utc=wall, clock_source=source,
                              config=unit.config, config_changed=unit.config_changed)

    def _count_malformed(self, exc: MalformedPacket) -> list[ReceivedSample]:
        self.stats.malformed += 1
        self.stats.last_error = str(exc)
        return []
