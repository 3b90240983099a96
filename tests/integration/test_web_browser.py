"""The web page in a real browser: Debian's Chromium driven by Playwright, against a
recorder process recording the test camera.

One browser and one recorder for the module. Screenshots of both pages are kept in the
module's temporary directory (and in ``$WEB_SCREENSHOTS`` when set: how docs/ is made).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import av
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recorder_process import RecorderProcess, free_port
from tests.integration.recording_support import configure_receiver, wait_until

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CAMERA_WIDTH, CAMERA_HEIGHT = 640, 360  # tests/camera/fakecam.py, /h264
VIEWER, VIEWER_PASSWORD = "viewer", "Viewer-Pass-1"


@dataclass
class Site:
    recorder: RecorderProcess
    camera: Camera
    browser: Browser
    artifacts: Path
    console_errors: list[str] = field(default_factory=list)
    """Script errors and console errors (a refused resource, a CSP violation) of every page."""

    def soap(self, service: str) -> Any:
        return client(self.recorder, service)[0]  # type: ignore[arg-type]

    def screenshot(self, page: Page, name: str) -> Path:
        path = self.artifacts / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if os.environ.get("WEB_SCREENSHOTS"):
            shutil.copy(path, Path(os.environ["WEB_SCREENSHOTS"]) / path.name)
        return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("web")
    with Camera() as camera, RecorderProcess(
            base / "data", separate_stderr=True,
            extra_args=("--segment-duration", "1", "--rtsp-listen",
                        f"127.0.0.1:{free_port()}")) as recorder, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        site = Site(recorder, camera, browser, base)
        site.soap("device").CreateUsers(User=[
            {"Username": VIEWER, "Password": VIEWER_PASSWORD, "UserLevel": "User"}])
        try:
            yield site
        finally:
            browser.close()


def logged_in(site: Site, username: str, password: str) -> tuple[BrowserContext, Page]:
    context = site.browser.new_context(viewport={"width": 1400, "height": 900},
                                       accept_downloads=True)
    page = context.new_page()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            site.console_errors.append(f"{page.url}: {message.text}")

    def script_error(error: PlaywrightError) -> None:
        site.console_errors.append(f"{page.url}: {error}")

    page.on("console", console)
    page.on("pageerror", script_error)
    page.goto(f"{site.recorder.url}/")
    assert page.url.startswith(f"{site.recorder.url}/login")  # no session: the login form
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_url(f"{site.recorder.url}/")
    return context, page


@pytest.fixture(scope="module")
def admin(site: Site) -> Iterator[Page]:
    context, page = logged_in(site, site.recorder.admin_user, site.recorder.admin_password)
    yield page
    context.close()


@pytest.fixture(scope="module")
def recording(site: Site) -> str:
    """A recording of the test camera, made and started over SOAP: two spans of about
    4 s of 1 s segments, 2 s apart (the job was Idle in between)."""
    trc, trv = site.soap("recording"), site.soap("receiver")
    token = trc.CreateRecording(RecordingConfiguration=recording_configuration())
    job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(token))
    configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                       site.camera.url("/h264"))
    for mode, seconds in (("Active", 4.5), ("Idle", 2.0), ("Active", 4.5)):
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode=mode)
        assert wait_until(partial(job_in, trc, job.JobToken, mode), 10.0), \
            site.recorder.log_tail()
        time.sleep(seconds)
    return str(token)


def refused_requests_logged(site: Site) -> list[str]:
    """Take the console's lines about HTTP 403 answers (which the test provoked)."""
    refused = [line for line in site.console_errors if "status of 403" in line]
    site.console_errors[:] = [line for line in site.console_errors if line not in refused]
    return refused


def job_in(trc: Any, job: str, state: str) -> bool:
    return str(trc.GetRecordingJobState(JobToken=job).State) == state


def row(page: Page, token: str) -> Any:
    return page.locator(f'#recordings tr[data-token="{token}"]')


