"""HTTP Basic (RFC 7617) against the recorder's users: what Prometheus' ``basic_auth``
sends to ``/metrics`` and what a browser or ``curl -u`` sends to the playback endpoints.
Over plain HTTP the password travels in clear: README "Metrics" and "Playback over HTTP"
say so."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable

from onvif_recorder.domain.users import User


def basic_user(lookup: Callable[[str], User | None], encoded: str) -> User | None:
    """The user whose ``user:password`` is base64 ``encoded``; None if there is none."""
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = lookup(username)
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        return None
    return user
