"""The playback of one PLAY, asyncio shell: reads the recording's segments through the
segment index (file reads in a worker thread), turns them into frames
(``replay.playback``) and writes them as interleaved RTP packets, paced by presentation
time unless ``Rate-Control: no`` (Streaming §6.5.2).

Between spans the gap is skipped: with rate control neither the pacing nor the RTP
timestamps count it (render time, RFC 2326 App. B); without, RTP timestamps are the
original sampling times. Playback ends after the last recorded frame (T set) or at the
end of a closed range (an RTCP BYE per stream for non-ONVIF clients); a segment still
being written is read as far as it is written, so a replay of an active recording ends
at the data present when it got there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from onvif_recorder.mp4.fragment_reader import StoredSegment, read_segment
from onvif_recorder.replay.playback import (
    Frame,
    RtpStream,
    extension_for,
    interleave,
    segment_frames,
    streams_by_token,
)
from onvif_recorder.replay.playback import clean_start as clean_point
from onvif_recorder.replay.reports import REPORT_INTERVAL, report_compound
from onvif_recorder.replay.reverse import Gop, reverse_gops
from onvif_recorder.rtsp.server import PlayRequest, ServerSession
from onvif_recorder.storage.media_roots import local_path
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow

FAR_FUTURE = 1e11
log = logging.getLogger(__name__)


def segment_path(root: Path, row: SegmentRow) -> Path | None:
    """The local file of ``row`` (finished, or still ``.partial``) on the media root its
    row names (``root``: the default one); None if not local."""
    file = local_path(root, row.root, row.key)
    for path in (file, file.with_name(file.name + ".partial")):
        if path.exists():
            return path
    return None


def read_local(root: Path, row: SegmentRow) -> StoredSegment | None:
    path = segment_path(root, row)
    if path is None:
        return None
    try:
        return read_segment(path.read_bytes())
    except OSError:
        return None


class Playback:
    def __init__(self, index: SegmentIndex, root: Path, session: ServerSession,
                 request: PlayRequest, write: Callable[[bytes], None],
                 drain: Callable[[], object], clock: Callable[[], float] = time.monotonic,
                 datagram: Callable[[bytes, int], None] | None = None) -> None:
        """``write``/``drain``: the RTSP connection (interleaved streams); ``datagram``
        sends to a client UDP port (RTP/UDP streams)."""
        self.index, self.root, self.session, self.request = index, root, session, request
        self.write, self.drain, self.clock = write, drain, clock
        self.datagram = datagram
        self.streams = streams_by_token(session.streams)
        self.pause_at: float | None = None
        self.origin: float | None = None  # UTC of the first frame sent
        self.skipped = 0.0  # seconds of gaps jumped so far
        self.wall_start = 0.0
        # D on each stream's first frame of a PLAY that moves the position (§6.10): every
        # track's next access unit follows the jump, not only the first one sent.
        self.discontinuous: set[int] = (set(range(len(session.streams)))
                                        if request.discontinuity else set())
        self.reported: float | None = None  # clock of the last sender reports
        self.sent_at: dict[int, float] = {}  # stream index -> clock of its last frame

    async def run(self) -> None:
        if self.request.scale < 0:
            await self._run_reverse()
            return
        requested = self.request.start if self.request.start is not None else (
            self.session.position or 0.0)
        end = self.request.end
        rows = [r for r in self.index.overlapping(self.session.recording, requested,
                                                  end or FAR_FUTURE)
                if r.extension != "mp4_end"]
        start = requested
        previous: SegmentRow | None = None
        for position, row in enumerate(rows):
            segment = await asyncio.to_thread(read_local, self.root, row)
            if segment is None:
                continue
            if previous is None:
                start = clean_point(segment, self.streams, requested)
            elif previous.span != row.span:
                self.skipped += max(0.0, row.start_utc - previous.end_utc)
            following = rows[position + 1] if position + 1 < len(rows) else None
            frames = segment_frames(
                segment, self.streams, start, end, frames=self.request.frames,
                section_ends=following is None or following.span != row.span,
                last=following is None)
            if not await self._send(frames):
                return
            previous = row
        if not self.request.onvif:
            self._bye()

    def _emit(self, frame: Frame, offset: float, discontinuity: bool) -> None:
        stream = self.session.streams[frame.stream]
        extension = extension_for(frame, self.request.cseq, discontinuity)
        for packet in stream.packets(frame, offset, extension):
            self._out(stream, packet, rtcp=False)
        now = self.clock()
        self.sent_at[frame.stream] = now
        if self.reported is None or now - self.reported >= REPORT_INTERVAL:
            self.reported = now
            self._report()

    def _report(self, bye: bool = False) -> None:
        """A sender report on each stream that has sent (replay.reports)."""
        now = self.clock()
        for index, stream in enumerate(self.session.streams):
            if index not in self.sent_at and not bye:
                continue
            wall = time.time() if self.request.rate_control else None
            forward = self.request.rate_control and self.request.scale > 0
            since = (now - self.sent_at.get(index, now)) * self.request.scale if forward else 0.0
            self._out(stream, report_compound(stream, wall, since, bye), rtcp=True)

    def _out(self, stream: RtpStream, packet: bytes, *, rtcp: bool) -> None:
        if stream.client_port is None:
            self.write(interleave(stream.channel + rtcp, packet))
        elif self.datagram is not None:
            self.datagram(packet, stream.client_port[rtcp])

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # UDP has no backpressure: let the requests in
        waiter = self.drain()
        if asyncio.iscoroutine(waiter):
            await waiter

    async def _run_reverse(self) -> None:
        """§6.6: GOPs latest first; ``Range`` start is the upper bound, its end (if any)
        the lower one."""
        upper = self.request.start
        if upper is None:
            upper = self.session.position if self.session.position is not None else FAR_FUTURE
        lower = self.request.end
        rows = [r for r in self.index.overlapping(self.session.recording, lower or 0.0,
                                                  upper + 1e-3) if r.extension != "mp4_end"]
        later: SegmentRow | None = None
        for position in range(len(rows) - 1, -1, -1):
            row = rows[position]
            segment = await asyncio.to_thread(read_local, self.root, row)
            if segment is None:
                continue
            if later is not None and later.span != row.span:
                self.skipped += max(0.0, later.start_utc - row.end_utc)
            earlier = rows[position - 1] if position else None
            for gop in reverse_gops(segment, self.streams, upper, lower,
                                    section_starts=earlier is None or earlier.span != row.span,
                                    first_of_all=earlier is None):
                if not await self._send_gop(gop):
                    return
            later = row
        if not self.request.onvif:
            self._bye()

    async def _send_gop(self, gop: Gop) -> bool:
        """One GOP, frames forward; with rate control sent when its latest frame is due,
        RTP timestamps the render times (decreasing within the GOP, §6.6.3)."""
        if self.pause_at is not None and gop.start <= self.pause_at:
            self.session.position = self.pause_at
            return False
        if self.origin is None:
            self.origin, self.wall_start = gop.frames[-1].decode_utc, self.clock()
        speed = abs(self.request.scale)
        renders = [(self.origin - f.utc - self.skipped) / speed for f in gop.frames]
        if self.request.rate_control:
            delay = self.wall_start + min(renders) - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
        for index, (frame, render) in enumerate(zip(gop.frames, renders, strict=True)):
            offset = render if self.request.rate_control else frame.utc - self.origin
            self._emit(frame, offset, index == 0)
        self.session.position = gop.start - 1e-6
        await self._drain()
        return True

    def _bye(self) -> None:
        """RTCP BYE on each stream (RFC 3550 §6.6): the end of the data, which plain RTSP
        clients (ffmpeg) take as end of stream. ONVIF replay clients get the T bit
        instead: a BYE makes GStreamer end the stream ~2 s later, before it has played
        out what Rate-Control no sent ahead."""
        log.debug("end of the replay of %s", self.session.recording)
        self._report(bye=True)

    async def _send(self, frames: list[Frame]) -> bool:
        for frame in frames:
            if self.pause_at is not None and frame.decode_utc >= self.pause_at:
                self.session.position = self.pause_at
                return False
            if self.origin is None:
                self.origin, self.wall_start = frame.decode_utc, self.clock()
            render = frame.decode_utc - self.origin - self.skipped
            if self.request.rate_control:
                delay = self.wall_start + render / self.request.scale - self.clock()
                if delay > 0:
                    await asyncio.sleep(delay)
            offset = (render + frame.utc - frame.decode_utc if self.request.rate_control
                      else frame.utc - self.origin)
            self._emit(frame, offset, frame.stream in self.discontinuous)
            self.discontinuous.discard(frame.stream)
            self.session.position = frame.decode_utc + 1e-6
            await self._drain()
        return True
