"""Who is calling, and may they? (ONVIF Core, "Security").

HTTP Digest is checked first, then WS-UsernameToken (Core: "the HTTP layer is
checked first, then the WS layer"). A caller without credentials who needs
more than PRE_AUTH is sent an HTTP 401 Digest challenge, which is how the
ONVIF test tool discovers that Digest is supported; an authenticated caller
without the right level gets ``env:Sender/ter:NotAuthorized``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from lxml import etree

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import User
from onvif_recorder.soap.security.access import AccessClass, is_allowed, require_access
from onvif_recorder.soap.security.http_digest import DigestAuthenticator, DigestStale
from onvif_recorder.soap.security.username_token import (
    UsernameTokenVerifier,
    parse_security_header,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Challenge:
    """Answer HTTP 401 with these WWW-Authenticate values and this fault as body."""

    headers: list[str]
    error: NotAuthorized


class Authenticator:
    def __init__(self, digest: DigestAuthenticator, username_token: UsernameTokenVerifier) -> None:
        self.digest = digest
        self.username_token = username_token

    def authenticate(
        self,
        request: web.Request,
        security: etree._Element | None,
        access: AccessClass,
        now: datetime,
    ) -> User | Challenge | None:
        """The authenticated user (None: anonymous), or a Challenge to send back."""
        authorization = request.headers.get("Authorization")
        http_user: User | None = None
        if authorization is not None:
            try:
                http_user = self.digest.verify(
                    request.method, authorization, now, request_uri=request.raw_path
                )
            except DigestStale as stale:
                return Challenge(self.digest.challenge(now, stale=True), stale)
            except NotAuthorized as error:
                _login_failed(request, "HTTP Digest", error)
                return Challenge(self.digest.challenge(now), error)
        token = parse_security_header(security) if security is not None else None
        try:
            user = self.username_token.verify(token, now) if token is not None else http_user
        except NotAuthorized as error:
            _login_failed(request, "UsernameToken", error)
            raise
        if user is None and not is_allowed(None, access):
            return Challenge(
                self.digest.challenge(now), NotAuthorized("this operation needs authentication")
            )
        require_access(user.level if user else None, access)
        return user


def _login_failed(request: web.Request, scheme: str, error: NotAuthorized) -> None:
    """One warning per refused login (a stale Digest nonce is not one: clients retry)."""
    log.warning("login refused (%s) from %s to %s: %s", scheme, request.remote,
                request.path, error)
