"""Web page sessions and login throttling, without I/O (the clock is injected).

A session is a random identifier (256 bits) the browser keeps in an HttpOnly cookie; it
names a user, never a level: the level is read from the user store at every request, so
a demoted or deleted user loses rights at once. Every login opens a new session (no
fixation: an identifier planted before login is never promoted). A session ends at
logout, after ``idle`` seconds without a request, or ``absolute`` seconds after login,
whichever comes first. Each session has its own CSRF token that every change must echo.

Login throttling counts failed attempts per client address and per username in a sliding
window; past the limit further attempts are refused without checking the password until
the oldest failure leaves the window, so guessing is slow from one address and against
one account from many.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Session:
    id: str
    username: str
    csrf: str
    created: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: float = 30 * 60.0
    absolute: float = 12 * 3600.0
    limit: int = 1000
    """At most this many sessions; the least recently used one is dropped for a new one."""


class Sessions:
    def __init__(self, policy: SessionPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or SessionPolicy()
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def open(self, username: str) -> Session:
        now = self.clock()
        session = Session(secrets.token_urlsafe(32), username, secrets.token_urlsafe(32),
                          now, now)
        self._sessions[session.id] = session
        while len(self._sessions) > self.policy.limit:
            self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None, touch: bool = True) -> Session | None:
        """The live session with this identifier, else None. ``touch``: a request of the
        user's, so the idle timer restarts (a live stream only checks)."""
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        now = self.clock()
        if (now - session.last_seen > self.policy.idle
                or now - session.created > self.policy.absolute):
            del self._sessions[session.id]
            return None
        if touch:
            session.last_seen = now
            self._sessions.move_to_end(session.id)
        return session

    def close(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def close_user(self, username: str) -> None:
        for session in [s for s in self._sessions.values() if s.username == username]:
            del self._sessions[session.id]


def csrf_matches(session: Session, offered: str | None) -> bool:
    return offered is not None and hmac.compare_digest(session.csrf.encode(), offered.encode())


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    failures: int = 5
    """Failed logins allowed per client and per username within ``window`` seconds."""
    window: float = 300.0
    keys: int = 10_000
    """Clients and usernames remembered at most (the oldest forgotten first)."""


@dataclass(slots=True)
class _Failures:
    times: deque[float] = field(default_factory=deque)


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def retry_after(self, client: str, username: str) -> float:
        """Seconds until a login from ``client`` as ``username`` may be tried; 0: now."""
        now = self.clock()
        return max(self._wait(f"client {client}", now), self._wait(f"user {username}", now))

    def failed(self, client: str, username: str) -> None:
        now = self.clock()
        for key in (f"client {client}", f"user {username}"):
            entry = self._failures.pop(key, None) or _Failures()
            entry.times.append(now)
            while len(entry.times) > self.policy.failures:
                entry.times.popleft()
            self._failures[key] = entry
        while len(self._failures) > self.policy.keys:
            self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """The right password clears the account's failures, not the client's: a client
        guessing other accounts cannot reset its count by logging in to its own."""
        self._failures.pop(f"user {username}", None)

    def _wait(self, key: str, now: float) -> float:
        entry = self._failures.get(key)
        if entry is None:
            return 0.0
        while entry.times and now - entry.times[0] >= self.policy.window:
            entry.times.popleft()
        if len(entry.times) < self.policy.failures:
            return 0.0
        return entry.times[0] + self.policy.window - now
