"""Authentication and authorization over real HTTP (ONVIF Core "Security"; conformance §2.0,
§4.3, §4.4; Base Device Test Specification SECURITY-1-1-1 and SECURITY-1-1-2).

* Authentication discovery: no credentials → HTTP 401 with Digest challenges (SHA-256 and
  MD5), PRE_AUTH operations answer anonymously.
* HTTP Digest (RFC 7616 §3.4.1), computed here independently of the product, including
  replay, wrong password, wrong target and a stale nonce (on a server with a fake clock).
* WS-UsernameToken: every malformed token of SECURITY-1-1-1 and more is refused with
  ``env:Sender/ter:NotAuthorized``.
* Core's Default Access Policy for each user level, for each access class the device has.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep.exceptions
from lxml import etree

from onvif_recorder.app import build_app, build_services
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.settings import RecorderSettings
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder, _ServerThread
from tests.integration.helpers import recording_configuration
from tests.onvif_client import (
    fault_chain,
    onvif_service,
    onvif_service_with_recorder,
    render_request,
    validate_body,
)
from tests.soap_raw import envelope, fault_chain_of

SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
NOT_AUTHORIZED = ["Sender", "NotAuthorized"]
RECORDING_PATH = "/onvif/recording_service"
GET_RECORDINGS = envelope("<trc:GetRecordings/>")

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_TEXT = _PROFILE + "#PasswordText"
PASSWORD_DIGEST = _PROFILE + "#PasswordDigest"

OPERATOR = ("op1", "Operator-Pass-1")
PLAIN_USER = ("user1", "User-Pass-1")


# --------------------------------------------------------------------------- helpers


def post(
    url: str, data: bytes, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> requests.Response:
    """A raw POST without any authentication of its own."""
    return requests.post(
        url,
        data=data,
        headers={"Content-Type": SOAP_CONTENT_TYPE, **(headers or {})},
        timeout=timeout,
    )


def assert_fault(response: requests.Response, status: int, chain: list[str]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
    assert fault_chain_of(response) == chain, response.text
    validate_body(response.content)


def assert_ok(response: requests.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == SOAP_CONTENT_TYPE
    validate_body(response.content)


_CHALLENGE_PARAM = re.compile(r'([A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def challenges(response: requests.Response) -> list[dict[str, str]]:
    """Each WWW-Authenticate header of a response, parsed (names lower case; "scheme")."""
    values: list[str] = response.raw.headers.getlist("WWW-Authenticate")
    parsed: list[dict[str, str]] = []
    for value in values:
        scheme, _, rest = value.strip().partition(" ")
        params = {
            m[0].lower(): m[1] if m[2] == "" else m[2] for m in _CHALLENGE_PARAM.findall(rest)
        }
        parsed.append({"scheme": scheme, **params})
    return parsed


def challenge_for(response: requests.Response, algorithm: str) -> dict[str, str]:
    assert response.status_code == 401, response.text
    [found] = [c for c in challenges(response) if c.get("algorithm", "MD5") == algorithm]
    return found


_HASHES: dict[str, Callable[[bytes], Any]] = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def digest_authorization(
    challenge: dict[str, str],
    *,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    method: str = "POST",
    cnonce: str | None = None,
) -> str:
    """An RFC 7616 §3.4.1 ``Authorization`` value with qop=auth for ``challenge``."""
    algorithm = challenge.get("algorithm", "MD5")

    def h(text: str) -> str:
        return str(_HASHES[algorithm](text.encode("utf-8")).hexdigest())

    cnonce = cnonce or secrets.token_hex(8)
    count = f"{nc:08x}"
    ha1 = h(f"{username}:{challenge['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    response = h(f"{ha1}:{challenge['nonce']}:{count}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{username}", realm="{challenge["realm"]}", '
        f'nonce="{challenge["nonce"]}", uri="{uri}", algorithm={algorithm}, qop=auth, '
        f'nc={count}, cnonce="{cnonce}", response="{response}", opaque="{challenge["opaque"]}"'
    )


def fresh_challenge(url: str, algorithm: str) -> dict[str, str]:
    return challenge_for(post(url, GET_RECORDINGS), algorithm)


def add_users(recorder: RunningRecorder) -> None:
    recorder.services.users.create_users(
        [
            User(OPERATOR[0], OPERATOR[1], UserLevel.OPERATOR),
            User(PLAIN_USER[0], PLAIN_USER[1], UserLevel.USER),
        ]
    )


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (RECORDING_PATH, "<trc:GetRecordings/>"),  # READ_MEDIA
        ("/onvif/device_service", "<tds:GetUsers/>"),  # the example of SECURITY-1-1-2
    ],
)
def test_anonymous_call_is_challenged_for_digest(
    recorder: RunningRecorder, path: str, body: str
) -> None:
    response = post(recorder.url + path, envelope(body))
    assert_fault(response, 401, NOT_AUTHORIZED)
    found = challenges(response)
    assert found and all(c["scheme"].lower() == "digest" for c in found), found
    for challenge in found:
        assert challenge["realm"] and challenge["nonce"], challenge
        assert challenge["qop"] == "auth", challenge
        assert "stale" not in challenge
    assert {c.get("algorithm", "MD5") for c in found} >= {"SHA-256", "MD5"}


def test_pre_auth_operations_answer_anonymously(recorder: RunningRecorder) -> None:
    for name in ("recording", "receiver", "device"):
        svc, rec = onvif_service_with_recorder(name, recorder.service_url(name))
        caps = svc.GetServiceCapabilities()
        assert caps is not None and rec.last_status == 200
        validate_body(rec.last)
    svc, rec = onvif_service_with_recorder("device", recorder.service_url("device"))
    svc.GetSystemDateAndTime()  # clients call it first, to learn the clock for WS-Security
    validate_body(rec.last)


# --------------------------------------------------------------------------- HTTP Digest


def test_http_digest_with_zeep(recorder: RunningRecorder) -> None:
    url = recorder.service_url("recording")
    svc, rec = onvif_service_with_recorder(
        "recording",
        url,
        username=recorder.admin_user,
        password=recorder.admin_password,
        digest=True,
    )
    token = svc.CreateRecording(RecordingConfiguration=recording_configuration())
    validate_body(rec.last)
    assert token in [item.RecordingToken for item in svc.GetRecordings()]
    validate_body(rec.last)
    assert b"Security" not in rec.last_request  # HTTP level only, no WS-Security header


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_handmade_digest_is_accepted(recorder: RunningRecorder, algorithm: str) -> None:
    url = recorder.service_url("recording")
    challenge = fresh_challenge(url, algorithm)
    for nc in (1, 2):  # RFC 7616 §3.4: a nonce may be reused with a higher nonce count
        authorization = digest_authorization(
            challenge,
            uri=RECORDING_PATH,
            username=recorder.admin_user,
            password=recorder.admin_password,
            nc=nc,
        )
        assert_ok(post(url, GET_RECORDINGS, {"Authorization": authorization}))


def test_digest_wrong_password_is_challenged_again(recorder: RunningRecorder) -> None:
    url = recorder.service_url("recording")
    challenge = fresh_challenge(url, "MD5")
    authorization = digest_authorization(
        challenge, uri=RECORDING_PATH, username=recorder.admin_user, password="wrong"
    )
    response = post(url, GET_RECORDINGS, {"Authorization": authorization})
    assert_fault(response, 401, NOT_AUTHORIZED)
    assert all("stale" not in c for c in challenges(response))
    assert challenge_for(response, "MD5")["nonce"] != challenge["nonce"]


def test_digest_unknown_user_and_foreign_target_are_refused(recorder: RunningRecorder) -> None:
    url = recorder.service_url("recording")
    challenge = fresh_challenge(url, "SHA-256")
    unknown = digest_authorization(
        challenge, uri=RECORDING_PATH, username="nobody", password="whatever"
    )
    assert_fault(post(url, GET_RECORDINGS, {"Authorization": unknown}), 401, NOT_AUTHORIZED)
    # A response computed for another request target must not be accepted here.
    elsewhere = digest_authorization(
        challenge,
        uri="/onvif/receiver_service",
        username=recorder.admin_user,
        password=recorder.admin_password,
    )
    assert_fault(post(url, GET_RECORDINGS, {"Authorization": elsewhere}), 401, NOT_AUTHORIZED)


def test_digest_replay_is_refused(recorder: RunningRecorder) -> None:
    url = recorder.service_url("recording")
    challenge = fresh_challenge(url, "SHA-256")
    authorization = digest_authorization(
        challenge,
        uri=RECORDING_PATH,
        username=recorder.admin_user,
        password=recorder.admin_password,
        nc=5,
    )
    assert_ok(post(url, GET_RECORDINGS, {"Authorization": authorization}))
    replayed = post(url, GET_RECORDINGS, {"Authorization": authorization})
    assert_fault(replayed, 401, NOT_AUTHORIZED)
    lower = digest_authorization(
        challenge,
        uri=RECORDING_PATH,
        username=recorder.admin_user,
        password=recorder.admin_password,
        nc=4,
    )
    assert_fault(post(url, GET_RECORDINGS, {"Authorization": lower}), 401, NOT_AUTHORIZED)


@dataclass
class FakeClock:
    """The server's clock, settable from the test (read by the server's thread)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[RunningRecorder, FakeClock]]:
    """A recorder like the ``recorder`` fixture, but whose clock the test moves."""
    clock = FakeClock()
    settings = RecorderSettings(data_dir=tmp_path / "data")
    services = build_services(settings)
    services.users.ensure_initial_administrator(ADMIN_USER, ADMIN_PASSWORD)
    thread = _ServerThread(build_app(settings, services, clock=clock))
    thread.start()
    assert thread.ready.wait(10), "the recorder did not start"
    yield RunningRecorder(f"http://127.0.0.1:{thread.port}", settings.data_dir, services), clock
    thread.stop()


