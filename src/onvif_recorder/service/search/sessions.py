"""Search sessions (Search §5.2.3, §5.7-5.15), sans-IO: the caller passes the time.

A Find* operation computes its matches at once (from the segment index: milliseconds) and
opens a session holding them; GetResults hands them out in order, never twice, at most
MaxResults (and at most ``PAGE`` per answer). The SearchState of an answer is
``Completed`` exactly when it carries the last results: the session ends then (§5.2.3 b).
A finished search that the client has not yet seen ``Completed`` for keeps its session,
so EndSearch right after FindRecordings succeeds (TS-SEARCH 2-1-12). Every request on a
session restarts its keep-alive; an expired session is gone (InvalidToken, 2-1-20).
Tokens are a per-process random prefix plus a counter, never reused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from onvif_recorder.domain.errors import InvalidToken, ResourceProblem

PAGE = 1000  # results per answer at most, whatever MaxResults says
MIN_KEEP_ALIVE = 1.0  # seconds: KeepAliveTime below this is adapted up

T = TypeVar("T")


class SearchKind(Enum):
    RECORDINGS = "FindRecordings"
    EVENTS = "FindEvents"
    METADATA = "FindMetadata"
    PTZ = "FindPTZPosition"


class SearchState(Enum):
    SEARCHING = "Searching"
    COMPLETED = "Completed"


@dataclass(slots=True)
class Session(Generic[T]):
    token: str
    kind: SearchKind
    results: list[T]
    endpoint: float
    """What EndSearch answers: how far the search got (§5.15)."""
    keep_alive: float
    expires: float
    delivered: int = 0

    @property
    def remaining(self) -> int:
        return len(self.results) - self.delivered


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    state: SearchState
    results: list[T]


@dataclass(slots=True)
class SearchSessions:
    limit: int
    max_keep_alive: float
    prefix: str = field(default_factory=lambda: secrets.token_hex(4))
    _sessions: dict[str, Session[object]] = field(default_factory=dict)
    _counter: int = 0

    def start(self, kind: SearchKind, results: list[T], keep_alive: float, now: float,
              endpoint: float) -> str:
        self.expire(now)
        if len(self._sessions) >= self.limit:
            raise ResourceProblem(f"{self.limit} search sessions are open already")
        self._counter += 1
        token = f"search-{self.prefix}-{self._counter}"
        keep_alive = min(max(keep_alive, MIN_KEEP_ALIVE), self.max_keep_alive)
        self._sessions[token] = Session(token, kind, list(results), endpoint, keep_alive,
                                        now + keep_alive)
        return token

    def expire(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[token]

    def _session(self, token: str, kind: SearchKind | None, now: float) -> Session[object]:
        self.expire(now)
        session = self._sessions.get(token)
        if session is None or (kind is not None and session.kind is not kind):
            raise InvalidToken(f"no search session {token[:64]!r}")
        session.expires = now + session.keep_alive
        return session

    def page(self, token: str, kind: SearchKind, now: float,
             max_results: int | None = None) -> Page[object]:
        """The next results (MinResults and WaitTime never wait: all results exist)."""
        session = self._session(token, kind, now)
        count = min(session.remaining, PAGE, max_results if max_results else PAGE)
        results = session.results[session.delivered:session.delivered + max(count, 0)]
        session.delivered += len(results)
        if session.remaining > 0:
            return Page(SearchState.SEARCHING, results)
        del self._sessions[token]
        return Page(SearchState.COMPLETED, results)

    def state(self, token: str, now: float) -> SearchState:
        session = self._session(token, None, now)
        return SearchState.SEARCHING if session.remaining else SearchState.COMPLETED

    def end(self, token: str, now: float) -> float:
        session = self._session(token, None, now)
        del self._sessions[token]
        return session.endpoint

    def __len__(self) -> int:
        return len(self._sessions)
