"""Playback over HTTP for browsers (hls.js) and downloads: the recorded timeline, an HLS
VOD playlist of fMP4 parts, and MP4 clips, read from the segment index.

The handlers are thin: rows come from ``storage.segment_index``, bytes from the segment
files, and ``replay.hls`` / ``replay.hls_media`` build the answers. The composition root
puts a ``PlaybackSources`` under ``PLAYBACK_SOURCES`` in the app, then calls
``add_playback_routes`` with the check of who may read media. Errors are JSON
``{"error": "..."}``: 404 for an unknown recording or part, 400 for bad times.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from aiohttp import web

from onvif_recorder.replay.hls import HlsPart, iso_utc, media_playlist
from onvif_recorder.replay.hls_media import ClipWriter, NotPlayable, init_bytes, part_bytes
from onvif_recorder.replay.recorded_spans import clip_ranges, merge_ranges
from onvif_recorder.storage.segment_index import SegmentIndex, SegmentRow
from onvif_recorder.web.auth import Authorize, json_error
from onvif_recorder.web.segment_reader import SegmentReader

T = TypeVar("T")
PLAYLIST_WINDOW = 6 * 3600.0
"""Seconds of recording one playlist covers from its ``start`` (a player asks for a new
playlist to go further); bounds the playlist of a month-long recording."""
PLAYLIST_PARTS = 5000
CLIP_LIMIT = 3600.0
"""Longest clip, seconds (a clip is streamed segment by segment, so this bounds the
request's duration, not its memory)."""
FAR_FUTURE = 1e11


@dataclass(frozen=True, slots=True)
class PlaybackSources:
    index: SegmentIndex
    reader: SegmentReader
    recording_exists: Callable[[str], bool]
    index_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def query(self, call: Callable[[SegmentIndex], T]) -> T:
        """``call`` on the index off the event loop (a month of rows takes a while), one
        at a time on its connection."""
        async with self.index_lock:
            return await asyncio.to_thread(call, self.index)


PLAYBACK_SOURCES = web.AppKey("playback_sources", PlaybackSources)


def add_playback_routes(app: web.Application, authorize: Authorize) -> None:
    """``/recordings/{token}/...`` (README "Playback over HTTP"); ``app`` must hold
    ``PLAYBACK_SOURCES``; ``authorize`` raises the HTTP error for a caller who may not
    read media."""
    routes = [("timeline.json", _timeline), ("hls/index.m3u8", _playlist),
              ("hls/init/{number}.mp4", _init), ("hls/part/{number}.m4s", _part),
              ("clip.mp4", _clip)]
    for path, handler in routes:
        app.router.add_get(f"/recordings/{{token}}/{path}", _guarded(handler, authorize))


RouteHandler = Callable[[web.Request, PlaybackSources, str], Awaitable[web.StreamResponse]]


def _guarded(handler: RouteHandler, authorize: Authorize
             ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        await authorize(request)
        sources = request.app[PLAYBACK_SOURCES]
        token = request.match_info["token"]
        if not sources.recording_exists(token):
            raise json_error(web.HTTPNotFound, f"no recording {token!r}")
        return await handler(request, sources, token)

    return handle


def parse_time(request: web.Request, name: str) -> float | None:
    """POSIX seconds of the ISO 8601 query parameter ``name`` (None when absent)."""
    text = request.query.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise json_error(web.HTTPBadRequest,
                         f"{name}={text!r} is not an ISO 8601 time such as "
                         "2026-12-05T00:00:00Z") from None
    if moment.tzinfo is None:
        raise json_error(web.HTTPBadRequest, f"{name}={text!r} needs a time zone (Z for UTC)")
    return moment.timestamp()


def _window(request: web.Request) -> tuple[float | None, float | None]:
    start, end = parse_time(request, "start"), parse_time(request, "end")
    if start is not None and end is not None and end <= start:
        raise json_error(web.HTTPBadRequest, "end must be after start")
    return start, end


async def _timeline(request: web.Request, sources: PlaybackSources,
                    token: str) -> web.Response:
    start, end = _window(request)
    spans = await sources.query(lambda index: index.spans(token))
    merged = merge_ranges((r.start_utc, r.end_utc) for r in spans)
    low = start if start is not None else (merged[0][0] if merged else None)
    high = end if end is not None else (merged[-1][1] if merged else None)
    shown = merged if low is None or high is None else clip_ranges(merged, low, high)
    body = {"recording": token, "start": None if low is None else iso_utc(low),
            "end": None if high is None else iso_utc(high),
            "spans": [{"start": iso_utc(a), "end": iso_utc(b)} for a, b in shown]}
    return web.json_response(body)


async def _playlist(request: web.Request, sources: PlaybackSources,
                    token: str) -> web.Response:
    start, end = _window(request)
    low = start if start is not None else 0.0
    high = end if end is not None else (low + PLAYLIST_WINDOW if start is not None
                                        else FAR_FUTURE)
    rows = await sources.query(lambda i: i.playable(token, low, high, PLAYLIST_PARTS))
    if start is None and rows:
        rows = [r for r in rows if r[1].start_utc < rows[0][1].start_utc + PLAYLIST_WINDOW]
    if not rows:
        raise json_error(web.HTTPNotFound, "nothing playable was recorded from "
                         f"{iso_utc(low)} on" if start is not None else "nothing playable "
                         "was recorded yet")
    # A recording the browser cannot play (encrypted, no H.264/H.265) is refused here,
    # with the reason, rather than by every init request.
    await _build(init_bytes, await _segment_bytes(sources, token, str(rows[0][0])))
    return web.Response(text=media_playlist(hls_parts(rows)),
                        content_type="application/vnd.apple.mpegurl")


def hls_parts(rows: list[tuple[int, SegmentRow]]) -> list[HlsPart]:
    """One part per segment; each span's parts share the init of its first one here."""
    parts: list[HlsPart] = []
    init_of: dict[str, int] = {}
    for row_id, row in rows:
        init = init_of.setdefault(row.span, row_id)
        parts.append(HlsPart(row_id, init, row.start_utc, row.end_utc))
    return parts


async def _init(request: web.Request, sources: PlaybackSources, token: str) -> web.Response:
    data = await _segment_bytes(sources, token, request.match_info["number"])
    body = await _build(init_bytes, data)
    return web.Response(body=body, content_type="video/mp4")


async def _part(request: web.Request, sources: PlaybackSources, token: str) -> web.Response:
    number = request.match_info["number"]
    data = await _segment_bytes(sources, token, number)
    body = await _build(part_bytes, data, int(number))
    return web.Response(body=body, content_type="video/iso.segment")


async def _clip(request: web.Request, sources: PlaybackSources,
                token: str) -> web.StreamResponse:
    start, end = _window(request)
    if start is None or end is None:
        raise json_error(web.HTTPBadRequest, "a clip needs start and end")
    if end - start > CLIP_LIMIT:
        raise json_error(web.HTTPBadRequest,
                         f"a clip is at most {CLIP_LIMIT / 60:.0f} minutes long; ask for "
                         "several")
    rows = await sources.query(lambda i: i.playable(token, start, end, PLAYLIST_PARTS))
    writer = ClipWriter(start, end)
    response: web.StreamResponse | None = None
    for _, row in rows:
        data = await sources.reader.read(row)
        chunk = await _build(writer.push, data) if data is not None else b""
        if chunk and response is None:
            response = await _clip_response(request, token, start)
        if chunk and response is not None:
            await response.write(chunk)
        if writer.done:
            break
    if response is None:
        raise json_error(web.HTTPNotFound, "nothing playable was recorded in that range")
    await response.write_eof()
    return response


async def _clip_response(request: web.Request, token: str, start: float
                         ) -> web.StreamResponse:
    name = re.sub(r"[^A-Za-z0-9_-]", "_", f"{token}_{iso_utc(start)}")
    response = web.StreamResponse(headers={
        "Content-Type": "video/mp4", "Content-Disposition": f'attachment; filename="{name}.mp4"'})
    await response.prepare(request)
    return response


async def _build(build: Callable[..., bytes], *args: object) -> bytes:
    """Run a builder off the event loop; a segment it cannot play is a 404."""
    try:
        return await asyncio.to_thread(build, *args)
    except NotPlayable as error:
        raise json_error(web.HTTPNotFound, str(error)) from None
    except ValueError as error:  # a damaged segment file
        raise json_error(web.HTTPNotFound, f"the segment cannot be read: {error}") from None


async def _segment_bytes(sources: PlaybackSources, token: str, number: str) -> bytes:
    row = (await sources.query(lambda i: i.by_id(token, int(number)))
           if number.isdigit() else None)
    if row is None or not row.complete:
        raise json_error(web.HTTPNotFound, f"recording {token!r} has no part {number!r}")
    data = await sources.reader.read(row)
    if data is None:
        raise json_error(web.HTTPNotFound, f"segment {row.key!r} cannot be read now "
                         "(deleted, or its object store did not answer)")
    return data