def test_stale_digest_nonce_is_rechallenged_with_stale_true(
    clocked: tuple[RunningRecorder, FakeClock],
) -> None:
    recorder, clock = clocked
    url = recorder.service_url("recording")
    old = fresh_challenge(url, "MD5")
    clock.now += timedelta(minutes=30)

    def authorization(challenge: dict[str, str], password: str) -> dict[str, str]:
        value = digest_authorization(
            challenge, uri=RECORDING_PATH, username=recorder.admin_user, password=password
        )
        return {"Authorization": value}

    # RFC 7616 §3.3: stale=true only when the response was right but the nonce too old.
    wrong = post(url, GET_RECORDINGS, authorization(old, "wrong"))
    assert_fault(wrong, 401, NOT_AUTHORIZED)
    assert all("stale" not in c for c in challenges(wrong))
    stale = post(url, GET_RECORDINGS, authorization(old, recorder.admin_password))
    assert_fault(stale, 401, NOT_AUTHORIZED)
    assert {c.get("stale", "").lower() for c in challenges(stale)} == {"true"}
    renewed = challenge_for(stale, "MD5")
    assert renewed["nonce"] != old["nonce"]
    assert_ok(post(url, GET_RECORDINGS, authorization(renewed, recorder.admin_password)))


# --------------------------------------------------------------------------- UsernameToken