def test_a_camera_added_on_the_page_turns_active_within_2_s_of_soap(
        site: Site, admin: Page) -> None:
    admin.goto(f"{site.recorder.url}/")
    admin.fill('#add-camera input[name="uri"]', site.camera.url("/h264"))
    admin.fill('#add-camera input[name="name"]', "Test camera")
    admin.uncheck('#add-camera input[name="start"]')
    admin.click('#add-camera button[type="submit"]')
    admin.wait_for_selector("#add-camera-status:has-text('added')", timeout=15_000)
    token = admin.inner_text("#add-camera-status").removeprefix("added ").strip()
    line = row(admin, token)
    line.wait_for(timeout=2_000)
    assert "Test camera" in line.inner_text()
    assert line.locator('.job-state[data-state="Idle"]').count() == 1
    trc = site.soap("recording")
    [job] = [j.JobToken for j in trc.GetRecordingJobs()
             if j.JobConfiguration.RecordingToken == token]
    called = time.monotonic()
    trc.SetRecordingJobMode(JobToken=job, Mode="Active")
    line.locator('.job-state[data-state="Active"]').wait_for(timeout=5_000)
    elapsed = time.monotonic() - called
    print(f"Active on the page {elapsed:.2f} s after the SOAP call")
    assert elapsed <= 2.0
    assert line.locator('.receiver-state:text("Connected")').count() == 1
    time.sleep(3)  # bytes and time stored appear (the stream refreshes them every 2 s)
    site.screenshot(admin, "recordings-page")
    admin.get_by_role("button", name=f"Stop recording {token}").click()
    line.locator('.job-state[data-state="Idle"]').wait_for(timeout=5_000)
    assert str(trc.GetRecordingJobState(JobToken=job).State) == "Idle"
    assert site.console_errors == []


def test_a_forged_post_without_the_csrf_token_is_refused(site: Site, admin: Page,
                                                         recording: str) -> None:
    admin.goto(f"{site.recorder.url}/")
    status = admin.evaluate(
        "(token) => fetch(`/api/recordings/${token}/delete`, {method: 'POST'})"
        ".then((answer) => answer.status)", recording)
    assert status == 403
    assert recording in [str(r.RecordingToken) for r in site.soap("recording").GetRecordings()]
    assert len(refused_requests_logged(site)) == 1


def test_a_user_is_offered_no_change(site: Site, recording: str) -> None:
    context, page = logged_in(site, VIEWER, VIEWER_PASSWORD)
    try:
        row(page, recording).wait_for(timeout=5_000)
        assert page.get_by_role("button", name="Delete").count() == 0
        assert page.get_by_role("button", name="Stop").count() == 0
        assert page.locator("#add-camera").count() == 0
        status = page.evaluate(
            "(token) => fetch(`/api/recordings/${token}/delete`, {method: 'POST', headers:"
            " {'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}})"
            ".then((answer) => answer.status)", recording)
        assert status == 403
        assert len(refused_requests_logged(site)) == 1
    finally:
        context.close()


def test_the_admin_deletes_a_recording_from_the_page(site: Site, admin: Page) -> None:
    trc = site.soap("recording")
    token = str(trc.CreateRecording(RecordingConfiguration=recording_configuration()))
    admin.goto(f"{site.recorder.url}/")
    row(admin, token).wait_for(timeout=5_000)
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name=f"Delete recording {token}").click()
    row(admin, token).wait_for(state="detached", timeout=5_000)
    assert token not in [str(r.RecordingToken) for r in trc.GetRecordings()]


def video_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        "() => { const v = document.getElementById('player'); return {time: v.currentTime,"
        " width: v.videoWidth, height: v.videoHeight, error: v.error && v.error.code,"
        " paused: v.paused, message: document.getElementById('message').textContent}; }")
    return state


def click_timeline_at(page: Page, at_ms: float) -> None:
    timeline = page.locator("#timeline")
    start = float(timeline.get_attribute("data-start") or 0)
    end = float(timeline.get_attribute("data-end") or 0)
    box = timeline.bounding_box()
    assert box is not None and start < at_ms < end
    timeline.click(position={"x": (at_ms - start) / (end - start) * box["width"],
                             "y": box["height"] / 2})


def spans_of(page: Page) -> list[tuple[float, float]]:
    spans = page.locator(".timeline .span")
    return [(float(spans.nth(n).get_attribute("data-start") or 0),
             float(spans.nth(n).get_attribute("data-end") or 0)) for n in range(spans.count())]


