"""Web sessions and login throttling (``web.sessions``) on an injected clock."""

from __future__ import annotations

from onvif_recorder.web.sessions import (
    LoginThrottle,
    SessionPolicy,
    Sessions,
    ThrottlePolicy,
    csrf_matches,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_every_session_has_its_own_random_id_and_csrf_token() -> None:
    sessions = Sessions(clock=Clock())
    first, second = sessions.open("admin"), sessions.open("admin")
    assert first.id != second.id and first.csrf != second.csrf
    assert len(first.id) >= 43 and len(first.csrf) >= 43  # 256 bits, URL-safe base64
    assert sessions.get(first.id) is first and sessions.get(second.id) is second
    assert sessions.get("guessed") is None and sessions.get(None) is None


def test_an_idle_session_expires_and_requests_keep_it_alive() -> None:
    clock = Clock()
    sessions = Sessions(SessionPolicy(idle=60, absolute=1000), clock)
    session = sessions.open("admin")
    clock.now += 59
    assert sessions.get(session.id) is session  # restarts the idle timer
    clock.now += 59
    assert sessions.get(session.id, touch=False) is session
    clock.now += 2  # 61 s after the last touching request
    assert sessions.get(session.id) is None
    assert len(sessions) == 0


def test_a_busy_session_still_ends_at_its_absolute_limit() -> None:
    clock = Clock()
    sessions = Sessions(SessionPolicy(idle=60, absolute=300), clock)
    session = sessions.open("admin")
    for _ in range(5):
        clock.now += 50
        assert sessions.get(session.id) is session
    clock.now += 51
    assert sessions.get(session.id) is None


def test_logout_and_the_session_limit_end_sessions() -> None:
    sessions = Sessions(SessionPolicy(limit=2), Clock())
    oldest, middle = sessions.open("a"), sessions.open("b")
    sessions.get(oldest.id)  # used more recently than middle
    newest = sessions.open("c")
    assert sessions.get(middle.id) is None
    assert sessions.get(oldest.id) is oldest and sessions.get(newest.id) is newest
    sessions.close(oldest.id)
    assert sessions.get(oldest.id) is None
    sessions.close_user("c")
    assert len(sessions) == 0


def test_csrf_token_must_match_exactly() -> None:
    session = Sessions(clock=Clock()).open("admin")
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, "")
    assert not csrf_matches(session, session.csrf[:-1])


def test_failed_logins_throttle_the_client_and_the_account() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(failures=3, window=60), clock)
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1", "admin") == 0
        throttle.failed("10.0.0.1", "admin")
        clock.now += 1
    assert throttle.retry_after("10.0.0.1", "admin") == 57  # the first failure + 60 s
    assert throttle.retry_after("10.0.0.1", "other") == 57  # the client is throttled
    assert throttle.retry_after("10.0.0.2", "admin") == 57  # and so is the account
    assert throttle.retry_after("10.0.0.2", "other") == 0
    clock.now += 57
    assert throttle.retry_after("10.0.0.1", "admin") == 0  # the first failure left the window


def test_a_successful_login_clears_the_account_not_the_client() -> None:
    clock = Clock()
    throttle = LoginThrottle(ThrottlePolicy(failures=2, window=60), clock)
    throttle.failed("10.0.0.1", "victim")
    throttle.failed("10.0.0.1", "victim")
    throttle.succeeded("mine")
    assert throttle.retry_after("10.0.0.1", "mine") > 0
    throttle.succeeded("victim")
    assert throttle.retry_after("10.0.0.2", "victim") == 0


def test_the_throttle_remembers_a_bounded_number_of_keys() -> None:
    throttle = LoginThrottle(ThrottlePolicy(keys=10), Clock())
    for n in range(100):
        throttle.failed(f"10.0.0.{n}", f"user{n}")
    assert len(throttle._failures) == 10
