"""Offline zeep clients and XSD validation built from the official ONVIF WSDL/XSD files.

Everything here works without network access: the WSDLs and schemas are the unmodified
copies under ``tests/data/onvif/`` (see the README there), and every ``http(s)://`` schema
URL they reference is mapped by file name to ``tests/data/onvif/external/``.  Only the SOAP
operations themselves go over HTTP, to the server under test.

Typical use in a test::

    svc, rec = onvif_service_with_recorder("recording", url, username="admin", password="pw")
    svc.GetRecordings()
    validate_body(rec.last)               # raw bytes of the last HTTP response

    try:
        svc.DeleteRecording(RecordingToken="nope")
    except zeep.exceptions.Fault as exc:
        assert fault_chain(exc) == ["Sender", "InvalidArgVal", "NoRecording"]
    validate_body(rec.last)               # the env:Fault is validated too

zeep renders what the schema requires: to send something the schema forbids, such as the
test tool's ``SourceToken`` without ``Token``, pass ``zeep.xsd.SkipValue``::

    svc.CreateRecordingJob(JobConfiguration={..., "Source": [{"SourceToken": {
        "Token": zeep.xsd.SkipValue, "Type": "http://www.onvif.org/ver10/schema/Receiver"},
        "AutoCreateReceiver": True}]})

Public API: :data:`DATA_DIR`, :data:`VERSIONS`, :data:`BINDINGS`, :func:`wsdl_path`,
:func:`available`, :class:`OfflineTransport`, :class:`ResponseRecorder`,
:class:`Exchange`, :func:`load_document`, :func:`onvif_service`,
:func:`onvif_service_with_recorder`, :func:`render_request`, :func:`fault_chain`,
:func:`body_element`, :func:`validate_body`, :func:`get_schema`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree
from requests.auth import HTTPDigestAuth
from zeep.transports import Transport
from zeep.wsdl import Document
from zeep.wsse.username import UsernameToken

__all__ = [
    "BINDINGS",
    "DATA_DIR",
    "EXTERNAL_DIR",
    "SOAP12_ENV",
    "VERSIONS",
    "Exchange",
    "OfflineTransport",
    "ResponseRecorder",
    "available",
    "body_element",
    "fault_chain",
    "get_schema",
    "load_document",
    "local_copy",
    "onvif_service",
    "onvif_service_with_recorder",
    "render_request",
    "validate_body",
    "wsdl_path",
]

DATA_DIR = Path(__file__).resolve().parent / "data" / "onvif"
"""Root of the copied ONVIF files: ``<version>/wsdl/...`` and ``external/``."""

EXTERNAL_DIR = DATA_DIR / "external"
"""Local copies of the W3C/OASIS schemas the ONVIF files import by URL."""

VERSIONS: tuple[str, ...] = ("25.12", "20.06", "26.06")
"""ONVIF releases whose WSDLs are copied (20.06 only has recording, receiver and device;
26.06 only recording, for its segment operations and StorageStrategy)."""

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"

_DEVICE = "{http://www.onvif.org/ver10/device/wsdl}"
_RECORDING = "{http://www.onvif.org/ver10/recording/wsdl}"
_RECEIVER = "{http://www.onvif.org/ver10/receiver/wsdl}"
_EVENTS = "{http://www.onvif.org/ver10/events/wsdl}"
_SEARCH = "{http://www.onvif.org/ver10/search/wsdl}"
_REPLAY = "{http://www.onvif.org/ver10/replay/wsdl}"
_SCHEDULE = "{http://www.onvif.org/ver10/schedule/wsdl}"
_SECURITY = "{http://www.onvif.org/ver10/advancedsecurity/wsdl}"
_SECURITY_WSDL = "ver10/advancedsecurity/wsdl/advancedsecurity.wsdl"
_EVENT_WSDL = "ver10/events/wsdl/event.wsdl"

BINDINGS: dict[str, tuple[str, str]] = {
    "device": ("ver10/device/wsdl/devicemgmt.wsdl", _DEVICE + "DeviceBinding"),
    "recording": ("ver10/recording.wsdl", _RECORDING + "RecordingBinding"),
    "receiver": ("ver10/receiver.wsdl", _RECEIVER + "ReceiverBinding"),
    # Event service: CreatePullPointSubscription, GetEventProperties, GetServiceCapabilities.
    "events": (_EVENT_WSDL, _EVENTS + "EventBinding"),
    # PullMessages, Seek, SetSynchronizationPoint, Unsubscribe (on the subscription address).
    "pullpoint": (_EVENT_WSDL, _EVENTS + "PullPointSubscriptionBinding"),
    # WS-BaseNotification Renew / Unsubscribe (on the subscription address).
    "subscription": (_EVENT_WSDL, _EVENTS + "SubscriptionManagerBinding"),
    # WS-BaseNotification Subscribe / GetCurrentMessage (basic notification interface).
    "notification_producer": (_EVENT_WSDL, _EVENTS + "NotificationProducerBinding"),
    "search": ("ver10/search.wsdl", _SEARCH + "SearchBinding"),
    "replay": ("ver10/replay.wsdl", _REPLAY + "ReplayBinding"),
    "schedule": ("ver10/schedule/wsdl/schedule.wsdl", _SCHEDULE + "ScheduleBinding"),
    # Advanced Security: GetServiceCapabilities, and the Keystore port type's operations.
    "advancedsecurity": (_SECURITY_WSDL, _SECURITY + "AdvancedSecurityServiceBinding"),
    "keystore": (_SECURITY_WSDL, _SECURITY + "KeystoreBinding"),
}
"""Short service name -> (WSDL path relative to ``<version>/wsdl``, binding QName)."""


def wsdl_path(name: str, version: str = "25.12") -> Path:
    """Absolute path of the WSDL behind ``BINDINGS[name]`` in ONVIF release ``version``."""
    rel, _ = BINDINGS[name]
    return DATA_DIR / version / "wsdl" / rel


def available(name: str, version: str = "25.12") -> bool:
    """True if the WSDL for service ``name`` was copied for ``version``."""
    return wsdl_path(name, version).is_file()


def local_copy(url: str) -> Path:
    """Map an http(s) schema URL to its copy in ``external/`` by file name.

    Mapping by file name (not by full URL) is deliberate: the copies import their
    neighbours by relative path, which resolves against whatever remote URL the first
    file was requested under (``http://docs.oasis-open.org/wsn/ws-addr.xsd``, ...).

    Raises OSError if there is no local copy, so nothing ever falls back to the network.
    """
    name = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    path = EXTERNAL_DIR / name
    if not name or not path.is_file():
        raise OSError(f"offline: no local copy of {url} in {EXTERNAL_DIR}")
    return path


# --------------------------------------------------------------------------- zeep side


@dataclass
class Exchange:
    """One HTTP request/response as seen on the wire by :class:`OfflineTransport`."""

    address: str
    request: bytes
    status: int
    headers: dict[str, str]
    response: bytes


@dataclass
class ResponseRecorder:
    """Records the raw HTTP exchanges of the services it is attached to.

    It is fed by :class:`OfflineTransport` (not by a zeep ``Plugin``): that way it keeps the
    response body byte for byte as the server sent it, and the HTTP status, and it also
    records responses that zeep cannot parse (for which zeep raises before any plugin runs).
    """

    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def last_exchange(self) -> Exchange:
        """The most recent exchange; AssertionError if nothing was sent yet."""
        if not self.exchanges:
            raise AssertionError("ResponseRecorder: no HTTP exchange recorded yet")
        return self.exchanges[-1]

    @property
    def last(self) -> bytes:
        """Raw body of the last HTTP response, as the server sent it."""
        return self.last_exchange.response

    @property
    def last_status(self) -> int:
        """HTTP status code of the last response."""
        return self.last_exchange.status

    @property
    def last_request(self) -> bytes:
        """Raw body of the last request the client sent."""
        return self.last_exchange.request

    def clear(self) -> None:
        self.exchanges.clear()


class OfflineTransport(Transport):
    """A zeep transport that never fetches schemas from the network.

    ``load(url)`` (used by zeep for WSDL and XSD documents) maps every http(s) URL to the
    copy in ``tests/data/onvif/external`` by file name and raises OSError if there is none;
    local paths load as usual.  SOAP operations (``post``) still go over real HTTP to the
    server under test.  The requests session ignores proxy environment variables
    (``trust_env = False``), so calls to 127.0.0.1 never go through a proxy.

    If ``recorder`` is given, every POST is appended to it as an :class:`Exchange`.
    """

    def __init__(
        self,
        *,
        recorder: ResponseRecorder | None = None,
        session: requests.Session | None = None,
        operation_timeout: float | None = 30.0,
    ) -> None:
        if session is None:
            session = requests.Session()
            session.trust_env = False
        super().__init__(  # type: ignore[no-untyped-call]
            session=session, operation_timeout=operation_timeout
        )
        self.recorder = recorder

    def load(self, url: str) -> bytes:
        if url.startswith(("http://", "https://")):
            return local_copy(url).read_bytes()
        result: bytes = super().load(url)  # type: ignore[no-untyped-call]
        return result

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        response = super().post(address, message, headers)  # type: ignore[no-untyped-call]
        if self.recorder is not None:
            body = message.encode("utf-8") if isinstance(message, str) else message
            self.recorder.exchanges.append(
                Exchange(
                    address=address,
                    request=body,
                    status=response.status_code,
                    headers=dict(response.headers),
                    response=response.content,
                )
            )
        return response


def _settings() -> zeep.Settings:
    # strict=True (the zeep default): an unexpected element in a response is an error.
    return zeep.Settings(strict=True, xml_huge_tree=False)


_documents: dict[tuple[str, str], Document] = {}
_documents_lock = threading.Lock()


def load_document(name: str, version: str = "25.12") -> Document:
    """Parse (once per WSDL file and version, then cached) the WSDL behind ``BINDINGS[name]``.

    The parsed ``zeep.wsdl.Document`` is shared by all clients built from it; credentials,
    transport and plugins live on the per-call ``zeep.Client``, so sharing is safe.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown ONVIF version {version!r}; have {VERSIONS}")
    path = wsdl_path(name, version)
    if not path.is_file():
        raise FileNotFoundError(f"no {name!r} WSDL copied for ONVIF {version}: {path}")
    key = (str(path), version)
    with _documents_lock:
        doc = _documents.get(key)
        if doc is None:
            # zeep annotates the transport parameter as type[Transport]; it is an instance.
            transport: Any = OfflineTransport()
            doc = Document(str(path), transport, settings=_settings())
            _documents[key] = doc
    return doc


def onvif_service(
    name: str,
    address: str,
    *,
    version: str = "25.12",
    username: str | None = None,
    password: str | None = None,
    digest: bool = False,
    recorder: ResponseRecorder | None = None,
    plugins: Sequence[zeep.Plugin] = (),
    timeout: float | None = 30.0,
    session: requests.Session | None = None,
) -> Any:
    """A zeep service proxy for ``BINDINGS[name]`` at ``address`` (e.g. ``svc.GetRecordings()``).

    Authentication when ``username`` and ``password`` are given:
      * default: WS-Security UsernameToken with PasswordDigest (fresh nonce per request);
      * ``digest=True``: HTTP Digest (requests ``HTTPDigestAuth``) and no WS-Security header.
    ``recorder`` receives every raw HTTP exchange; ``plugins`` are extra zeep plugins (for
    example ``zeep.wsa.WsAddressingPlugin()``); ``timeout`` is the per-operation HTTP timeout;
    ``session`` replaces the transport's requests session (e.g. one with a mocked adapter;
    ``digest=True`` sets its ``auth``).

    The parsed WSDL is cached per file and version (:func:`load_document`); each call builds
    a fresh ``zeep.Client`` (cheap), because credentials and plugins are per client in zeep.
    """
    binding = BINDINGS[name][1]
    doc = load_document(name, version)
    transport = OfflineTransport(recorder=recorder, session=session, operation_timeout=timeout)
    wsse: Any = None
    if username is not None or password is not None:
        if username is None or password is None:
            raise ValueError("give both username and password, or neither")
        if digest:
            transport.session.auth = HTTPDigestAuth(username, password)
        else:
            wsse = UsernameToken(  # type: ignore[no-untyped-call]
                username, password, use_digest=True
            )
    client = zeep.Client(  # type: ignore[no-untyped-call]
        doc, wsse=wsse, transport=transport, plugins=list(plugins), settings=_settings()
    )
    return client.create_service(binding, address)  # type: ignore[no-untyped-call]


def onvif_service_with_recorder(
    name: str,
    address: str,
    *,
    version: str = "25.12",
    username: str | None = None,
    password: str | None = None,
    digest: bool = False,
    plugins: Sequence[zeep.Plugin] = (),
    timeout: float | None = 30.0,
    session: requests.Session | None = None,
) -> tuple[Any, ResponseRecorder]:
    """Like :func:`onvif_service`, plus a fresh :class:`ResponseRecorder` wired to it."""
    rec = ResponseRecorder()
    svc = onvif_service(
        name,
        address,
        version=version,
        username=username,
        password=password,
        digest=digest,
        recorder=rec,
        plugins=plugins,
        timeout=timeout,
        session=session,
    )
    return svc, rec


def render_request(service: Any, operation: str, /, *args: Any, **kwargs: Any) -> bytes:
    """The SOAP envelope ``service.<operation>(*args, **kwargs)`` would send, not sent.

    Built by the same zeep code path as a real call, including the WS-Security header when
    the service has credentials.  Useful for raw-XML tests and for ``validate_body``.
    """
    envelope, _http_headers = service._binding._create(
        operation, args, kwargs, client=service._client, options=service._binding_options
    )
    return etree.tostring(envelope)


def fault_chain(exc: zeep.exceptions.Fault) -> list[str]:
    """The fault's Code value and nested Subcode values as local names.

    E.g. ``["Sender", "InvalidArgVal", "NoRecording"]``.  zeep 4.3 gives ``exc.code`` as the
    raw text of ``env:Code/env:Value`` (``"env:Sender"``, prefix included, or None) and
    ``exc.subcodes`` as a list of ``lxml.etree.QName`` (resolved against the in-scope
    namespace declarations; an undeclared prefix makes zeep raise while parsing the fault).
    """
    chain: list[str] = []
    code: object = exc.code
    if code is not None:
        chain.append(_local_name(code))
    for sub in exc.subcodes or ():
        chain.append(_local_name(sub))
    return chain


def _local_name(value: object) -> str:
    if isinstance(value, etree.QName):
        return str(value.localname)
    text = str(value).strip()
    if text.startswith("{"):
        return text.rsplit("}", 1)[-1]
    return text.rsplit(":", 1)[-1]


# --------------------------------------------------------------------------- XSD side

_EMBEDDED = "urn:onvif-test:embedded:"
_WRAPPER_URL = "urn:onvif-test:wrapper.xsd"
_XS = "http://www.w3.org/2001/XMLSchema"

# WSDLs whose <wsdl:types> schema goes into the validator, per version.
_SCHEMA_WSDLS: dict[str, tuple[str, ...]] = {
    "25.12": ("device", "recording", "receiver", "events", "search", "replay", "schedule",
              "keystore"),
    "20.06": ("device", "recording", "receiver"),
    "26.06": ("recording",),
}


_PARSER_OPTIONS: dict[str, Any] = {"no_network": True, "resolve_entities": False}
_PARTICLES = frozenset(f"{{{_XS}}}{n}" for n in ("element", "any", "choice", "sequence", "group"))


def _is_optional_or_repeating(particle: etree._Element) -> bool:
    return particle.get("minOccurs", "1") == "0" or particle.get("maxOccurs", "1") != "1"


def _relax_wildcards(schema: etree._Element) -> int:
    """Work around the XSD 1.0 Unique Particle Attribution violations in the ONVIF schemas.

    ONVIF ends many sequences with optional elements followed by an extension wildcard
    ``<xs:any namespace="##any"/>`` (or ``##targetNamespace``).  That is fine in XSD 1.1
    (a declared element wins over a wildcard) but libxml2 implements XSD 1.0 and rejects the
    whole schema ("content model is not determinist").  On the in-memory tree only (the
    files stay unmodified), such a wildcard becomes ``##other``.  Effect: declared elements
    validate exactly as before, vendor extensions in other namespaces are still allowed,
    and an *undeclared* element in the schema's own namespace in that slot is rejected
    (stricter than XSD 1.1; for responses of a 25.12 server checked against 25.12 this is
    what we want).  Wildcards that stand alone (e.g. the content of tt:ElementItem) keep
    ``##any``.  Returns the number of wildcards changed.
    """
    changed = 0
    for seq in schema.iter(f"{{{_XS}}}sequence"):
        particles = [p for p in seq if p.tag in _PARTICLES]
        for i, particle in enumerate(particles):
            if particle.tag != f"{{{_XS}}}any":
                continue
            if particle.get("namespace", "##any") not in ("##any", "##targetNamespace"):
                continue
            # It competes with an optional/repeating particle right before it, or, if it is
            # optional/repeating itself, with whatever particle comes right after it.
            before = i > 0 and _is_optional_or_repeating(particles[i - 1])
            after = i + 1 < len(particles) and _is_optional_or_repeating(particle)
            if before or after:
                particle.set("namespace", "##other")
                changed += 1
    return changed


def _embedded_schema(wsdl: Path) -> tuple[str, etree._Element]:
    """(targetNamespace, a standalone copy of the single xs:schema inside ``wsdl``).

    The copy declares the namespaces inherited from ``wsdl:definitions``, so prefixes in
    QName-valued attributes keep working.
    """
    root = etree.parse(str(wsdl), etree.XMLParser(**_PARSER_OPTIONS))
    schemas = root.findall(f"{{http://schemas.xmlsoap.org/wsdl/}}types/{{{_XS}}}schema")
    if len(schemas) != 1:
        raise AssertionError(f"{wsdl}: expected one embedded xs:schema, found {len(schemas)}")
    original = schemas[0]
    # A plain deepcopy would drop declarations only used inside attribute values
    # (type="trc:Capabilities"), so declare every in-scope namespace on the new root.
    nsmap: Any = original.nsmap  # lxml-stubs: Mapping[str, str]; the default namespace is None
    schema = etree.Element(original.tag, dict(original.attrib), nsmap=nsmap)
    schema.extend(copy.deepcopy(child) for child in original)
    return schema.get("targetNamespace", ""), schema


def _url_to_path(url: str) -> Path | None:
    if url.startswith("file://"):
        url = url[len("file://") :]
    if not url.startswith("/"):
        return None
    return Path(url)


class _OfflineResolver(etree.Resolver):
    """Serves every schema document lxml asks for, without network access.

    * ``urn:onvif-test:embedded:<version>/<wsdl-relpath>``: the xs:schema embedded in that
      WSDL, with the WSDL's own path as base URL so its relative imports work;
    * ONVIF's own .xsd files under ``DATA_DIR``: read from disk;
    * http(s) URLs: the local copy in ``external/`` by file name (OSError if none).

    ONVIF documents get :func:`_relax_wildcards` applied in memory.
    """

    def __init__(self) -> None:
        super().__init__()
        self.relaxed: dict[str, int] = {}

    def _onvif(self, schema: etree._Element, url: str, context: object) -> Any:
        self.relaxed[url] = _relax_wildcards(schema)
        return self.resolve_string(etree.tostring(schema), context, base_url=url)

    def resolve(  # type: ignore[override]  # lxml-stubs omit the context parameter
        self, system_url: str, public_id: str, context: object
    ) -> Any:
        if system_url.startswith(_EMBEDDED):
            version, rel = system_url[len(_EMBEDDED) :].split("/", 1)
            wsdl = DATA_DIR / version / "wsdl" / rel
            _, schema = _embedded_schema(wsdl)
            return self._onvif(schema, str(wsdl), context)
        if system_url.startswith(("http://", "https://")):
            local = local_copy(system_url)
            return self.resolve_filename(str(local), context)  # type: ignore[attr-defined]
        path = _url_to_path(system_url)
        if path is not None and path.suffix == ".xsd" and path.is_relative_to(DATA_DIR):
            doc = etree.parse(str(path), etree.XMLParser(**_PARSER_OPTIONS))
            return self._onvif(doc.getroot(), str(path), context)
        return None


def _wrapper_schema(version: str) -> bytes:
    """A schema that only xs:imports every namespace the validator must know."""
    imports: list[tuple[str, str]] = [
        (SOAP12_ENV, str(EXTERNAL_DIR / "soap-envelope")),
        (
            "http://www.onvif.org/ver10/schema",
            str(DATA_DIR / version / "wsdl/ver10/schema/onvif.xsd"),
        ),
    ]
    seen: set[str] = set()
    for name in _SCHEMA_WSDLS[version]:
        rel = BINDINGS[name][0]
        if rel in seen:
            continue
        seen.add(rel)
        ns, _ = _embedded_schema(DATA_DIR / version / "wsdl" / rel)
        imports.append((ns, f"{_EMBEDDED}{version}/{rel}"))
    if version == "25.12":  # WS-BaseNotification / WS-Topics messages of the event service
        imports.append(
            ("http://docs.oasis-open.org/wsn/b-2", "http://docs.oasis-open.org/wsn/b-2.xsd")
        )
        imports.append(
            ("http://docs.oasis-open.org/wsn/t-1", "http://docs.oasis-open.org/wsn/t-1.xsd")
        )
    root = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    for ns, loc in imports:
        etree.SubElement(root, f"{{{_XS}}}import", namespace=ns, schemaLocation=loc)
    return etree.tostring(root)


_schemas: dict[str, etree.XMLSchema] = {}
relaxed_wildcards: dict[str, dict[str, int]] = {}
"""Per version, after :func:`get_schema`: document -> number of wildcards relaxed."""
_schemas_lock = threading.Lock()
_validate_lock = threading.Lock()


def get_schema(version: str = "25.12") -> etree.XMLSchema:
    """The combined lxml XMLSchema for ``version`` (built once, then cached).

    It knows the SOAP 1.2 envelope (env:Fault), the tt: schema, the message elements of the
    device, recording and receiver services (25.12 also: events, search, replay, schedule,
    WS-BaseNotification and WS-Topics).
    """
    if version not in _SCHEMA_WSDLS:
        raise ValueError(f"unknown ONVIF version {version!r}; have {tuple(_SCHEMA_WSDLS)}")
    with _schemas_lock:
        schema = _schemas.get(version)
        if schema is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False)
            resolver = _OfflineResolver()
            parser.resolvers.add(resolver)
            doc = etree.fromstring(_wrapper_schema(version), parser, base_url=_WRAPPER_URL)
            try:
                schema = etree.XMLSchema(doc)
            except etree.XMLSchemaParseError as exc:
                raise AssertionError(
                    f"cannot build ONVIF {version} schema: {exc}\n{exc.error_log}"
                ) from exc
            _schemas[version] = schema
            relaxed_wildcards[version] = {k: v for k, v in resolver.relaxed.items() if v}
    return schema


