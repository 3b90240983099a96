"""Client side of RTSP authentication: Basic (RFC 7617) and Digest (RFC 7616).

RTSP reuses HTTP authentication (RFC 2326 §12.5, RFC 7826 §19.1). The server's 401
carries one or more challenges in ``WWW-Authenticate``; ``choose_challenge`` prefers
Digest SHA-256, then Digest MD5, then Basic. An ``Authenticator`` then answers every
later request: for Digest with ``qop=auth`` (or ``auth-int``) it sends a fresh client
nonce and counts ``nc`` per server nonce (RFC 7616 §3.4); without ``qop`` it uses the
RFC 2069 form cameras still send. Credentials usually come from the stream URL's
userinfo (``rtsp://user:pass@host/...``), which ``split_userinfo`` removes from the URL
that goes on the wire. The cnonce source is injectable so tests are deterministic.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from onvif_recorder.rtsp.errors import RemoteProtocolError
from onvif_recorder.rtsp.headers import split_top_level

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf'({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]*)\s*', re.DOTALL)
_SCHEME = re.compile(rf"({_TOKEN})(?:\s+(.*))?", re.DOTALL)
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_HASHES: dict[str, Callable[[bytes], hashlib._Hash]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
}
_UNQUOTED = frozenset({"algorithm", "qop", "nc", "userhash"})
MAX_CHALLENGE_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge (or Authorization value): scheme and lower-cased parameters."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def algorithm(self) -> str:
        return self.params.get("algorithm", "MD5").upper()


def split_userinfo(url: str) -> tuple[str, Credentials | None]:
    """The URL without ``user:password@`` and the percent-decoded credentials, if any."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    credentials = Credentials(unquote(parts.username), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=netloc)), credentials


def parse_challenges(values: list[str]) -> list[Challenge]:
    """All challenges of one or more ``WWW-Authenticate`` headers (RFC 7235 §4.1)."""
    challenges: list[Challenge] = []
    for value in values:
        if len(value) > MAX_CHALLENGE_CHARS:
            raise RemoteProtocolError("WWW-Authenticate header is too long")
        challenges += _parse_one_header(value)
    return challenges


def _parse_one_header(value: str) -> list[Challenge]:
    out: list[tuple[str, dict[str, str]]] = []
    for item in split_top_level(value):
        param = _PARAM.fullmatch(item)
        if param is not None and out:
            out[-1][1][param.group(1).lower()] = _unquote(param.group(2))
            continue
        scheme = _SCHEME.fullmatch(item)
        if scheme is None:
            raise RemoteProtocolError(f"malformed authentication challenge {item[:80]!r}")
        params: dict[str, str] = {}
        rest = (scheme.group(2) or "").strip()
        first = _PARAM.fullmatch(rest) if rest else None
        if rest and _TOKEN68.fullmatch(rest) and rest.rstrip("=").count("=") == 0:
            params["token68"] = rest  # e.g. Basic credentials: only trailing "=" padding
        elif first is not None:
            params[first.group(1).lower()] = _unquote(first.group(2))
        elif rest:
            raise RemoteProtocolError(f"malformed authentication challenge {item[:80]!r}")
        out.append((scheme.group(1), params))
    return [Challenge(scheme, params) for scheme, params in out]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1], flags=re.DOTALL)
    return value


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def choose_challenge(challenges: list[Challenge]) -> Challenge | None:
    """The strongest challenge we can answer: Digest SHA-256, Digest MD5, then Basic."""
    def rank(challenge: Challenge) -> int:
        scheme = challenge.scheme.lower()
        if scheme == "digest" and "nonce" in challenge.params:
            algorithm = challenge.algorithm.removesuffix("-SESS")
            return {"SHA-256": 3, "MD5": 2}.get(algorithm, 0)
        return 1 if scheme == "basic" else 0
    usable = [c for c in challenges if rank(c) > 0]
    return max(usable, key=rank, default=None)


def format_authorization(scheme: str, params: Mapping[str, str],
                         unquoted: frozenset[str] = _UNQUOTED) -> str:
    """``Scheme name="value", ...`` with RFC 7616 §3.4 quoting rules."""
    if "token68" in params:
        return f"{scheme} {params['token68']}"
    items = [f"{k}={v}" if k in unquoted else f"{k}={_quote(v)}" for k, v in params.items()]
    return f"{scheme} " + ", ".join(items)