def playing_date(page: Page) -> float:
    return float(page.evaluate("() => hls.playingDate ? hls.playingDate.getTime() : 0"))


def test_the_recording_page_plays_seeks_and_downloads(site: Site, admin: Page,
                                                      recording: str) -> None:
    admin.goto(f"{site.recorder.url}/")
    row(admin, recording).locator(f'a:text("{recording}")').click()
    admin.wait_for_url(f"{site.recorder.url}/recordings/{recording}")
    admin.locator(".timeline .span").first.wait_for(timeout=5_000)
    spans = spans_of(admin)
    assert len(spans) == 2 and spans[0][1] + 1000 < spans[1][0], spans  # the gap shows
    click_timeline_at(admin, spans[0][0] + 500)
    assert wait_until(lambda: video_state(admin)["time"] > 0.5, 10.0), video_state(admin)
    before = video_state(admin)
    time.sleep(1.0)
    after = video_state(admin)
    assert after["time"] > before["time"], (before, after)  # it plays
    assert (after["width"], after["height"]) == (CAMERA_WIDTH, CAMERA_HEIGHT)
    assert after["error"] is None and after["message"] == ""
    assert spans[0][0] < playing_date(admin) < spans[0][1]
    # Across segment boundaries (1 s segments) within the first span, then across the gap
    # into the second span: the player's time for a moment comes from the playlist.
    for at in (spans[0][0] + 3000, spans[1][0] + 1000):
        seek_to(admin, at)
        assert at - 100 <= playing_date(admin) <= at + 3000, (at, playing_date(admin))
    assert spans[1][0] <= playing_date(admin) <= spans[1][1]
    site.screenshot(admin, "recording-page")
    clip = download_clip(site, admin, spans[0][0] + 500, spans[0][0] + 3500)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    assert (frames[0].width, frames[0].height) == (CAMERA_WIDTH, CAMERA_HEIGHT)
    assert 2.0 <= len(frames) / 25 <= 4.5  # about the 3 s asked for, at 25 frames/s
    assert site.console_errors == []  # no script error, no refused resource, no CSP report


def seek_to(page: Page, at_ms: float) -> None:
    """Seek the player to the recorded moment ``at_ms`` (by the playlist's
    EXT-X-PROGRAM-DATE-TIME), then wait until it plays on past it without an error."""
    target = page.evaluate(
        "(ms) => { const level = hls.levels[Math.max(hls.currentLevel, 0)];"
        " const part = level.details.fragments.find((f) => f.programDateTime <= ms"
        " && ms < f.programDateTime + f.duration * 1000); if (!part) { return null; }"
        " const time = part.start + (ms - part.programDateTime) / 1000;"
        " document.getElementById('player').currentTime = time; return time; }", at_ms)
    assert target is not None, f"no part of the playlist holds {at_ms}"
    assert wait_until(lambda: video_state(page)["time"] > target + 0.3, 10.0), \
        video_state(page)
    assert video_state(page)["error"] is None, video_state(page)


def test_the_timeline_zooms_from_a_month_to_a_minute(site: Site, admin: Page,
                                                     recording: str) -> None:
    admin.goto(f"{site.recorder.url}/recordings/{recording}")
    admin.locator(".timeline .span").first.wait_for(timeout=5_000)

    def width() -> float:
        timeline = admin.locator("#timeline")
        return (float(timeline.get_attribute("data-end") or 0)
                - float(timeline.get_attribute("data-start") or 0))

    for _ in range(8):
        admin.get_by_role("button", name="Zoom out").click()
    assert width() == 31 * 24 * 3600e3
    for _ in range(8):
        admin.get_by_role("button", name="Zoom in").click()
    assert width() == 60e3
    admin.locator(".timeline .span").first.wait_for(timeout=5_000)  # still drawn
    assert site.console_errors == []


def download_clip(site: Site, page: Page, start_ms: float, end_ms: float) -> Path:
    iso = "(ms) => new Date(ms).toISOString()"
    page.fill("#clip-start", page.evaluate(iso, start_ms))
    page.fill("#clip-end", page.evaluate(iso, end_ms))
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download").click()
    path = site.artifacts / "clip.mp4"
    waiting.value.save_as(str(path))
    return path
