"""WS-Security UsernameToken (OASIS UsernameToken Profile 1.0/1.1) as ONVIF Core uses it.

Core ("Username token profile"): a client shall use both nonce and timestamps, and the
server shall reject any token not using both. The password is sent as

    PasswordDigest = Base64( SHA-1( nonce_bytes + Created(UTF-8) + password(UTF-8) ) )

Every rejection raises ``NotAuthorized`` with a distinct English reason (for the log;
the client only sees the ``env:Sender/ter:NotAuthorized`` fault). The clock is never
read here: ``verify`` takes ``now``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from lxml import etree

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import User
from onvif_recorder.soap.security.nonces import DEFAULT_MAX_ENTRIES, StampedCache

WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_DIGEST = _PROFILE + "#PasswordDigest"
PASSWORD_TEXT = _PROFILE + "#PasswordText"
_MESSAGE_SECURITY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
)
BASE64_BINARY = _MESSAGE_SECURITY + "#Base64Binary"

MAX_NONCE_CHARS = 1024
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)

_SECURITY = f"{{{WSSE_NS}}}Security"
_TOKEN = f"{{{WSSE_NS}}}UsernameToken"
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:\d{2})?"
)


@dataclass(frozen=True)
class UsernameToken:
    """The fields of a ``wsse:UsernameToken``, as text, unverified."""

    username: str
    password: str
    password_type: str | None
    nonce: str | None
    nonce_encoding: str | None
    created: str | None


# --- parsing ---------------------------------------------------------------------------


def parse_security_header(header: etree._Element) -> UsernameToken | None:
    """Extract the UsernameToken from a ``wsse:Security`` element (None if it has none)."""
    if header.tag != _SECURITY:
        raise NotAuthorized("security header is not a wsse:Security element")
    tokens = list(header.iterchildren(_TOKEN))
    if not tokens:
        return None
    if len(tokens) > 1:
        raise NotAuthorized("security header holds more than one UsernameToken")
    return _parse_token(tokens[0])


def _parse_token(token: etree._Element) -> UsernameToken:
    username = _child(token, WSSE_NS, "Username")
    if username is None or not _text(username):
        raise NotAuthorized("UsernameToken has no Username")
    password = _child(token, WSSE_NS, "Password")
    if password is None:
        raise NotAuthorized("UsernameToken has no Password")
    nonce = _child(token, WSSE_NS, "Nonce")
    created = _child(token, WSU_NS, "Created")
    return UsernameToken(
        username=_text(username),
        password=_text(password),
        password_type=_attribute(password, "Type"),
        nonce=None if nonce is None else _text(nonce).strip(),
        nonce_encoding=None if nonce is None else _attribute(nonce, "EncodingType"),
        created=None if created is None else _text(created).strip(),
    )


def _child(parent: etree._Element, namespace: str, local: str) -> etree._Element | None:
    found = list(parent.iterchildren(f"{{{namespace}}}{local}"))
    if len(found) > 1:
        raise NotAuthorized(f"UsernameToken has more than one {local}")
    return found[0] if found else None


def _text(element: etree._Element) -> str:
    if len(element):
        raise NotAuthorized(f"{etree.QName(element).localname} must contain only text")
    return element.text or ""


def _attribute(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    return None if value is None else value.strip()


# --- verification ----------------------------------------------------------------------


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)), the WS-Security PasswordDigest."""
    raw = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8")).digest()
    return base64.b64encode(raw).decode("ascii")


