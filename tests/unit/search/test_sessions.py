"""Search sessions on a fake clock (Search §5.2.3, TS-SEARCH 2-1-4, 2-1-12, 2-1-19/20)."""

from __future__ import annotations

import pytest

from onvif_recorder.domain.errors import InvalidToken, ResourceProblem
from onvif_recorder.service.search.sessions import (
    PAGE,
    SearchKind,
    SearchSessions,
    SearchState,
)

RECORDINGS, EVENTS = SearchKind.RECORDINGS, SearchKind.EVENTS


def sessions(limit: int = 4) -> SearchSessions:
    return SearchSessions(limit=limit, max_keep_alive=60.0)


def test_results_come_in_order_never_twice_and_completed_ends_the_session() -> None:
    store = sessions()
    token = store.start(RECORDINGS, [1, 2, 3], keep_alive=10, now=0, endpoint=0)
    first = store.page(token, RECORDINGS, now=1, max_results=2)
    assert (first.state, first.results) == (SearchState.SEARCHING, [1, 2])
    assert store.state(token, now=1) is SearchState.SEARCHING
    last = store.page(token, RECORDINGS, now=2, max_results=2)
    assert (last.state, last.results) == (SearchState.COMPLETED, [3])
    with pytest.raises(InvalidToken):
        store.page(token, RECORDINGS, now=3)


def test_no_max_results_returns_a_page_at_most() -> None:
    store = sessions()
    token = store.start(RECORDINGS, list(range(PAGE + 5)), keep_alive=10, now=0, endpoint=0)
    assert len(store.page(token, RECORDINGS, now=0).results) == PAGE
    assert store.page(token, RECORDINGS, now=0).results == list(range(PAGE, PAGE + 5))


def test_an_empty_search_answers_completed_once() -> None:
    store = sessions()
    token = store.start(EVENTS, [], keep_alive=10, now=0, endpoint=5)
    assert store.page(token, EVENTS, now=0).state is SearchState.COMPLETED
    assert len(store) == 0


def test_end_search_of_a_finished_search_then_invalid_token() -> None:
    store = sessions()
    token = store.start(RECORDINGS, [1], keep_alive=10, now=0, endpoint=42)
    assert store.end(token, now=1) == 42
    for call in (lambda: store.end(token, now=1), lambda: store.state(token, now=1)):
        with pytest.raises(InvalidToken):
            call()


def test_keep_alive_is_restarted_by_every_request_and_expires() -> None:
    store = sessions()
    token = store.start(RECORDINGS, [1, 2], keep_alive=10, now=0, endpoint=0)
    assert store.state(token, now=9) is SearchState.SEARCHING  # keepAlive - 1 s: alive
    assert store.state(token, now=18.5) is SearchState.SEARCHING  # restarted at 9
    with pytest.raises(InvalidToken):
        store.page(token, RECORDINGS, now=28.6)


def test_keep_alive_is_adapted_into_range() -> None:
    store = sessions()
    token = store.start(RECORDINGS, [1], keep_alive=10_000, now=0, endpoint=0)
    with pytest.raises(InvalidToken):
        store.state(token, now=61)
    short = store.start(RECORDINGS, [1], keep_alive=0, now=0, endpoint=0)
    assert store.state(short, now=0.5) is SearchState.SEARCHING


def test_a_token_of_another_kind_is_invalid() -> None:
    store = sessions()
    token = store.start(EVENTS, [1], keep_alive=10, now=0, endpoint=0)
    with pytest.raises(InvalidToken):
        store.page(token, RECORDINGS, now=0)
    assert store.page(token, EVENTS, now=0).results == [1]


def test_session_limit_is_resource_problem_and_expiry_frees_room() -> None:
    store = sessions(limit=2)
    tokens = [store.start(RECORDINGS, [1], keep_alive=5, now=0, endpoint=0) for _ in range(2)]
    with pytest.raises(ResourceProblem):
        store.start(RECORDINGS, [1], keep_alive=5, now=1, endpoint=0)
    again = store.start(RECORDINGS, [1], keep_alive=5, now=6, endpoint=0)
    assert again not in tokens


def test_tokens_are_not_reused_across_instances() -> None:
    assert sessions().start(RECORDINGS, [], 1, 0, 0) != sessions().start(RECORDINGS, [], 1, 0, 0)
