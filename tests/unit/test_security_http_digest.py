"""HTTP Digest (RFC 7616 / RFC 2617 / RFC 2069 form) as Core "Authentication over HTTP"
requires it, and SECURITY-1-1-2 of the Base Device Test Specification."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.soap.security.http_digest import (
    MAX_HEADER_CHARS,
    DigestAuthenticator,
    DigestStale,
    parse_authorization,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
REALM = "ONVIF recorder"
SECRET = b"0123456789abcdef0123456789abcdef"
ADMIN = User("admin", "Päss:word", UserLevel.ADMINISTRATOR)
URI = "/onvif/device_service"
HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def lookup(name: str) -> User | None:
    return ADMIN if name == ADMIN.username else None


def authenticator(**kwargs: object) -> DigestAuthenticator:
    return DigestAuthenticator(REALM, lookup, SECRET, **kwargs)  # type: ignore[arg-type]


def h(algorithm: str, text: str) -> str:
    return HASHES[algorithm](text.encode("utf-8")).hexdigest()


def rfc_response(
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str | None,
    cnonce: str | None,
) -> str:
    """RFC 7616 §3.4.1 response, computed independently of the module under test."""
    ha1 = h(algorithm, f"{username}:{realm}:{password}")
    ha2 = h(algorithm, f"{method}:{uri}")
    if nc is None:  # RFC 2069 form, no qop
        return h(algorithm, f"{ha1}:{nonce}:{ha2}")
    return h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")


def challenge_params(auth: DigestAuthenticator, now: datetime = NOW) -> dict[str, str]:
    """The first challenge as requests itself parses it (an independent parser)."""
    parsed = parse_dict_header(auth.challenge(now)[0].removeprefix("Digest "))
    return {name: value or "" for name, value in parsed.items()}


def header(
    nonce: str,
    algorithm: str | None = "SHA-256",
    nc: str | None = "00000001",
    password: str = ADMIN.password,
    username: str = ADMIN.username,
    realm: str = REALM,
    uri: str = URI,
    method: str = "POST",
    extra: str = "",
) -> str:
    cnonce = "0a4f113b"
    response = rfc_response(
        algorithm or "MD5", username, realm, password, method, uri, nonce, nc, cnonce
    )
    parts = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
    ]
    if algorithm is not None:
        parts.append(f"algorithm={algorithm}")
    if nc is not None:
        parts.append(f'qop=auth, nc={nc}, cnonce="{cnonce}"')
    return "Digest " + ", ".join(parts) + extra


def fresh(auth: DigestAuthenticator, now: datetime = NOW) -> str:
    return auth.make_nonce(now)


def rejects(auth: DigestAuthenticator, value: str, reason: str, now: datetime = NOW) -> None:
    with pytest.raises(NotAuthorized, match=reason) as caught:
        auth.verify("POST", value, now)
    assert not isinstance(caught.value, DigestStale)


# --- the test oracle against RFC 7616 §3.9.1 -------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_oracle_matches_rfc_7616_example(algorithm: str, expected: str) -> None:
    result = rfc_response(
        algorithm,
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        "00000001",
        "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )
    assert result == expected


# --- challenge -------------------------------------------------------------------------


def test_challenge_has_one_value_per_algorithm_sha256_first() -> None:
    values = authenticator().challenge(NOW)
    assert len(values) == 2
    params = [parse_authorization(value) for value in values]
    assert [p["algorithm"] for p in params] == ["SHA-256", "MD5"]
    for p in params:
        assert p["realm"] == REALM and p["qop"] == "auth" and "stale" not in p
        assert p["nonce"] == params[0]["nonce"] and p["opaque"] == params[0]["opaque"]
    assert all(value.startswith("Digest realm=") for value in values)


def test_challenge_stale_flag_and_configured_algorithms() -> None:
    values = authenticator(algorithms=("md5",)).challenge(NOW, stale=True)
    assert len(values) == 1
    assert values[0].endswith(", stale=true")
    assert parse_authorization(values[0])["algorithm"] == "MD5"


def test_challenge_quotes_the_realm() -> None:
    auth = DigestAuthenticator('say "hi" \\ there', lookup, SECRET)
    assert parse_authorization(auth.challenge(NOW)[0])["realm"] == 'say "hi" \\ there'


def test_nonces_are_unique() -> None:
    auth = authenticator()
    assert len({fresh(auth) for _ in range(100)}) == 100


# --- accepted requests -----------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_valid_request_is_accepted(algorithm: str) -> None:
    auth = authenticator()
    nonce = challenge_params(auth)["nonce"]
    assert auth.verify("POST", header(nonce, algorithm), NOW) is ADMIN


def test_absent_algorithm_means_md5() -> None:
    auth = authenticator()
    assert auth.verify("POST", header(fresh(auth), algorithm=None), NOW) is ADMIN


def test_absent_algorithm_rejected_when_md5_disabled() -> None:
    auth = authenticator(algorithms=("SHA-256",))
    rejects(auth, header(fresh(auth), algorithm=None), "MD5 is not enabled")


def test_rfc2069_form_without_qop_is_accepted_once() -> None:
    auth = authenticator()
    value = header(fresh(auth), algorithm="MD5", nc=None)
    assert auth.verify("POST", value, NOW) is ADMIN
    with pytest.raises(DigestStale, match="without qop was already used"):
        auth.verify("POST", value, NOW)


def test_nonce_count_may_increase() -> None:
    auth = authenticator()
    nonce = fresh(auth)
    for nc in ("00000001", "00000002", "0000000a"):
        assert auth.verify("POST", header(nonce, nc=nc), NOW) is ADMIN


def test_nonce_is_valid_until_its_lifetime() -> None:
    auth = authenticator(nonce_lifetime=timedelta(seconds=60))
    value = header(fresh(auth))
    assert auth.verify("POST", value, NOW + timedelta(seconds=60)) is ADMIN


def test_request_uri_is_checked_when_given() -> None:
    auth = authenticator()
    nonce = fresh(auth)
    assert auth.verify("POST", header(nonce), NOW, request_uri=URI) is ADMIN
    absolute = header(nonce, uri="http://10.0.0.1" + URI, nc="00000002")
    assert auth.verify("POST", absolute, NOW, request_uri=URI) is ADMIN
    with pytest.raises(NotAuthorized, match="uri does not match"):
        auth.verify("POST", header(nonce, nc="00000003"), NOW, request_uri="/onvif/other")


def test_username_star_is_decoded() -> None:
    user = User("jürgen", "pw", UserLevel.USER)
    auth = DigestAuthenticator(REALM, {"jürgen": user}.get, SECRET)
    value = header(fresh(auth), username="jürgen", password="pw")
    value = value.replace('username="jürgen"', "username*=UTF-8''j%C3%BCrgen")
    assert auth.verify("POST", value, NOW) is user


# --- cross-check with a real client: requests.auth.HTTPDigestAuth ------------------------


@pytest.mark.parametrize("index", [0, 1])
def test_requests_client_is_accepted(index: int) -> None:
    auth = authenticator()
    client = HTTPDigestAuth(ADMIN.username, ADMIN.password)
    client.init_per_thread_state()
    value = auth.challenge(NOW)[index]
    client._thread_local.chal = parse_dict_header(value.removeprefix("Digest "))
    url = "http://192.0.2.1" + URI
    first = client.build_digest_header("POST", url)
    second = client.build_digest_header("POST", url)
    assert first is not None and second is not None
    assert auth.verify("POST", first, NOW, request_uri=URI) is ADMIN
    assert auth.verify("POST", second, NOW, request_uri=URI) is ADMIN
    rejects(auth, first, "already used")


def test_requests_client_with_wrong_password_is_rejected() -> None:
    auth = authenticator()
    client = HTTPDigestAuth(ADMIN.username, "nope")
    client.init_per_thread_state()
    client._thread_local.chal = challenge_params(auth)
    value = client.build_digest_header("POST", "http://192.0.2.1" + URI)
    assert value is not None
    rejects(auth, value, "wrong Digest response")


# --- rejected requests -----------------------------------------------------------------


def test_stale_nonce_raises_digest_stale() -> None:
    auth = authenticator()
    value = header(fresh(auth))
    with pytest.raises(DigestStale, match="expired"):
        auth.verify("POST", value, NOW + timedelta(minutes=5, seconds=1))


def test_nonce_from_the_future_is_stale() -> None:
    auth = authenticator()
    with pytest.raises(DigestStale):
        auth.verify("POST", header(fresh(auth, NOW + timedelta(minutes=6))), NOW)


def test_stale_nonce_with_wrong_password_is_not_authorized_not_stale() -> None:
    auth = authenticator()
    value = header(fresh(auth), password="wrong")
    rejects(auth, value, "wrong Digest response", NOW + timedelta(hours=1))


def test_tampered_nonce_is_rejected() -> None:
    auth = authenticator()
    nonce = fresh(auth)
    tampered = ("B" if nonce[0] == "A" else "A") + nonce[1:]
    rejects(auth, header(tampered), "not issued by this device")
    rejects(auth, header(nonce[:-4] + "AAAA"), "not issued by this device")
    rejects(auth, header("62d82aa9ca59e3a04cd1"), "not issued by this device")


def test_nonce_from_another_device_is_rejected() -> None:
    other = DigestAuthenticator(REALM, lookup, b"another secret of 16+ bytes")
    rejects(authenticator(), header(fresh(other)), "not issued by this device")


def test_wrong_realm_is_rejected() -> None:
    auth = authenticator()
    rejects(auth, header(fresh(auth), realm="other"), "not this device's realm")


def test_nonce_count_replay_is_rejected() -> None:
    auth = authenticator()
    nonce = fresh(auth)
    auth.verify("POST", header(nonce, nc="00000005"), NOW)
    rejects(auth, header(nonce, nc="00000005"), "already used")
    rejects(auth, header(nonce, nc="00000004"), "already used")
    assert auth.verify("POST", header(nonce, nc="00000006"), NOW) is ADMIN


def test_nonce_count_zero_is_rejected() -> None:
    auth = authenticator()
    rejects(auth, header(fresh(auth), nc="00000000"), "already used")


def test_header_too_long_is_rejected() -> None:
    auth = authenticator()
    value = header(fresh(auth), extra=", x=" + "a" * MAX_HEADER_CHARS)
    rejects(auth, value, "longer than 4096")


def test_unknown_user_and_wrong_password() -> None:
    auth = authenticator()
    rejects(auth, header(fresh(auth), username="mallory"), "unknown user")
    rejects(auth, header(fresh(auth), password="wrong"), "wrong Digest response")


def test_wrong_method_is_rejected() -> None:
    auth = authenticator()
    value = header(fresh(auth), method="GET")
    rejects(auth, value, "wrong Digest response")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('uri="/onvif/device_service", ', "", "'uri' is missing"),
        ('realm="ONVIF recorder", ', "", "'realm' is missing"),
        ('username="admin", ', "", "'username' is missing"),
        ("qop=auth", "qop=auth-int", "qop 'auth-int' is not supported"),
        ("nc=00000001, ", "", "nc is missing"),
        ("nc=00000001", "nc=xyz", "nc is missing or not"),
        (', cnonce="0a4f113b"', "", "cnonce is missing"),
        ("algorithm=SHA-256", "algorithm=SHA-512-256", "not supported"),
        ("algorithm=SHA-256", "algorithm=MD5-sess", "not supported"),
        ("Digest ", "Basic ", "does not use the Digest scheme"),
        ('username="admin"', "username=\"admin\", username*=UTF-8''admin", "both username"),
        ('username="admin"', "username*=latin1''admin", "not a UTF-8 ext-value"),
    ],
)
def test_malformed_credentials_are_rejected(old: str, new: str, reason: str) -> None:
    auth = authenticator()
    value = header(fresh(auth))
    assert old in value
    rejects(auth, value.replace(old, new), reason)


def test_userhash_is_rejected() -> None:
    auth = authenticator()
    rejects(auth, header(fresh(auth), extra=", userhash=true"), "userhash")


def test_opaque_mismatch_is_rejected() -> None:
    auth = authenticator()
    opaque = challenge_params(auth)["opaque"]
    assert auth.verify("POST", header(fresh(auth), extra=f', opaque="{opaque}"'), NOW)
    rejects(auth, header(fresh(auth), extra=', opaque="abc"'), "opaque does not match")


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        authenticator().challenge(NOW.replace(tzinfo=None))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"secret": b"short"},
        {"algorithms": ()},
        {"algorithms": ("SHA-1",)},
        {"algorithms": ("MD5", "md5")},
        {"nonce_lifetime": timedelta(0)},
        {"realm": "bad\r\nrealm"},
    ],
)
def test_constructor_validation(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"realm": REALM, "lookup": lookup, "secret": SECRET, **kwargs}
    with pytest.raises(ValueError):
        DigestAuthenticator(**args)  # type: ignore[arg-type]


# --- parse_authorization ---------------------------------------------------------------


def test_parse_quoted_strings_and_case() -> None:
    result = parse_authorization(
        'digest USERNAME="a\\"b", Realm="x, y",uri=/p?q=1 ,  , Nc=00000001,qop="auth"'
    )
    assert result == {
        "username": 'a"b',
        "realm": "x, y",
        "uri": "/p?q=1",
        "nc": "00000001",
        "qop": "auth",
    }


def test_parse_escaped_backslash_and_empty_value() -> None:
    assert parse_authorization(r'Digest a="x\\y\z", b=""') == {"a": "x\\yz", "b": ""}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Digest", "no parameters"),
        ("Digest a=1, A=2", "appears twice"),
        ("Digest a=1 b=2", "missing comma"),
        ('Digest a="unterminated', "malformed"),
        ("Digest =1", "malformed"),
        ("Digest a=1\r\nX-Injected: 1", "control characters"),
        ("Bearer abc", "Digest scheme"),
        ("", "Digest scheme"),
        ("Digest " + "a=b, " * 1000, "longer than"),
    ],
)
def test_parse_rejects(value: str, reason: str) -> None:
    with pytest.raises(NotAuthorized, match=reason):
        parse_authorization(value)


@given(st.text(max_size=300))
def test_parse_arbitrary_text_only_raises_not_authorized(text: str) -> None:
    for candidate in (text, "Digest " + text):
        try:
            result = parse_authorization(candidate)
        except (NotAuthorized, ValueError):
            continue
        assert all(name == name.lower() for name in result)


_NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)
_VALUES = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


@given(st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=8))
def test_parse_round_trips_quoted_values(params: dict[str, str]) -> None:
    quoted = (
        f'{name}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for name, value in params.items()
    )
    assert parse_authorization("Digest " + ", ".join(quoted)) == params


# --- bounded nonce-count map -----------------------------------------------------------


@pytest.mark.slow
def test_nonce_count_map_stays_bounded_under_a_flood() -> None:
    auth = authenticator()
    for i in range(100_000):
        now = NOW + timedelta(milliseconds=i)
        auth.verify("POST", header(fresh(auth, now), algorithm="MD5"), now)
    assert auth.tracked_nonce_count == 10_000


def test_evicted_nonce_is_stale_not_replayable() -> None:
    auth = authenticator(max_tracked_nonces=2)
    first = header(fresh(auth, NOW))
    auth.verify("POST", first, NOW)
    for seconds in (1, 2):
        now = NOW + timedelta(seconds=seconds)
        auth.verify("POST", header(fresh(auth, now)), now)
    assert auth.tracked_nonce_count == 2
    with pytest.raises(DigestStale, match="too old to track"):
        auth.verify("POST", first, NOW + timedelta(seconds=3))