def parse_created(value: str) -> datetime:
    """Parse an xs:dateTime as a UTC datetime (no zone means UTC); ValueError if invalid."""
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(f"not an xs:dateTime: {value!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    date = (int(year), int(month), int(day))
    time = (int(hour), int(minute), int(second), micro)
    return datetime(*date, *time, tzinfo=_zone(zone)).astimezone(UTC)


def _zone(zone: str | None) -> timezone:
    if zone is None or zone == "Z":
        return UTC
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError(f"bad time zone offset {zone!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


class UsernameTokenVerifier:
    """Checks UsernameTokens against the user base, with clock-skew and replay protection.

    Seen nonces are kept in a bounded cache (``max_nonces`` entries, each dropped
    2 x ``max_clock_skew`` after its Created time). If a flood forces an unexpired nonce
    out, tokens whose Created is not later than the evicted one are refused, so eviction
    never lets a replay through.
    """

    def __init__(
        self,
        lookup: Callable[[str], User | None],
        allow_password_text: bool = False,
        max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
        max_nonces: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        if max_clock_skew <= timedelta(0):
            raise ValueError("max_clock_skew must be positive")
        self._lookup = lookup
        self._allow_text = allow_password_text
        self._skew = max_clock_skew
        self._seen: StampedCache[bytes, None] = StampedCache(max_nonces, 2 * max_clock_skew)

    @property
    def nonce_cache_size(self) -> int:
        """How many nonces are currently remembered (never more than ``max_nonces``)."""
        return len(self._seen)

    def verify(self, token: UsernameToken, now: datetime) -> User:
        """Return the authenticated user, or raise NotAuthorized saying why not."""
        now = _aware(now)
        is_digest = self._check_type(token.password_type)
        nonce = _decode_nonce(token.nonce, token.nonce_encoding)
        created = self._check_created(token.created, now)
        user = self._lookup(token.username)
        if user is None:
            raise NotAuthorized(f"unknown user {token.username!r}")
        _check_password(token, user, nonce, is_digest)
        self._remember(nonce, created, now)
        return user

    def _check_type(self, password_type: str | None) -> bool:
        """True for PasswordDigest, False for an allowed PasswordText; else reject."""
        if password_type == PASSWORD_DIGEST:
            return True
        if password_type is None or password_type == PASSWORD_TEXT:
            if self._allow_text:
                return False
            raise NotAuthorized("PasswordText is not accepted; use PasswordDigest")
        raise NotAuthorized(f"unknown password Type {password_type!r}")

    def _check_created(self, created: str | None, now: datetime) -> datetime:
        if created is None:
            raise NotAuthorized("UsernameToken has no Created timestamp")
        try:
            stamp = parse_created(created)
        except ValueError as error:
            raise NotAuthorized(f"Created timestamp is invalid: {error}") from None
        if stamp < now - self._skew:
            raise NotAuthorized(f"Created {created} is more than {self._skew} in the past")
        if stamp > now + self._skew:
            raise NotAuthorized(f"Created {created} is more than {self._skew} in the future")
        return stamp

    def _remember(self, nonce: bytes, created: datetime, now: datetime) -> None:
        if nonce in self._seen:
            raise NotAuthorized("Nonce has already been used (replay)")
        if self._seen.forgotten(created):
            raise NotAuthorized("Created is too old to rule out a replay; send a fresh token")
        self._seen.put(nonce, created, None, now)


def _decode_nonce(nonce: str | None, encoding: str | None) -> bytes:
    if nonce is None:
        raise NotAuthorized("UsernameToken has no Nonce")
    if not nonce:
        raise NotAuthorized("Nonce is empty")
    if encoding is not None and encoding != BASE64_BINARY:
        raise NotAuthorized(f"unsupported Nonce EncodingType {encoding!r}")
    if len(nonce) > MAX_NONCE_CHARS:
        raise NotAuthorized(f"Nonce is longer than {MAX_NONCE_CHARS} characters")
    try:
        return base64.b64decode(nonce, validate=True)
    except (binascii.Error, ValueError):
        raise NotAuthorized("Nonce is not valid Base64") from None


def _check_password(token: UsernameToken, user: User, nonce: bytes, is_digest: bool) -> None:
    if is_digest:
        expected = base64.b64decode(password_digest(nonce, token.created or "", user.password))
        sent = _b64_or_none(token.password.strip())
        ok = sent is not None and hmac.compare_digest(expected, sent)
    else:
        ok = hmac.compare_digest(user.password.encode(), token.password.encode())
    if not ok:
        raise NotAuthorized(f"wrong password for user {token.username!r}")


def _b64_or_none(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
