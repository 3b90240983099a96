"""Who may read media over the playback endpoints until the web pages bring sessions:
a recorder user of level User or above (ONVIF Core's default access policy, READ_MEDIA),
by HTTP Digest (as ``soap.authentication`` verifies it) or HTTP Basic."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from aiohttp import web

from onvif_recorder.domain.errors import OnvifError
from onvif_recorder.domain.users import User
from onvif_recorder.soap.authentication import Authenticator, Challenge
from onvif_recorder.soap.security.access import AccessClass, is_allowed
from onvif_recorder.soap.security.http_basic import basic_user

log = logging.getLogger(__name__)
Authorize = Callable[[web.Request], Awaitable[None]]


def onvif_user_authorizer(authenticator: Authenticator, lookup: Callable[[str], User | None],
                          clock: Callable[[], datetime]) -> Authorize:
    """An ``authorize`` for ``add_playback_routes``: raises 401 (with Basic and Digest
    challenges) or 403, as JSON, unless a User, Operator or Administrator called."""

    async def authorize(request: web.Request) -> None:
        authorization = request.headers.get("Authorization", "")
        if authorization[:6].lower() == "basic ":
            user = basic_user(lookup, authorization[6:])
            if user is None:
                log.warning("login refused (HTTP Basic) from %s to %s", request.remote,
                            request.path)
                raise _unauthorized(authenticator.digest.challenge(clock()))
            _require_media_access(user)
            return
        try:
            outcome = authenticator.authenticate(request, None, AccessClass.READ_MEDIA, clock())
        except OnvifError as error:
            raise json_error(web.HTTPForbidden, str(error)) from None
        if isinstance(outcome, Challenge):
            raise _unauthorized(outcome.headers)
        if outcome is None:
            raise _unauthorized(authenticator.digest.challenge(clock()))

    return authorize


def _require_media_access(user: User) -> None:
    if not is_allowed(user.level, AccessClass.READ_MEDIA):
        raise json_error(web.HTTPForbidden, f"user {user.username!r} may not read media")


def json_error(kind: type[web.HTTPException], message: str) -> web.HTTPException:
    """The HTTP error ``kind`` with ``{"error": message}`` as its body."""
    return kind(text=json.dumps({"error": message}), content_type="application/json")


def _unauthorized(digest_challenges: Iterable[str]) -> web.HTTPException:
    error = json_error(web.HTTPUnauthorized, "authentication required")
    error.headers.add("WWW-Authenticate", 'Basic realm="onvif-recorder", charset="UTF-8"')
    for value in digest_challenges:
        error.headers.add("WWW-Authenticate", value)
    return error