def parse_authorization(value: str) -> Challenge:
    """Parse an ``Authorization`` value (same grammar as a single challenge)."""
    challenges = _parse_one_header(value)
    if len(challenges) != 1:
        raise RemoteProtocolError("Authorization must hold exactly one credential")
    return challenges[0]


class Authenticator:
    """Answers a chosen challenge for every request of a session."""

    def __init__(self, credentials: Credentials, challenge: Challenge,
                 cnonce: Callable[[], str] = lambda: secrets.token_hex(8)) -> None:
        self.credentials = credentials
        self.challenge = challenge
        self._cnonce = cnonce
        self._nonce_count = 0

    @property
    def scheme(self) -> str:
        return self.challenge.scheme.lower()

    def renew(self, challenge: Challenge) -> None:
        """Take a new challenge (e.g. ``stale=true``); the nonce count restarts."""
        self.challenge = challenge
        self._nonce_count = 0

    def authorize(self, method: str, uri: str, body: bytes = b"") -> str:
        """The ``Authorization`` header value for one request."""
        if self.scheme == "basic":
            token = f"{self.credentials.username}:{self.credentials.password}".encode()
            return "Basic " + base64.b64encode(token).decode("ascii")
        return format_authorization("Digest", self._digest_params(method, uri, body))

    def _digest_params(self, method: str, uri: str, body: bytes) -> dict[str, str]:
        """RFC 7616 §3.4.1-§3.4.3 (and the RFC 2069 form when no qop is offered)."""
        params, algorithm = self.challenge.params, self.challenge.algorithm
        hash_hex = _hasher(algorithm)
        realm, nonce = params.get("realm", ""), params.get("nonce", "")
        user, password = self.credentials.username, self.credentials.password
        qop = _pick_qop(params.get("qop", ""))
        cnonce = self._cnonce() if qop or algorithm.endswith("-SESS") else ""
        ha1 = hash_hex(f"{user}:{realm}:{password}")
        if algorithm.endswith("-SESS"):
            ha1 = hash_hex(f"{ha1}:{nonce}:{cnonce}")
        body_hash = f":{hash_hex(body)}" if qop == "auth-int" else ""
        ha2 = hash_hex(f"{method}:{uri}{body_hash}")
        hashed_user = params.get("userhash", "").lower() == "true"
        out = {"username": hash_hex(f"{user}:{realm}") if hashed_user else user,
               "realm": realm, "nonce": nonce, "uri": uri}
        if qop:
            self._nonce_count += 1
            nc = f"{self._nonce_count:08x}"
            out["response"] = hash_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
            out.update(qop=qop, nc=nc, cnonce=cnonce)
        else:
            out["response"] = hash_hex(f"{ha1}:{nonce}:{ha2}")
        if "algorithm" in params:
            out["algorithm"] = algorithm
        if "opaque" in params:
            out["opaque"] = params["opaque"]
        if hashed_user:
            out["userhash"] = "true"
        return out


def _hasher(algorithm: str) -> Callable[[str | bytes], str]:
    digest = _HASHES[algorithm.removesuffix("-SESS")]

    def hash_hex(data: str | bytes) -> str:
        return digest(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()
    return hash_hex


def answer_challenge(current: Authenticator | None, credentials: Credentials | None,
                     challenge_headers: list[str], attempts: int,
                     cnonce: Callable[[], str] | None = None) -> Authenticator | None:
    """The authenticator to retry a request refused with 401, or None to give up.

    A request is retried once; a second time only when the server marks the nonce
    ``stale=true`` (RFC 7616 §3.3: right credentials, expired nonce).
    """
    chosen = choose_challenge(parse_challenges(challenge_headers))
    if credentials is None or chosen is None:
        return None
    stale = chosen.params.get("stale", "").lower() == "true"
    if attempts >= (2 if stale else 1):
        return None
    if current is None:
        return Authenticator(credentials, chosen, *(() if cnonce is None else (cnonce,)))
    current.renew(chosen)
    return current


def _pick_qop(offered: str) -> str:
    options = {q.strip().lower() for q in offered.split(",") if q.strip()}
    return "auth" if "auth" in options else "auth-int" if "auth-int" in options else ""
