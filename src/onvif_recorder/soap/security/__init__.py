"""Authentication (WS-UsernameToken, HTTP Digest) and authorization (access classes)."""

from onvif_recorder.soap.security.access import (
    DEFAULT_ACCESS_POLICY,
    AccessClass,
    is_allowed,
    require_access,
)
from onvif_recorder.soap.security.http_digest import (
    DigestAuthenticator,
    DigestStale,
    parse_authorization,
)
from onvif_recorder.soap.security.username_token import (
    UsernameToken,
    UsernameTokenVerifier,
    parse_security_header,
)

__all__ = [
    "DEFAULT_ACCESS_POLICY",
    "AccessClass",
    "DigestAuthenticator",
    "DigestStale",
    "UsernameToken",
    "UsernameTokenVerifier",
    "is_allowed",
    "parse_authorization",
    "parse_security_header",
    "require_access",
]