def body_element(xml: bytes) -> etree._Element:
    """The single child element of the SOAP 1.2 Body of envelope ``xml``.

    Raises AssertionError unless ``xml`` is a SOAP 1.2 ``env:Envelope`` whose ``env:Body``
    holds exactly one element.
    """
    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise AssertionError(f"response is not well-formed XML: {exc}\n{xml[:2000]!r}") from exc
    if root.tag != f"{{{SOAP12_ENV}}}Envelope":
        raise AssertionError(f"root element is {root.tag}, not a SOAP 1.2 Envelope")
    body = root.find(f"{{{SOAP12_ENV}}}Body")
    if body is None:
        raise AssertionError("SOAP envelope has no env:Body")
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise AssertionError(f"env:Body holds {len(children)} elements, expected exactly 1")
    return children[0]


def validate_body(xml: bytes, *, version: str = "25.12") -> None:
    """Validate the Body's child of SOAP 1.2 envelope ``xml`` against the official schemas.

    ``version`` picks the schema set ("25.12" or "20.06").  Raises AssertionError with
    lxml's error log on any failure, including an element the schemas do not declare.
    """
    element = body_element(xml)
    schema = get_schema(version)
    with _validate_lock:  # an lxml XMLSchema keeps its error_log per object
        valid = schema.validate(element)
        errors = "\n".join(
            f"  line {e.line}: {e.message}"
            for e in schema.error_log  # type: ignore[attr-defined]
        )
    if not valid:
        raise AssertionError(
            f"{etree.QName(element).text} does not validate against ONVIF {version}:\n"
            f"{errors}\n--- body ---\n{etree.tostring(element, pretty_print=True).decode()}"
        )