def test_username_token_with_zeep(recorder: RunningRecorder) -> None:
    svc, rec = onvif_service_with_recorder(
        "device",
        recorder.service_url("device"),
        username=recorder.admin_user,
        password=recorder.admin_password,
    )
    users = svc.GetUsers()
    validate_body(rec.last)
    assert recorder.admin_user in [u.Username for u in users]
    assert b"PasswordDigest" in rec.last_request


def _now_text(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token_envelope(
    template: bytes,
    *,
    username: str,
    password: str,
    nonce: bytes | None,
    created: str | None,
    password_type: str | None = PASSWORD_DIGEST,
) -> bytes:
    """``template`` (rendered by zeep with a UsernameToken) with the token rewritten.

    The PasswordDigest is recomputed from exactly the parts that are sent, so a token
    without Nonce or Created is wrong *only* in what it lacks.
    """
    root = etree.fromstring(template)
    token = root.find(f".//{{{WSSE}}}UsernameToken")
    assert token is not None
    fields = {
        "Username": token.find(f"{{{WSSE}}}Username"),
        "Password": token.find(f"{{{WSSE}}}Password"),
        "Nonce": token.find(f"{{{WSSE}}}Nonce"),
        "Created": token.find(f"{{{WSU}}}Created"),
    }
    username_element, password_element = fields["Username"], fields["Password"]
    nonce_element, created_element = fields["Nonce"], fields["Created"]
    assert username_element is not None and password_element is not None
    assert nonce_element is not None and created_element is not None
    username_element.text = username
    if nonce is None:
        token.remove(nonce_element)
    else:
        nonce_element.text = base64.b64encode(nonce).decode()
    if created is None:
        token.remove(created_element)
    else:
        created_element.text = created
    if password_type is None:
        del password_element.attrib["Type"]  # WSS: no Type means PasswordText
    else:
        password_element.set("Type", password_type)
    if password_type == PASSWORD_DIGEST:
        raw = (nonce or b"") + (created or "").encode() + password.encode()
        password_element.text = base64.b64encode(hashlib.sha1(raw).digest()).decode()
    else:
        password_element.text = password
    return etree.tostring(root)


@pytest.fixture
def get_users_template(recorder: RunningRecorder) -> bytes:
    """tds:GetUsers (READ_SYSTEM_SECRET, SECURITY-1-1-1's example) with zeep's token."""
    svc = onvif_service(
        "device",
        recorder.service_url("device"),
        username=recorder.admin_user,
        password=recorder.admin_password,
    )
    return render_request(svc, "GetUsers")


def test_username_token_built_here_is_accepted(
    recorder: RunningRecorder, get_users_template: bytes
) -> None:
    """The control for the rejections below: the same builder, nothing missing."""
    data = token_envelope(
        get_users_template,
        username=recorder.admin_user,
        password=recorder.admin_password,
        nonce=os.urandom(16),
        created=_now_text(),
    )
    assert_ok(post(recorder.service_url("device"), data))


@pytest.mark.parametrize(
    "variant",
    [
        "missing nonce",
        "missing created",
        "created 10 minutes ago",
        "created 10 minutes ahead",
        "created not a dateTime",
        "PasswordText",
        "no password Type",
        "wrong password",
        "unknown user",
    ],
)
def test_username_token_rejections(
    recorder: RunningRecorder, get_users_template: bytes, variant: str
) -> None:
    user, password = recorder.admin_user, recorder.admin_password
    nonce: bytes | None = os.urandom(16)
    created: str | None = _now_text()
    password_type: str | None = PASSWORD_DIGEST
    if variant == "missing nonce":
        nonce = None
    elif variant == "missing created":
        created = None
    elif variant == "created 10 minutes ago":
        created = _now_text(-timedelta(minutes=10))
    elif variant == "created 10 minutes ahead":
        created = _now_text(timedelta(minutes=10))
    elif variant == "created not a dateTime":
        created = "yesterday"
    elif variant == "PasswordText":
        password_type = PASSWORD_TEXT
    elif variant == "no password Type":
        password_type = None
    elif variant == "wrong password":
        password = "not-the-password"
    else:
        user = "nobody"
    data = token_envelope(
        get_users_template,
        username=user,
        password=password,
        nonce=nonce,
        created=created,
        password_type=password_type,
    )
    response = post(recorder.service_url("device"), data)
    # Core: a WS-level rejection is a SOAP fault, HTTP 400 (not a Digest challenge).
    assert_fault(response, 400, NOT_AUTHORIZED)
    assert b"Admin-Pass" not in response.content


def test_username_token_nonce_cannot_be_reused(recorder: RunningRecorder) -> None:
    svc = onvif_service(
        "recording",
        recorder.service_url("recording"),
        username=recorder.admin_user,
        password=recorder.admin_password,
    )
    data = render_request(svc, "GetRecordings")
    assert_ok(post(recorder.service_url("recording"), data))
    assert_fault(post(recorder.service_url("recording"), data), 400, NOT_AUTHORIZED)


def test_both_layers_are_checked(recorder: RunningRecorder, get_users_template: bytes) -> None:
    """Core: HTTP credentials are checked first, then the WS-Security ones, and both count."""
    url = recorder.service_url("device")
    good_token = token_envelope(
        get_users_template,
        username=recorder.admin_user,
        password=recorder.admin_password,
        nonce=os.urandom(16),
        created=_now_text(),
    )
    challenge = challenge_for(post(url, envelope("<tds:GetUsers/>")), "MD5")
    bad_digest = digest_authorization(
        challenge, uri="/onvif/device_service", username=recorder.admin_user, password="wrong"
    )
    response = post(url, good_token, {"Authorization": bad_digest})
    assert_fault(response, 401, NOT_AUTHORIZED)

    bad_token = token_envelope(
        get_users_template,
        username=recorder.admin_user,
        password="wrong",
        nonce=os.urandom(16),
        created=_now_text(),
    )
    good_digest = digest_authorization(
        challenge,
        uri="/onvif/device_service",
        username=recorder.admin_user,
        password=recorder.admin_password,
        nc=2,
    )
    assert_fault(post(url, bad_token, {"Authorization": good_digest}), 400, NOT_AUTHORIZED)


# --------------------------------------------------------------------------- access policy

ANONYMOUS, USER, OPERATOR_LEVEL, ADMINISTRATOR = "Anonymous", "User", "Operator", "Administrator"

# Core "Default Access Policy Definition" (conformance §4.4): who may call each class.
DEFAULT_ACCESS_POLICY: dict[str, set[str]] = {
    "PRE_AUTH": {ADMINISTRATOR, OPERATOR_LEVEL, USER, ANONYMOUS},
    "READ_SYSTEM": {ADMINISTRATOR, OPERATOR_LEVEL, USER},
    "READ_SYSTEM_SECRET": {ADMINISTRATOR},
    "WRITE_SYSTEM": {ADMINISTRATOR},
    "READ_MEDIA": {ADMINISTRATOR, OPERATOR_LEVEL, USER},
    "ACTUATE": {ADMINISTRATOR, OPERATOR_LEVEL},
}

RECEIVER_CONFIGURATION = {
    "Mode": "NeverConnect",
    "MediaUri": "rtsp://192.0.2.20:554/stream1",
    "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "UDP"}},
}
NEW_USER = {"Username": "made-by-test", "Password": "Made-Pass-1", "UserLevel": "User"}

# (service, operation, access class as its service specification states it, arguments)
CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("recording", "GetServiceCapabilities", "PRE_AUTH", {}),
    ("recording", "GetRecordings", "READ_MEDIA", {}),
    (
        "recording",
        "CreateRecording",
        "ACTUATE",
        {"RecordingConfiguration": recording_configuration()},
    ),
    ("receiver", "GetServiceCapabilities", "PRE_AUTH", {}),
    ("receiver", "GetReceivers", "READ_MEDIA", {}),
    ("receiver", "CreateReceiver", "ACTUATE", {"Configuration": RECEIVER_CONFIGURATION}),
    ("device", "GetSystemDateAndTime", "PRE_AUTH", {}),
    ("device", "GetDeviceInformation", "READ_SYSTEM", {}),
    ("device", "GetUsers", "READ_SYSTEM_SECRET", {}),
    ("device", "CreateUsers", "WRITE_SYSTEM", {"User": [NEW_USER]}),
]

