"""WS-Security UsernameToken parsing and verification (Core "Username token profile",
Base Device Test Specification SECURITY-1-1-1)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from zeep.wsse.username import UsernameToken as ZeepUsernameToken

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.soap.security.nonces import StampedCache
from onvif_recorder.soap.security.username_token import (
    BASE64_BINARY,
    PASSWORD_DIGEST,
    PASSWORD_TEXT,
    WSSE_NS,
    WSU_NS,
    UsernameToken,
    UsernameTokenVerifier,
    parse_created,
    parse_security_header,
    password_digest,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
CREATED = "2025-03-01T12:00:00Z"
ADMIN = User("admin", "s3cret-Pässword", UserLevel.ADMINISTRATOR)
ENV_NS = "http://www.w3.org/2003/05/soap-envelope"


def lookup(name: str) -> User | None:
    return ADMIN if name == ADMIN.username else None


def digest(nonce: bytes, created: str, password: str) -> str:
    """Independent PasswordDigest: Base64(SHA-1(nonce + created + password))."""
    raw = nonce + created.encode("utf-8") + password.encode("utf-8")
    return base64.b64encode(hashlib.sha1(raw).digest()).decode()


def token(
    nonce: bytes | None = b"0123456789abcdef",
    created: str | None = CREATED,
    password: str = ADMIN.password,
    username: str = ADMIN.username,
    password_type: str | None = PASSWORD_DIGEST,
) -> UsernameToken:
    value = password
    if password_type == PASSWORD_DIGEST:
        value = digest(nonce or b"", created or "", password)
    return UsernameToken(
        username=username,
        password=value,
        password_type=password_type,
        nonce=None if nonce is None else base64.b64encode(nonce).decode(),
        nonce_encoding=BASE64_BINARY,
        created=created,
    )


def rejects(verifier: UsernameTokenVerifier, tok: UsernameToken, reason: str) -> None:
    with pytest.raises(NotAuthorized, match=reason):
        verifier.verify(tok, NOW)


# --- known answers and peers -----------------------------------------------------------


def test_password_digest_known_answer() -> None:
    # Worked example from the ONVIF Application Programmer's Guide.
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    result = password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword")
    assert result == "tuOSpGlFlIXsozq4HFNeeGeFLEI="


def zeep_security_header(created: datetime, password: str = ADMIN.password) -> etree._Element:
    """Build the header exactly as zeep does, serialize it, and parse it back as a server."""
    envelope = etree.Element(f"{{{ENV_NS}}}Envelope", nsmap={"soap": ENV_NS})
    etree.SubElement(envelope, f"{{{ENV_NS}}}Body")
    zeep_token = ZeepUsernameToken(  # type: ignore[no-untyped-call]
        ADMIN.username, password, use_digest=True, created=created
    )
    envelope, _ = zeep_token.apply(envelope, {})  # type: ignore[no-untyped-call]
    wire = etree.tostring(envelope)
    security = etree.fromstring(wire).find(f"{{{ENV_NS}}}Header/{{{WSSE_NS}}}Security")
    assert security is not None
    return security


def test_zeep_token_is_accepted() -> None:
    tok = parse_security_header(zeep_security_header(NOW))
    assert tok is not None
    assert tok.password_type == PASSWORD_DIGEST
    assert tok.nonce_encoding == BASE64_BINARY
    assert tok.created == "2025-03-01T12:00:00+00:00"
    assert UsernameTokenVerifier(lookup).verify(tok, NOW) is ADMIN


def test_zeep_token_with_wrong_password_is_rejected() -> None:
    tok = parse_security_header(zeep_security_header(NOW, password="guess"))
    assert tok is not None
    rejects(UsernameTokenVerifier(lookup), tok, "wrong password")


def test_zeep_token_replayed_is_rejected() -> None:
    tok = parse_security_header(zeep_security_header(NOW))
    assert tok is not None
    verifier = UsernameTokenVerifier(lookup)
    verifier.verify(tok, NOW)
    rejects(verifier, tok, "already been used")


# --- acceptance and rejection cases ----------------------------------------------------


def test_valid_digest_token_is_accepted() -> None:
    assert UsernameTokenVerifier(lookup).verify(token(), NOW) is ADMIN


def test_missing_nonce_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(nonce=None), "no Nonce")


def test_missing_created_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(created=None), "no Created")


def test_unparseable_created_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(created="yesterday"), "Created timestamp is inv")


def test_stale_created_in_the_past_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(created="2025-03-01T11:54:59Z"), "in the past")


def test_created_in_the_future_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(created="2025-03-01T12:05:01Z"), "in the future")


def test_created_at_the_edge_of_the_skew_is_accepted() -> None:
    verifier = UsernameTokenVerifier(lookup)
    assert verifier.verify(token(b"a" * 16, created="2025-03-01T11:55:00Z"), NOW) is ADMIN
    assert verifier.verify(token(b"b" * 16, created="2025-03-01T13:05:00+01:00"), NOW) is ADMIN


def test_custom_skew() -> None:
    verifier = UsernameTokenVerifier(lookup, max_clock_skew=timedelta(seconds=30))
    rejects(verifier, token(created="2025-03-01T11:59:29Z"), "in the past")


def test_replayed_nonce_is_rejected() -> None:
    verifier = UsernameTokenVerifier(lookup)
    verifier.verify(token(), NOW)
    rejects(verifier, token(), "already been used")


def test_nonce_is_recorded_only_after_the_digest_verified() -> None:
    verifier = UsernameTokenVerifier(lookup)
    rejects(verifier, token(password="wrong"), "wrong password")
    assert verifier.nonce_cache_size == 0
    assert verifier.verify(token(), NOW) is ADMIN


def test_wrong_password_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(password="wrong"), "wrong password")


def test_garbage_digest_is_rejected() -> None:
    tok = UsernameToken("admin", "not base64!", PASSWORD_DIGEST, "AAAA", None, CREATED)
    rejects(UsernameTokenVerifier(lookup), tok, "wrong password")


def test_unknown_user_is_rejected() -> None:
    rejects(UsernameTokenVerifier(lookup), token(username="mallory"), "unknown user")


def test_password_text_rejected_by_default() -> None:
    rejects(UsernameTokenVerifier(lookup), token(password_type=PASSWORD_TEXT), "PasswordText")


def test_missing_type_means_password_text_and_is_rejected_by_default() -> None:
    rejects(UsernameTokenVerifier(lookup), token(password_type=None), "PasswordText")


def test_password_text_accepted_when_enabled() -> None:
    verifier = UsernameTokenVerifier(lookup, allow_password_text=True)
    assert verifier.verify(token(b"1" * 16, password_type=PASSWORD_TEXT), NOW) is ADMIN
    assert verifier.verify(token(b"2" * 16, password_type=None), NOW) is ADMIN
    rejects(verifier, token(b"3" * 16, password="x", password_type=PASSWORD_TEXT), "wrong pass")


def test_password_text_still_needs_nonce_and_created() -> None:
    verifier = UsernameTokenVerifier(lookup, allow_password_text=True)
    rejects(verifier, token(nonce=None, password_type=PASSWORD_TEXT), "no Nonce")
    rejects(verifier, token(created=None, password_type=PASSWORD_TEXT), "no Created")


def test_unknown_password_type_is_rejected() -> None:
    verifier = UsernameTokenVerifier(lookup, allow_password_text=True)
    rejects(verifier, token(password_type="wsse:PasswordDigest"), "unknown password Type")
    rejects(verifier, token(password_type=PASSWORD_DIGEST + "X"), "unknown password Type")


def test_bad_nonces_are_rejected() -> None:
    verifier = UsernameTokenVerifier(lookup)
    base = token()
    cases = [
        (UsernameToken("admin", base.password, PASSWORD_DIGEST, "", None, CREATED), "empty"),
        (UsernameToken("admin", base.password, PASSWORD_DIGEST, "@@", None, CREATED), "Base64"),
        (UsernameToken("admin", base.password, PASSWORD_DIGEST, "AA==", "hex", CREATED), "Enc"),
        (UsernameToken("admin", base.password, PASSWORD_DIGEST, "A" * 2000, None, CREATED), "long"),
    ]
    for tok, reason in cases:
        rejects(verifier, tok, reason)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UsernameTokenVerifier(lookup).verify(token(), NOW.replace(tzinfo=None))


def test_rejection_reasons_are_distinct() -> None:
    verifier = UsernameTokenVerifier(lookup)
    verifier.verify(token(b"seen-nonce"), NOW)
    bad = [
        token(nonce=None),
        token(created=None),
        token(created="2025-03-01T11:00:00Z"),
        token(created="2025-03-01T13:00:00Z"),
        token(b"seen-nonce"),
        token(password="wrong"),
        token(username="mallory"),
        token(password_type=PASSWORD_TEXT),
        token(password_type="urn:other"),
    ]
    reasons = set()
    for tok in bad:
        with pytest.raises(NotAuthorized) as caught:
            verifier.verify(tok, NOW)
        reasons.add(caught.value.reason)
    assert len(reasons) == len(bad)


# --- parsing ---------------------------------------------------------------------------


def security(inner: str) -> etree._Element:
    return etree.fromstring(
        f'<wsse:Security xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}">{inner}</wsse:Security>'
    )


FULL = (
    "<wsse:UsernameToken><wsse:Username>admin</wsse:Username>"
    f'<wsse:Password Type="{PASSWORD_DIGEST}">abc=</wsse:Password>'
    "<wsse:Nonce>\n  bm9uY2U=\n</wsse:Nonce><wsu:Created> 2025-03-01T12:00:00Z </wsu:Created>"
    "</wsse:UsernameToken>"
)


def test_parse_full_token() -> None:
    assert parse_security_header(security(FULL)) == UsernameToken(
        "admin", "abc=", PASSWORD_DIGEST, "bm9uY2U=", None, "2025-03-01T12:00:00Z"
    )


def test_parse_default_namespace_form_from_the_test_spec() -> None:
    # Base Device Test Specification: "Defaults Namespaces Definition in Each Tag" examples.
    xml = (
        f'<Security xmlns="{WSSE_NS}"><UsernameToken><Username>user</Username>'
        f'<Password Type="{PASSWORD_DIGEST}">5zjIbmvWxVevGlpqg6Qnt9h8Fmo=</Password>'
        "<Nonce>ikcoiK+AmJvA5UpfxTzG8Q==</Nonce>"
        f'<Created xmlns="{WSU_NS}">2011-04-25T09:27:48Z</Created></UsernameToken></Security>'
    )
    tok = parse_security_header(etree.fromstring(xml))
    assert tok is not None
    assert (tok.username, tok.nonce, tok.created) == (
        "user",
        "ikcoiK+AmJvA5UpfxTzG8Q==",
        "2011-04-25T09:27:48Z",
    )


def test_parse_without_token_returns_none() -> None:
    assert parse_security_header(security("<wsu:Timestamp/>")) is None


def test_parse_minimal_token() -> None:
    tok = parse_security_header(
        security(
            "<wsse:UsernameToken><wsse:Username>u</wsse:Username>"
            "<wsse:Password>p</wsse:Password></wsse:UsernameToken>"
        )
    )
    assert tok == UsernameToken("u", "p", None, None, None, None)


@pytest.mark.parametrize(
    ("inner", "reason"),
    [
        (FULL + FULL, "more than one UsernameToken"),
        ("<wsse:UsernameToken><wsse:Password>p</wsse:Password></wsse:UsernameToken>", "no User"),
        ("<wsse:UsernameToken><wsse:Username/><wsse:Password/></wsse:UsernameToken>", "no User"),
        ("<wsse:UsernameToken><wsse:Username>u</wsse:Username></wsse:UsernameToken>", "no Pass"),
        (
            "<wsse:UsernameToken><wsse:Username>u</wsse:Username><wsse:Username>v</wsse:Username>"
            "<wsse:Password>p</wsse:Password></wsse:UsernameToken>",
            "more than one Username",
        ),
        (
            "<wsse:UsernameToken><wsse:Username><b>u</b></wsse:Username>"
            "<wsse:Password>p</wsse:Password></wsse:UsernameToken>",
            "only text",
        ),
    ],
)
def test_parse_malformed_token(inner: str, reason: str) -> None:
    with pytest.raises(NotAuthorized, match=reason):
        parse_security_header(security(inner))


def test_parse_rejects_other_elements() -> None:
    with pytest.raises(NotAuthorized, match="not a wsse:Security"):
        parse_security_header(etree.fromstring("<Security/>"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01T12:00:00Z", datetime(2025, 3, 1, 12, tzinfo=UTC)),
        ("2025-03-01T12:00:00", datetime(2025, 3, 1, 12, tzinfo=UTC)),
        ("2025-03-01T13:30:00+01:30", datetime(2025, 3, 1, 12, tzinfo=UTC)),
        ("2025-03-01T12:00:00.1234567Z", datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_created(text: str, expected: datetime) -> None:
    assert parse_created(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2025-03-01", "2025-13-01T00:00:00Z", "2025-03-01 12:00:00Z", "2025-03-01T12:00:00+15:00"],
)
def test_parse_created_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_created(text)


# --- bounded replay cache --------------------------------------------------------------


@pytest.mark.slow
def test_verifier_nonce_cache_stays_bounded_under_a_flood() -> None:
    verifier = UsernameTokenVerifier(lookup)
    base = NOW - timedelta(seconds=60)
    for i in range(100_000):
        created = (base + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        verifier.verify(token(i.to_bytes(8, "big"), created=created), NOW)
    assert verifier.nonce_cache_size == 10_000


def test_eviction_never_lets_a_replay_through() -> None:
    verifier = UsernameTokenVerifier(lookup, max_nonces=2)
    first = token(b"first", created="2025-03-01T11:59:00Z")
    verifier.verify(first, NOW)
    verifier.verify(token(b"second", created="2025-03-01T11:59:30Z"), NOW)
    verifier.verify(token(b"third", created="2025-03-01T11:59:40Z"), NOW)  # evicts "first"
    assert verifier.nonce_cache_size == 2
    rejects(verifier, first, "too old to rule out a replay")
    assert verifier.verify(token(b"fourth", created=CREATED), NOW) is ADMIN


def test_expired_nonces_are_dropped() -> None:
    verifier = UsernameTokenVerifier(lookup, max_nonces=5)
    verifier.verify(token(b"old"), NOW)
    later = NOW + timedelta(minutes=11)
    verifier.verify(token(b"new", created="2025-03-01T12:11:00Z"), later)
    assert verifier.nonce_cache_size == 1


def test_stamped_cache_bound_with_100000_inserts() -> None:
    cache: StampedCache[int, None] = StampedCache(10_000, timedelta(minutes=10))
    for i in range(100_000):
        cache.put(i, NOW + timedelta(microseconds=i), None, NOW)
        assert len(cache) <= 10_000
    assert len(cache) == 10_000
    assert cache.forgotten(NOW + timedelta(microseconds=89_999))
    assert not cache.forgotten(NOW + timedelta(microseconds=90_000))
    assert 99_999 in cache and 0 not in cache
