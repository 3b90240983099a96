"""An encrypted recording plays in Debian's Chromium with W3C ClearKey EME (RC B.8.1).

``clearkey.html`` (test-only) feeds a CMAF video segment the segmenter wrote to Media
Source Extensions; the ``encrypted`` event carries the segment's W3C ``pssh``, whose KID
the page asks a license for. Playback must really advance, with no MediaError and the
picture size of the recording. Page, segment and key come from a tiny aiohttp server.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.test_encrypted_decode import KEY, write

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE = Path(__file__).with_name("clearkey.html")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def serve(segment: bytes) -> AsyncIterator[str]:
    async def page(_: web.Request) -> web.StreamResponse:
        return web.FileResponse(PAGE)

    async def media_segment(_: web.Request) -> web.StreamResponse:
        return web.Response(body=segment, content_type="video/mp4")

    async def key(_: web.Request) -> web.StreamResponse:
        return web.json_response({b64url(KEY.kid): b64url(KEY.key)})

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/segment.mp4", media_segment)
    app.router.add_get("/key.json", key)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def play(url: str) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url)
            await page.wait_for_function(
                "() => document.getElementById('video').currentTime > 1.0"
                " || window.result.events.some(e => /error|failed/.test(e))", timeout=20_000)
            state: dict[str, Any] = await page.evaluate(
                "() => { const v = document.getElementById('video'); return {"
                " time: v.currentTime, width: v.videoWidth, height: v.videoHeight,"
                " error: v.error && v.error.code, events: window.result.events}; }")
            return state
        finally:
            await browser.close()


@pytest.mark.parametrize("mode", ["CENC", "CBCS"])
async def test_encrypted_cmaf_plays_with_clearkey(tmp_path: Path, mode: str) -> None:
    video, samples = media.h264_track(1)
    policy = EncryptionPolicy([EntryPolicy(mode, StaticKey(KEY))])
    (segment,) = write(tmp_path, "enc", [video], samples, SegmenterConfig(
        format=Brand.CMAF, segment_duration=100.0, encryption=policy))["m4v"]
    mime = f'video/mp4; codecs="{video.codec.codec_string}"'
    query = f"?mime={mime}&scheme={mode.lower()}"
    async for base in serve(segment.read_bytes()):
        state = await asyncio.wait_for(play(base + query), 60)
    assert state["error"] is None, state
    assert "encrypted cenc" in state["events"], state
    assert f"license request for {b64url(KEY.kid)}" in state["events"], state
    assert state["time"] > 1.0, state
    assert (state["width"], state["height"]) == video.codec.size