CALLERS = [(ANONYMOUS, "none")] + [
    (level, method)
    for level in (USER, OPERATOR_LEVEL, ADMINISTRATOR)
    for method in ("UsernameToken", "Digest")
]


def credentials(recorder: RunningRecorder, level: str) -> tuple[str | None, str | None]:
    return {
        ANONYMOUS: (None, None),
        USER: PLAIN_USER,
        OPERATOR_LEVEL: OPERATOR,
        ADMINISTRATOR: (recorder.admin_user, recorder.admin_password),
    }[level]


def call_outcome(
    recorder: RunningRecorder,
    service: str,
    operation: str,
    arguments: dict[str, Any],
    level: str,
    method: str,
) -> str:
    """``ok``, or ``<HTTP status> <fault chain>`` for one call as ``level``."""
    username, password = credentials(recorder, level)
    svc, rec = onvif_service_with_recorder(
        service,
        recorder.service_url(service),
        username=username,
        password=password,
        digest=method == "Digest",
    )
    try:
        getattr(svc, operation)(**arguments)
    except zeep.exceptions.Fault as fault:
        validate_body(rec.last)
        headers = rec.last_exchange.headers
        assert headers["Content-Type"] == SOAP_CONTENT_TYPE
        if rec.last_status == 401:
            assert "Digest" in headers.get("WWW-Authenticate", ""), headers
        return f"{rec.last_status} {'/'.join(fault_chain(fault))}"
    validate_body(rec.last)
    return "ok"


