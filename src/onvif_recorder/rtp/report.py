"""Receiver-side RTCP statistics and receiver reports (RFC 3550 §6.4.1, §A.3, §A.8).

``ReceptionReport`` is fed every accepted packet (for interarrival jitter) and every
sender report (for LSR/DLSR); ``report_block`` turns those and the sequencer's counters
into one report block, and ``build_receiver_report`` wraps blocks into the compound
RR + SDES CNAME packet that RFC 3550 §6.1 requires.
"""

from __future__ import annotations

from onvif_recorder.rtp.rtcp import (
    SDES_CNAME,
    ReceiverReport,
    ReportBlock,
    SdesChunk,
    SourceDescription,
    serialize_compound,
)
from onvif_recorder.rtp.sequencer import SequenceStats
from onvif_recorder.rtp.timing import ntp_short

_MAX_CUMULATIVE = (1 << 23) - 1
_MIN_CUMULATIVE = -(1 << 23)


class ReceptionReport:
    """Jitter and SR bookkeeping for one source; times are seconds on one monotonic clock."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.jitter = 0.0
        """Interarrival jitter in timestamp units (RFC 3550 §A.8)."""
        self._last_transit: float | None = None
        self._last_sr: int = 0
        self._last_sr_arrival: float | None = None
        self._expected_prior = 0
        self._received_prior = 0

    def on_packet(self, rtp_timestamp: int, arrival: float) -> None:
        """Update jitter: J += (|D(i-1,i)| - J) / 16 (RFC 3550 §6.4.1)."""
        transit = arrival * self.clock_rate - rtp_timestamp
        if self._last_transit is not None:
            self.jitter += (abs(transit - self._last_transit) - self.jitter) / 16
        self._last_transit = transit

    def on_packets(self, rtp_timestamp: int, arrival: float, count: int) -> None:
        """``on_packet`` ``count`` times with one timestamp and arrival: the same float
        operations in the same order, so the same jitter to the last bit."""
        transit = arrival * self.clock_rate - rtp_timestamp
        jitter, last = self.jitter, self._last_transit
        for _ in range(count):
            if last is not None:
                jitter += (abs(transit - last) - jitter) / 16
            last = transit
        self.jitter, self._last_transit = jitter, last

    def on_sender_report(self, ntp: int, arrival: float) -> None:
        self._last_sr = ntp_short(ntp)
        self._last_sr_arrival = arrival

    def report_block(self, ssrc: int, stats: SequenceStats, now: float) -> ReportBlock:
        """One report block for ``ssrc``; advances the "since last report" interval."""
        expected, received = stats.expected, stats.received
        interval_expected = expected - self._expected_prior
        interval_lost = interval_expected - (received - self._received_prior)
        self._expected_prior, self._received_prior = expected, received
        fraction = 0
        if interval_expected > 0 and interval_lost > 0:
            fraction = min(255, (interval_lost << 8) // interval_expected)
        cumulative = max(_MIN_CUMULATIVE, min(_MAX_CUMULATIVE, expected - received))
        dlsr = 0
        if self._last_sr_arrival is not None:
            dlsr = min(0xFFFFFFFF, max(0, int((now - self._last_sr_arrival) * 65536)))
        return ReportBlock(ssrc, fraction, cumulative, (stats.highest or 0) & 0xFFFFFFFF,
                           min(0xFFFFFFFF, int(self.jitter)), self._last_sr, dlsr)


def build_receiver_report(own_ssrc: int, blocks: list[ReportBlock], cname: bytes) -> bytes:
    """Compound RR + SDES(CNAME) packet (RFC 3550 §6.1: every compound carries a CNAME)."""
    report = ReceiverReport(own_ssrc, tuple(blocks[:31]))
    sdes = SourceDescription((SdesChunk(own_ssrc, ((SDES_CNAME, cname[:255]),)),))
    return serialize_compound([report, sdes])
