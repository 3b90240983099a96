"""The RTSP client session's states and its transition table (``rtsp.session``).

``ClientSession`` changes its state only through ``next_state``, a look-up in
``TRANSITIONS``; a (state, trigger) pair the table does not list raises
``LocalProtocolError`` for a caller trigger and ``RemoteProtocolError`` for a peer's,
naming both (h11's ``_state.py`` rule). The normal path is drawn in ``rtsp.session``.
"""

from __future__ import annotations

from enum import Enum

from onvif_recorder.rtsp import errors as err


class State(Enum):
    IDLE = "IDLE"
    OPTIONS = "OPTIONS"
    DESCRIBE = "DESCRIBE"
    DESCRIBED = "DESCRIBED"
    SETUP = "SETUP"
    PLAY = "PLAY"
    PLAYING = "PLAYING"
    TEARDOWN = "TEARDOWN"
    CLOSED = "CLOSED"
    REDIRECTED = "REDIRECTED"
    ERROR = "ERROR"


class Trigger(Enum):
    START = "start"
    OK = "ok"
    OK_MORE = "ok_more"
    REDIRECT = "redirect"
    SETUP = "setup"
    TEARDOWN = "teardown"
    CLOSED = "closed"


S, T = State, Trigger
TRANSITIONS: dict[tuple[State, Trigger], State] = {
    (S.IDLE, T.START): S.OPTIONS,
    (S.OPTIONS, T.OK): S.DESCRIBE,
    (S.OPTIONS, T.REDIRECT): S.REDIRECTED,
    (S.DESCRIBE, T.OK): S.DESCRIBED,
    (S.DESCRIBE, T.REDIRECT): S.REDIRECTED,
    (S.DESCRIBED, T.SETUP): S.SETUP,
    (S.SETUP, T.OK_MORE): S.SETUP,
    (S.SETUP, T.OK): S.PLAY,
    (S.PLAY, T.OK): S.PLAYING,
    (S.DESCRIBED, T.TEARDOWN): S.CLOSED,
    (S.SETUP, T.TEARDOWN): S.TEARDOWN,
    (S.PLAY, T.TEARDOWN): S.TEARDOWN,
    (S.PLAYING, T.TEARDOWN): S.TEARDOWN,
    (S.TEARDOWN, T.CLOSED): S.CLOSED,
}
CALLER_TRIGGERS = frozenset({T.START, T.SETUP, T.TEARDOWN})
TERMINAL = frozenset({S.CLOSED, S.REDIRECTED, S.ERROR})


def next_state(state: State, trigger: Trigger) -> State:
    """The state ``trigger`` leads to from ``state``, or the error the table's absence
    names (see the module docstring)."""
    following = TRANSITIONS.get((state, trigger))
    if following is None:
        error: type[err.ProtocolError] = (err.LocalProtocolError if trigger in CALLER_TRIGGERS
                                          else err.RemoteProtocolError)
        raise error(f"can't handle {trigger.value!r} in state {state.value}")
    return following