@pytest.mark.parametrize(("level", "method"), CALLERS)
def test_default_access_policy(recorder: RunningRecorder, level: str, method: str) -> None:
    add_users(recorder)
    actual: dict[str, str] = {}
    expected: dict[str, str] = {}
    for service, operation, access, arguments in CALLS:
        name = f"{service}.{operation} ({access})"
        actual[name] = call_outcome(recorder, service, operation, arguments, level, method)
        if level in DEFAULT_ACCESS_POLICY[access]:
            expected[name] = "ok"
        elif level == ANONYMOUS:
            expected[name] = "401 Sender/NotAuthorized"  # Core: the Digest challenge
        else:
            expected[name] = "400 Sender/NotAuthorized"  # authenticated, not authorized
    assert actual == expected


def test_refused_calls_change_nothing(recorder: RunningRecorder) -> None:
    add_users(recorder)
    url = recorder.service_url("recording")
    admin, admin_rec = onvif_service_with_recorder(
        "recording", url, username=recorder.admin_user, password=recorder.admin_password
    )
    existing = admin.CreateRecording(RecordingConfiguration=recording_configuration())
    before = [item.RecordingToken for item in admin.GetRecordings()]
    user, rec = onvif_service_with_recorder(
        "recording", url, username=PLAIN_USER[0], password=PLAIN_USER[1]
    )
    for operation, arguments in [
        ("CreateRecording", {"RecordingConfiguration": recording_configuration()}),
        ("DeleteRecording", {"RecordingToken": existing}),
        ("DeleteTrack", {"RecordingToken": existing, "TrackToken": "VIDEO001"}),
    ]:
        with pytest.raises(zeep.exceptions.Fault) as caught:
            getattr(user, operation)(**arguments)
        assert fault_chain(caught.value) == NOT_AUTHORIZED
        validate_body(rec.last)
    after = admin.GetRecordings()
    validate_body(admin_rec.last)
    assert [item.RecordingToken for item in after] == before
    [item] = [i for i in after if i.RecordingToken == existing]
    assert {t.TrackToken for t in item.Tracks.Track} == {"VIDEO001", "AUDIO001", "META001"}

    # An Operator may actuate but not change the user base.
    operator, op_rec = onvif_service_with_recorder(
        "device", recorder.service_url("device"), username=OPERATOR[0], password=OPERATOR[1]
    )
    with pytest.raises(zeep.exceptions.Fault) as caught:
        operator.CreateUsers(User=[NEW_USER])
    assert fault_chain(caught.value) == NOT_AUTHORIZED
    validate_body(op_rec.last)
    assert recorder.services.users.lookup(str(NEW_USER["Username"])) is None
