"""HTTP Digest authentication (RFC 7616, compatible with RFC 2617 and RFC 2069 clients).

ONVIF Core ("Authentication over HTTP and HTTPS") requires Digest per RFC 2617 with MD5
as the default and SHA-256 per RFC 7616 as an option; the 401 response carries one
``WWW-Authenticate`` challenge per algorithm, in order of preference.

Nonces are stateless: ``base64url(issued_ms[8] + random[12] + HMAC-SHA256(secret, ...)[:16])``,
so any nonce can be checked for authenticity and age without server state. The only
state is a bounded map ``nonce -> highest nonce count`` used to refuse replays. The
clock is never read here; every method takes ``now``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import User
from onvif_recorder.soap.security.nonces import DEFAULT_MAX_ENTRIES, StampedCache

MAX_HEADER_CHARS = 4096
DEFAULT_NONCE_LIFETIME = timedelta(minutes=5)
MIN_SECRET_BYTES = 16

_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RANDOM_BYTES = 12
_MAC_BYTES = 16
_NONCE_BYTES = 8 + _RANDOM_BYTES + _MAC_BYTES
_NONCE_SHAPE = re.compile(f"[A-Za-z0-9_-]{{{_NONCE_BYTES * 4 // 3}}}")
_NO_QOP_USED = 1 << 32  # nonce-count marker: nonce consumed by an RFC 2069 (no qop) request

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_SCHEME = re.compile(rf"[ \t]*({_TOKEN})(?:[ \t]+(.*))?", re.DOTALL)
_PARAM = re.compile(rf'({_TOKEN})[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))(?!")', re.DOTALL)
_SEPARATOR = re.compile(r"[ \t]*(?:,[ \t]*)*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NONCE_COUNT = re.compile(r"[0-9A-Fa-f]{1,8}")
_EXT_VALUE = re.compile(r"(?i:UTF-8)'[^']*'(.*)", re.DOTALL)


class DigestStale(NotAuthorized):
    """The credentials were right but the nonce is too old: re-challenge with stale=true."""


# --- header parsing --------------------------------------------------------------------


def parse_authorization(header: str) -> dict[str, str]:
    """Parse ``Digest name=value, ...`` into a dict with lower-case names.

    Values may be tokens or quoted strings (backslash escapes, commas inside quotes).
    Raises NotAuthorized for anything malformed, over-long or not of scheme Digest.
    """
    if len(header) > MAX_HEADER_CHARS:
        raise NotAuthorized(f"Authorization header is longer than {MAX_HEADER_CHARS} characters")
    if _CONTROL.search(header):
        raise NotAuthorized("Authorization header contains control characters")
    scheme = _SCHEME.fullmatch(header)
    if scheme is None or scheme.group(1).lower() != "digest":
        raise NotAuthorized("Authorization header does not use the Digest scheme")
    params = _parse_params(scheme.group(2) or "")
    if not params:
        raise NotAuthorized("Digest Authorization header has no parameters")
    return params


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = _skip_separators(text, 0)
    while pos < len(text):
        match = _PARAM.match(text, pos)
        if match is None:
            raise NotAuthorized(f"malformed Digest parameter at offset {pos}")
        name, quoted, bare = match.groups()
        if name.lower() in params:
            raise NotAuthorized(f"Digest parameter {name.lower()!r} appears twice")
        params[name.lower()] = bare if quoted is None else _ESCAPE.sub(r"\1", quoted)
        pos = _next_param(text, match.end())
    return params


def _next_param(text: str, pos: int) -> int:
    end = _skip_separators(text, pos)
    if end < len(text) and "," not in text[pos:end]:
        raise NotAuthorized(f"missing comma between Digest parameters at offset {pos}")
    return end


def _skip_separators(text: str, pos: int) -> int:
    separator = _SEPARATOR.match(text, pos)
    assert separator is not None  # the pattern also matches the empty string
    return separator.end()


# --- credentials -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Credentials:
    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str
    qop: str | None
    nc: str | None
    cnonce: str | None
    opaque: str | None


def _credentials(params: dict[str, str]) -> _Credentials:
    for name in ("realm", "nonce", "uri", "response"):
        if not params.get(name):
            raise NotAuthorized(f"Digest parameter {name!r} is missing")
    if params.get("userhash", "false").lower() != "false":
        raise NotAuthorized("Digest userhash is not supported")
    qop, nc, cnonce = _qop_fields(params)
    return _Credentials(
        username=_username(params),
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"].lower(),
        algorithm=_algorithm(params.get("algorithm", "MD5")),
        qop=qop,
        nc=nc,
        cnonce=cnonce,
        opaque=params.get("opaque"),
    )


def _username(params: dict[str, str]) -> str:
    plain, extended = params.get("username"), params.get("username*")
    if plain is not None and extended is not None:
        raise NotAuthorized("Digest header has both username and username*")
    if extended is not None:
        return _decode_ext_value(extended)
    if not plain:
        raise NotAuthorized("Digest parameter 'username' is missing")
    return plain


def _decode_ext_value(value: str) -> str:
    """RFC 8187 ext-value (``UTF-8''percent-encoded``), as RFC 7616 §3.4.4 uses it."""
    match = _EXT_VALUE.fullmatch(value)
    if match is None:
        raise NotAuthorized("Digest username* is not a UTF-8 ext-value")
    try:
        decoded = unquote(match.group(1), encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise NotAuthorized("Digest username* is not valid UTF-8") from None
    if not decoded:
        raise NotAuthorized("Digest username* is empty")
    return decoded


def _algorithm(value: str) -> str:
    for name in _HASHES:
        if value.lower() == name.lower():
            return name
    raise NotAuthorized(f"Digest algorithm {value!r} is not supported")


def _qop_fields(params: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    qop = params.get("qop")
    if qop is None:
        return None, None, None  # RFC 2069 compatibility form
    if qop.lower() != "auth":
        raise NotAuthorized(f"Digest qop {qop!r} is not supported (only auth)")
    nc, cnonce = params.get("nc"), params.get("cnonce")
    if nc is None or not _NONCE_COUNT.fullmatch(nc):
        raise NotAuthorized("Digest nc is missing or not 1-8 hex digits")
    if not cnonce:
        raise NotAuthorized("Digest cnonce is missing")
    return qop, nc, cnonce


def _hash(algorithm: str, text: str) -> str:
    return _HASHES[algorithm](text.encode("utf-8")).hexdigest()


def _expected_response(c: _Credentials, method: str, password: str) -> str:
    """RFC 7616 §3.4.1 ``response`` (RFC 2069 form when there is no qop)."""
    ha1 = _hash(c.algorithm, f"{c.username}:{c.realm}:{password}")
    ha2 = _hash(c.algorithm, f"{method}:{c.uri}")
    if c.qop is None:
        return _hash(c.algorithm, f"{ha1}:{c.nonce}:{ha2}")
    return _hash(c.algorithm, f"{ha1}:{c.nonce}:{c.nc}:{c.cnonce}:{c.qop}:{ha2}")


def _same_target(uri: str, request_uri: str) -> bool:
    """Compare path and query, so absolute-form and origin-form targets match."""
    try:
        a, b = urlsplit(uri), urlsplit(request_uri)
    except ValueError:
        return False
    return (a.path or "/", a.query) == (b.path or "/", b.query)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- authenticator ---------------------------------------------------------------------


class DigestAuthenticator:
    """Issues Digest challenges and verifies Authorization headers against the user base."""

    def __init__(
        self,
        realm: str,
        lookup: Callable[[str], User | None],
        secret: bytes,
        nonce_lifetime: timedelta = DEFAULT_NONCE_LIFETIME,
        algorithms: Iterable[str] = ("SHA-256", "MD5"),
        max_tracked_nonces: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        if not realm or _CONTROL.search(realm):
            raise ValueError("realm must be non-empty and free of control characters")
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"secret must be at least {MIN_SECRET_BYTES} bytes")
        if nonce_lifetime <= timedelta(0):
            raise ValueError("nonce_lifetime must be positive")
        self._realm = realm
        self._lookup = lookup
        self._secret = secret
        self._lifetime = nonce_lifetime
        self._algorithms = _check_algorithms(algorithms)
        self._counts: StampedCache[str, int] = StampedCache(max_tracked_nonces, 2 * nonce_lifetime)
        self._opaque = self._mac(b"opaque\x00" + realm.encode("utf-8")).hex()

    @property
    def algorithms(self) -> tuple[str, ...]:
        return self._algorithms

    @property
    def tracked_nonce_count(self) -> int:
        """How many nonces have a remembered nonce count (never more than the bound)."""
        return len(self._counts)

    def challenge(self, now: datetime, stale: bool = False) -> list[str]:
        """The ``WWW-Authenticate`` values: one per algorithm, sharing one fresh nonce."""
        nonce = self.make_nonce(now)
        suffix = ", stale=true" if stale else ""
        return [
            f'Digest realm={_quote(self._realm)}, qop="auth", algorithm={algorithm}, '
            f'nonce="{nonce}", opaque="{self._opaque}"{suffix}'
            for algorithm in self._algorithms
        ]

    def make_nonce(self, now: datetime) -> str:
        """A fresh stateless nonce stamped ``now`` (challenge() calls this once per 401)."""
        millis = (_aware(now) - _EPOCH) // timedelta(milliseconds=1)
        body = millis.to_bytes(8, "big", signed=True) + secrets.token_bytes(_RANDOM_BYTES)
        return base64.urlsafe_b64encode(body + self._mac(b"nonce\x00" + body)).decode("ascii")

    def verify(
        self, method: str, authorization: str, now: datetime, request_uri: str | None = None
    ) -> User:
        """Return the authenticated user or raise NotAuthorized (DigestStale if only stale).

        ``request_uri``, when given, must match the ``uri`` parameter (path and query).
        """
        now = _aware(now)
        creds = _credentials(parse_authorization(authorization))
        issued = self._check_request(creds, request_uri)
        user = self._lookup(creds.username)
        if user is None:
            raise NotAuthorized(f"unknown user {creds.username!r}")
        expected = _expected_response(creds, method, user.password)
        if not hmac.compare_digest(expected.encode(), creds.response.encode("utf-8")):
            raise NotAuthorized(f"wrong Digest response for user {creds.username!r}")
        if abs(now - issued) > self._lifetime:
            raise DigestStale("Digest nonce has expired")
        self._check_replay(creds, issued, now)
        return user

    def _check_request(self, creds: _Credentials, request_uri: str | None) -> datetime:
        """Realm, algorithm, nonce, opaque and uri checks; returns the nonce's issue time."""
        if creds.realm != self._realm:
            raise NotAuthorized(f"Digest realm {creds.realm!r} is not this device's realm")
        if creds.algorithm not in self._algorithms:
            raise NotAuthorized(f"Digest algorithm {creds.algorithm} is not enabled")
        issued = self._nonce_issued(creds.nonce)
        if issued is None:
            raise NotAuthorized("Digest nonce was not issued by this device")
        if creds.opaque is not None and not hmac.compare_digest(
            creds.opaque.encode("utf-8"), self._opaque.encode()
        ):
            raise NotAuthorized("Digest opaque does not match the challenge")
        if request_uri is not None and not _same_target(creds.uri, request_uri):
            raise NotAuthorized("Digest uri does not match the request target")
        return issued

    def _check_replay(self, creds: _Credentials, issued: datetime, now: datetime) -> None:
        seen = self._counts.get(creds.nonce)
        if seen is None and self._counts.forgotten(issued):
            raise DigestStale("Digest nonce is too old to track; a new nonce is needed")
        if creds.nc is None:
            if seen is not None:
                raise DigestStale("Digest nonce without qop was already used")
            self._counts.put(creds.nonce, issued, _NO_QOP_USED, now)
            return
        count = int(creds.nc, 16)
        if count <= (seen or 0):
            raise NotAuthorized(f"Digest nonce count {creds.nc} was already used (replay)")
        self._counts.put(creds.nonce, issued, count, now)

    def _nonce_issued(self, nonce: str) -> datetime | None:
        """The issue time of a nonce this device made, or None if it is not authentic."""
        if not _NONCE_SHAPE.fullmatch(nonce):
            return None
        try:
            raw = base64.urlsafe_b64decode(nonce)
        except (binascii.Error, ValueError):
            return None
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(b"nonce\x00" + body)):
            return None
        try:
            return _EPOCH + timedelta(milliseconds=int.from_bytes(body[:8], "big", signed=True))
        except OverflowError:
            return None

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self._secret, data, hashlib.sha256).digest()[:_MAC_BYTES]


def _check_algorithms(algorithms: Iterable[str]) -> tuple[str, ...]:
    names: list[str] = []
    for value in algorithms:
        try:
            name = _algorithm(value)
        except NotAuthorized:
            raise ValueError(f"unsupported Digest algorithm {value!r}") from None
        if name in names:
            raise ValueError(f"Digest algorithm {name} listed twice")
        names.append(name)
    if not names:
        raise ValueError("at least one Digest algorithm is required")
    return tuple(names)
