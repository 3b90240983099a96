"""The web page's security over real HTTP against an in-process recorder: session cookie
flags, no session fixation, logout, expiry by the server, login throttling, CSRF on every
change, and the user's level checked by every page and API call (ONVIF Core's default
access policy: READ_MEDIA for User and up, ACTUATE for Operator and up)."""

from __future__ import annotations

import json

import requests

from onvif_recorder.domain.users import User, UserLevel
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder
from tests.integration.web_support import (
    PASSWORDS,
    add_users,
    csrf_of,
    log_in,
    recording_with_job,
)

COOKIE = "onvif_recorder_session"


def reads(recording: str) -> list[str]:
    """Every GET a User may make (pages, API and playback)."""
    window = "start=2026-01-01T00:00:00Z&end=2026-01-01T00:01:00Z"
    return ["/", f"/recordings/{recording}", "/api/recordings",
            f"/recordings/{recording}/timeline.json?{window}"]


def media_reads(recording: str) -> list[str]:
    """Playback of media, which this recording (nothing recorded) answers with 404 to a
    caller who may read it."""
    window = "start=2026-01-01T00:00:00Z&end=2026-01-01T00:01:00Z"
    return [f"/recordings/{recording}/hls/index.m3u8?start=2026-01-01T00:00:00Z",
            f"/recordings/{recording}/hls/init/1.mp4", f"/recordings/{recording}/hls/part/1.m4s",
            f"/recordings/{recording}/clip.mp4?{window}"]


def changes(recording: str) -> list[tuple[str, dict[str, str]]]:
    """Every POST that changes the recorder (ACTUATE), with valid fields."""
    return [(f"/api/recordings/{recording}/mode", {"mode": "Active"}),
            ("/api/cameras", {"uri": "rtsp://127.0.0.1:1/none", "name": "x"}),
            (f"/api/recordings/{recording}/delete", {})]


