"""Who is using the web page, and may they? The aiohttp side of ``web.sessions``.

Users and levels are the recorder's own (``service.users``), and rights are ONVIF Core's
default access policy as for SOAP (``soap.security.access``): reading recordings and
playing them is READ_MEDIA (User and up), changing recordings, jobs and receivers is
ACTUATE (Operator and up). Every page and API handler asks ``require`` or
``require_change``; the latter also checks the session's CSRF token, sent in the
``X-CSRF-Token`` header or the ``csrf_token`` form field. SOAP's Digest and
UsernameToken rules are not touched: the session cookie opens only the web page.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from onvif_recorder.domain.users import User
from onvif_recorder.soap.security.access import AccessClass, is_allowed
from onvif_recorder.web.auth import Authorize, json_error
from onvif_recorder.web.sessions import LoginThrottle, Session, Sessions, csrf_matches

log = logging.getLogger(__name__)

COOKIE = "onvif_recorder_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class Caller:
    session: Session
    user: User

    def may(self, access: AccessClass) -> bool:
        return is_allowed(self.user.level, access)


class LoginRefused(Exception):
    """A readable reason; ``retry_after`` set when the throttle refused."""

    def __init__(self, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class WebAuth:
    def __init__(self, lookup: Callable[[str], User | None], sessions: Sessions,
                 throttle: LoginThrottle) -> None:
        self.lookup = lookup
        self.sessions = sessions
        self.throttle = throttle

    def caller(self, request: web.Request, touch: bool = True) -> Caller | None:
        """The logged-in caller, if the session is live and its user still exists."""
        session = self.sessions.get(request.cookies.get(COOKIE), touch)
        if session is None:
            return None
        user = self.lookup(session.username)
        if user is None:
            self.sessions.close(session.id)
            return None
        return Caller(session, user)

    def require(self, request: web.Request, access: AccessClass) -> Caller:
        """The caller if their level allows ``access``: else 401 (no session) or 403."""
        caller = self.caller(request)
        if caller is None:
            raise json_error(web.HTTPUnauthorized, "log in first")
        if not caller.may(access):
            raise json_error(web.HTTPForbidden,
                             f"user level {caller.user.level.value} may not do this")
        return caller

    async def require_change(self, request: web.Request,
                             access: AccessClass = AccessClass.ACTUATE) -> Caller:
        """``require``, and the request must carry the session's CSRF token."""
        caller = self.require(request, access)
        offered = request.headers.get(CSRF_HEADER)
        if offered is None and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            offered = str((await request.post()).get(CSRF_FIELD, "")) or None
        if not csrf_matches(caller.session, offered):
            log.warning("web request without a valid CSRF token from %s to %s",
                        request.remote, request.path)
            raise json_error(web.HTTPForbidden, "missing or wrong CSRF token: reload the page")
        return caller

    def media_authorizer(self, otherwise: Authorize) -> Authorize:
        """What the playback routes call before they read media: a request with the
        session cookie is judged by its session (401 without a challenge when it ended:
        the page logs in again, the browser opens no password dialog); one without it
        by ``otherwise`` (HTTP Digest or Basic, for tools such as curl or VLC)."""

        async def authorize(request: web.Request) -> None:
            if COOKIE in request.cookies:
                self.require(request, AccessClass.READ_MEDIA)
            else:
                await otherwise(request)

        return authorize

    def log_in(self, client: str, username: str, password: str) -> Session:
        """A new session for the right password of a user who may read media."""
        wait = self.throttle.retry_after(client, username)
        if wait > 0:
            log.warning("login refused (web page) from %s as %r: throttled", client, username)
            raise LoginRefused(
                f"Too many failed logins. Try again in {int(wait) + 1} seconds.", wait)
        user = self.lookup(username)
        if (user is None or not hmac.compare_digest(user.password.encode(), password.encode())
                or not is_allowed(user.level, AccessClass.READ_MEDIA)):
            self.throttle.failed(client, username)
            log.warning("login refused (web page) from %s as %r", client, username)
            raise LoginRefused("Wrong username or password.")
        self.throttle.succeeded(username)
        log.info("web login from %s as %r", client, username)
        return self.sessions.open(username)


def set_session_cookie(request: web.Request, response: web.StreamResponse,
                       session: Session) -> None:
    response.set_cookie(COOKIE, session.id, path="/", httponly=True, samesite="Strict",
                        secure=request.secure or None)


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
