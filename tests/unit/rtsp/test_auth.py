"""Client authentication: Basic (RFC 7617) and Digest (RFC 7616, RFC 2617, RFC 2069)."""

from __future__ import annotations

import contextlib
from hashlib import md5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.rtsp.auth import (
    Authenticator,
    Challenge,
    Credentials,
    answer_challenge,
    choose_challenge,
    parse_authorization,
    parse_challenges,
    split_userinfo,
)
from onvif_recorder.rtsp.errors import RemoteProtocolError

RFC2617_CHALLENGE = ('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                     'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
                     'opaque="5ccc069c403ebaf9f0171e9517f40e41"')
RFC7616_SHA256 = ('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
                  'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
                  'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
RFC7616_MD5 = RFC7616_SHA256.replace("algorithm=SHA-256", "algorithm=MD5")
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"


def answer(challenge: str, user: str, password: str, cnonce: str, method: str = "GET",
           uri: str = "/dir/index.html") -> Challenge:
    (parsed,) = parse_challenges([challenge])
    authenticator = Authenticator(Credentials(user, password), parsed, lambda: cnonce)
    return parse_authorization(authenticator.authorize(method, uri))


def test_rfc2617_section_3_5_example() -> None:
    params = answer(RFC2617_CHALLENGE, "Mufasa", "Circle Of Life", "0a4f113b").params
    assert params["response"] == "6629fae49393a05397450978507c4ef1"
    assert (params["qop"], params["nc"], params["cnonce"]) == ("auth", "00000001", "0a4f113b")
    assert params["opaque"] == "5ccc069c403ebaf9f0171e9517f40e41"


@pytest.mark.parametrize(("challenge", "response"), [
    (RFC7616_MD5, "8ca523f5e9506fed4657c9700eebdbec"),
    (RFC7616_SHA256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
])
def test_rfc7616_section_3_9_1_examples(challenge: str, response: str) -> None:
    params = answer(challenge, "Mufasa", "Circle of Life", RFC7616_CNONCE).params
    assert params["response"] == response


def test_gstreamer_digest_without_qop_uses_the_rfc2069_form() -> None:
    (challenge,) = parse_challenges(['Digest realm="GStreamer RTSP Server", nonce="b8e7c1c7"'])
    value = Authenticator(Credentials("admin", "secret"), challenge).authorize(
        "DESCRIBE", "rtsp://127.0.0.1:8554/h264")
    params = parse_authorization(value).params
    assert "qop" not in params and "nc" not in params and "cnonce" not in params
    ha1 = md5(b"admin:GStreamer RTSP Server:secret").hexdigest()
    ha2 = md5(b"DESCRIBE:rtsp://127.0.0.1:8554/h264").hexdigest()
    assert params["response"] == md5(f"{ha1}:b8e7c1c7:{ha2}".encode()).hexdigest()


def test_nonce_count_increments_and_restarts_on_a_new_nonce() -> None:
    (challenge,) = parse_challenges([RFC2617_CHALLENGE])
    authenticator = Authenticator(Credentials("u", "p"), challenge, lambda: "c")
    counts = [parse_authorization(authenticator.authorize("OPTIONS", "rtsp://x/")).params["nc"]
              for _ in range(3)]
    assert counts == ["00000001", "00000002", "00000003"]
    authenticator.renew(Challenge("Digest", {**challenge.params, "nonce": "new"}))
    assert parse_authorization(authenticator.authorize("PLAY", "rtsp://x/")).params["nc"] == (
        "00000001")


def test_hikvision_two_challenge_headers_prefer_digest() -> None:
    challenges = parse_challenges([
        'Digest realm="IP Camera(C6496)", nonce="a8c5f0a7", stale="FALSE"',
        'Basic realm="IP Camera(C6496)"'])
    assert [c.scheme for c in challenges] == ["Digest", "Basic"]
    chosen = choose_challenge(challenges)
    assert chosen is not None and chosen.scheme == "Digest"


def test_several_challenges_in_one_header_prefer_sha256() -> None:
    challenges = parse_challenges([f"Basic realm=x, {RFC7616_MD5}, {RFC7616_SHA256}"])
    assert len(challenges) == 3
    chosen = choose_challenge(challenges)
    assert chosen is not None and chosen.algorithm == "SHA-256"
    assert choose_challenge(parse_challenges(['Negotiate abc==', 'Bearer realm="x"'])) is None


def test_basic() -> None:
    (challenge,) = parse_challenges(['Basic realm="cam"'])
    value = Authenticator(Credentials("Aladdin", "open sesame"), challenge).authorize("x", "y")
    assert value == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert parse_authorization(value).params == {"token68": "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}


def test_userhash_and_md5_sess() -> None:
    challenge = RFC7616_SHA256 + ", userhash=true"
    params = answer(challenge, "Mufasa", "Circle of Life", RFC7616_CNONCE).params
    assert params["userhash"] == "true" and params["username"] != "Mufasa"
    sess = answer(RFC2617_CHALLENGE + ", algorithm=MD5-sess", "u", "p", "c").params
    assert sess["algorithm"] == "MD5-SESS" and len(sess["response"]) == 32


@pytest.mark.parametrize(("url", "clean", "credentials"), [
    ("rtsp://admin:secret@127.0.0.1:8554/h264", "rtsp://127.0.0.1:8554/h264",
     Credentials("admin", "secret")),
    ("rtsp://us%40er:p%3Ass@cam/Streaming/Channels/101?x=1", "rtsp://cam/Streaming/Channels/101?x=1",
     Credentials("us@er", "p:ss")),
    ("rtsp://viewer@[fe80::1]:554/s", "rtsp://[fe80::1]:554/s", Credentials("viewer", "")),
    ("rtsp://cam/s", "rtsp://cam/s", None),
])
def test_credentials_from_url_userinfo(url: str, clean: str,
                                       credentials: Credentials | None) -> None:
    assert split_userinfo(url) == (clean, credentials)


def test_answer_challenge_retries_once_and_twice_when_stale() -> None:
    creds = Credentials("u", "p")
    first = answer_challenge(None, creds, [RFC2617_CHALLENGE], 0)
    assert first is not None
    assert answer_challenge(first, creds, [RFC2617_CHALLENGE], 1) is None
    stale = RFC2617_CHALLENGE + ", stale=true"
    assert answer_challenge(first, creds, [stale], 1) is first
    assert answer_challenge(first, creds, [stale], 2) is None
    assert answer_challenge(None, None, [RFC2617_CHALLENGE], 0) is None


def test_malformed_challenges() -> None:
    with pytest.raises(RemoteProtocolError):
        parse_challenges(['Digest realm="x" nonce'])
    with pytest.raises(RemoteProtocolError):
        parse_challenges(["x" * 5000])


@given(st.text(max_size=120))
def test_challenge_parsing_raises_only_remote_protocol_errors(value: str) -> None:
    with contextlib.suppress(RemoteProtocolError):
        for challenge in parse_challenges([value]):
            if choose_challenge([challenge]) is not None:
                Authenticator(Credentials("u", "p"), challenge).authorize("OPTIONS", "rtsp://x/")