def test_login_sets_a_strict_httponly_session_cookie(recorder: RunningRecorder) -> None:
    answer = requests.post(f"{recorder.url}/login", allow_redirects=False, timeout=5,
                           data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in flags and flags["samesite"] == "SameSite=Strict"
    assert flags["path"] == "Path=/"
    assert len(cookie.split(";")[0].split("=", 1)[1]) >= 43  # 256 random bits


def test_wrong_passwords_are_refused_readably(recorder: RunningRecorder) -> None:
    for username, password in ((ADMIN_USER, "wrong"), ("nobody", ADMIN_PASSWORD)):
        answer = requests.post(f"{recorder.url}/login", allow_redirects=False, timeout=5,
                               data={"username": username, "password": password})
        assert answer.status_code == 401
        assert "Wrong username or password." in answer.text
        assert "Set-Cookie" not in answer.headers


def test_a_login_never_keeps_a_planted_or_previous_session_id(recorder: RunningRecorder) -> None:
    def log_in_with(cookie: str) -> str:
        answer = requests.post(f"{recorder.url}/login", cookies={COOKIE: cookie}, timeout=5,
                               allow_redirects=False,
                               data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        assert answer.status_code == 303
        return str(answer.cookies[COOKIE])

    first = log_in_with("planted-by-an-attacker")
    assert first != "planted-by-an-attacker"
    planted = requests.get(f"{recorder.url}/api/recordings", timeout=5,
                           cookies={COOKIE: "planted-by-an-attacker"})
    assert planted.status_code == 401
    second = log_in_with(first)
    assert second != first
    old = requests.get(f"{recorder.url}/api/recordings", cookies={COOKIE: first}, timeout=5)
    assert old.status_code == 401  # the previous id ended with the new login
    new = requests.get(f"{recorder.url}/api/recordings", cookies={COOKIE: second}, timeout=5)
    assert new.status_code == 200


def test_logout_ends_the_session_on_the_server(recorder: RunningRecorder) -> None:
    session, csrf = log_in(recorder.url, ADMIN_USER, ADMIN_PASSWORD)
    stolen = str(session.cookies[COOKIE])
    refused = session.post(f"{recorder.url}/logout", allow_redirects=False, timeout=5)
    assert refused.status_code == 403  # logging someone out needs the CSRF token too
    answer = session.post(f"{recorder.url}/logout", data={"csrf_token": csrf},
                          allow_redirects=False, timeout=5)
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    replayed = requests.get(f"{recorder.url}/api/recordings", cookies={COOKIE: stolen},
                            timeout=5)
    assert replayed.status_code == 401
    page = requests.get(f"{recorder.url}/", cookies={COOKIE: stolen}, allow_redirects=False,
                        timeout=5)
    assert page.status_code == 303 and page.headers["Location"].startswith("/login")


def test_logins_are_throttled_per_client(recorder: RunningRecorder) -> None:
    url = f"{recorder.url}/login"
    for _ in range(5):
        answer = requests.post(url, data={"username": ADMIN_USER, "password": "guess"},
                               allow_redirects=False, timeout=5)
        assert answer.status_code == 401
    for username, password in ((ADMIN_USER, ADMIN_PASSWORD), ("other", "guess")):
        throttled = requests.post(url, data={"username": username, "password": password},
                                  allow_redirects=False, timeout=5)
        assert throttled.status_code == 429  # even the right password, until the window ends
        assert int(throttled.headers["Retry-After"]) > 0
        assert "Too many failed logins" in throttled.text
        assert "Set-Cookie" not in throttled.headers


def test_a_change_without_the_csrf_token_is_refused(recorder: RunningRecorder) -> None:
    token, _ = recording_with_job(recorder)
    session, csrf = log_in(recorder.url, ADMIN_USER, ADMIN_PASSWORD)
    for path, fields in changes(token):
        for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": csrf[:-2]}):
            answer = session.post(recorder.url + path, data=fields, headers=headers, timeout=5)
            assert answer.status_code == 403, path
            assert "CSRF" in answer.json()["error"]
    assert token in recorder.services.holder.state.recordings  # nothing was changed
    other, _ = log_in(recorder.url, ADMIN_USER, ADMIN_PASSWORD)
    borrowed = session.post(f"{recorder.url}/api/recordings/{token}/delete", timeout=5,
                            headers={"X-CSRF-Token": csrf_of(other.get(recorder.url).text)})
    assert borrowed.status_code == 403  # another session's token is no token
    as_field = session.post(f"{recorder.url}/api/recordings/{token}/delete", timeout=5,
                            data={"csrf_token": csrf})
    assert as_field.status_code == 200
    assert token not in recorder.services.holder.state.recordings


def test_every_page_and_api_call_checks_the_level(recorder: RunningRecorder) -> None:
    add_users(recorder)
    token, job = recording_with_job(recorder)
    anonymous = requests.Session()
    for path in reads(token):
        answer = anonymous.get(recorder.url + path, allow_redirects=False, timeout=5)
        assert answer.status_code in (303, 401), path  # pages redirect, the API refuses
    for path in media_reads(token):
        assert anonymous.get(recorder.url + path, timeout=5).status_code == 401, path
    for path, fields in changes(token):
        assert anonymous.post(recorder.url + path, data=fields, timeout=5).status_code == 401
    viewer, viewer_csrf = log_in(recorder.url, "viewer", PASSWORDS["viewer"])
    for path in reads(token):
        assert viewer.get(recorder.url + path, timeout=5).status_code == 200, path
    for path in media_reads(token):
        assert viewer.get(recorder.url + path, timeout=5).status_code == 404, path
    expired = requests.get(recorder.url + media_reads(token)[0], timeout=5,
                           cookies={COOKIE: "ended-session"})
    assert expired.status_code == 401  # judged by the session: no password dialog
    assert "WWW-Authenticate" not in expired.headers
    for path, fields in changes(token):
        answer = viewer.post(recorder.url + path, data=fields, timeout=5,
                             headers={"X-CSRF-Token": viewer_csrf})
        assert answer.status_code == 403, path
        assert "may not" in answer.json()["error"]
    operator, operator_csrf = log_in(recorder.url, "operator", PASSWORDS["operator"])
    answer = operator.post(f"{recorder.url}/api/recordings/{token}/mode", timeout=5,
                           data={"mode": "Active"}, headers={"X-CSRF-Token": operator_csrf})
    assert answer.status_code == 200 and answer.json()["jobs"] == [job]
    assert recorder.services.jobs.job(job).configuration.mode.value == "Active"


def test_what_a_user_may_not_do_is_not_offered(recorder: RunningRecorder) -> None:
    add_users(recorder)
    viewer, _ = log_in(recorder.url, "viewer", PASSWORDS["viewer"])
    page = viewer.get(f"{recorder.url}/", timeout=5).text
    assert 'data-can-change="false"' in page and "add-camera" not in page
    operator, _ = log_in(recorder.url, "operator", PASSWORDS["operator"])
    page = operator.get(f"{recorder.url}/", timeout=5).text
    assert 'data-can-change="true"' in page and 'id="add-camera"' in page


def test_a_demoted_or_deleted_user_loses_rights_at_once(recorder: RunningRecorder) -> None:
    add_users(recorder)
    token, _ = recording_with_job(recorder)
    operator, csrf = log_in(recorder.url, "operator", PASSWORDS["operator"])
    users = recorder.services.users
    recorder.in_loop(lambda: users.set_users(
        [User("operator", PASSWORDS["operator"], UserLevel.USER)]))
    answer = operator.post(f"{recorder.url}/api/recordings/{token}/mode", timeout=5,
                           data={"mode": "Active"}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403
    recorder.in_loop(lambda: users.delete_users(["operator"]))
    assert operator.get(f"{recorder.url}/api/recordings", timeout=5).status_code == 401


def test_refusals_are_readable_json_not_tracebacks(recorder: RunningRecorder) -> None:
    session, csrf = log_in(recorder.url, ADMIN_USER, ADMIN_PASSWORD)
    headers = {"X-CSRF-Token": csrf}
    cases = [("/api/recordings/nothing/mode", {"mode": "Active"}, "no recording"),
             ("/api/recordings/nothing/delete", {}, "no recording"),
             ("/api/cameras", {"uri": "http://camera/"}, "rtsp://"),
             ("/api/cameras", {"uri": "rtsp://127.0.0.1:1/none"}, "sent no media")]
    for path, fields, reason in cases:
        answer = session.post(recorder.url + path, data=fields, headers=headers, timeout=15)
        assert answer.status_code == 400, (path, answer.text)
        assert reason in answer.json()["error"], answer.text
        assert "Traceback" not in answer.text
    assert recorder.services.holder.state.recordings == {}
    missing = session.get(f"{recorder.url}/recordings/nothing", timeout=5)
    assert missing.status_code == 404 and "There is no recording nothing." in missing.text


def test_the_live_stream_sends_the_recordings_and_needs_a_session(
        recorder: RunningRecorder) -> None:
    token, job = recording_with_job(recorder, name="Gate")
    assert requests.get(f"{recorder.url}/api/events", timeout=5).status_code == 401
    session, _ = log_in(recorder.url, ADMIN_USER, ADMIN_PASSWORD)
    with session.get(f"{recorder.url}/api/events", stream=True, timeout=5) as answer:
        assert answer.headers["Content-Type"] == "text/event-stream"
        lines = answer.iter_lines(decode_unicode=True)
        assert next(lines) == "event: recordings"
        data = str(next(lines))
    recordings = json.loads(data.removeprefix("data: "))["recordings"]
    assert [(r["token"], r["name"], r["jobs"][0]["token"], r["jobs"][0]["state"])
            for r in recordings] == [(token, "Gate", job, "Idle")]
    assert [t["type"] for t in recordings[0]["tracks"]] == ["Video", "Audio", "Metadata"]


def test_login_returns_only_to_a_path_on_this_site(recorder: RunningRecorder) -> None:
    for target, expected in (("/recordings/Recording_1", "/recordings/Recording_1"),
                             ("//evil.example/", "/"), ("/\\evil.example/", "/"),
                             ("https://evil.example/", "/")):
        answer = requests.post(f"{recorder.url}/login", allow_redirects=False, timeout=5,
                               data={"username": ADMIN_USER, "password": ADMIN_PASSWORD,
                                     "next": target})
        assert answer.headers["Location"] == expected, target
