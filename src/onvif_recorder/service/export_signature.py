"""Signing and verifying export files (EFF 25.12 §5.5, Annex A), bytes in, bytes out.

The signature covers the whole file with the ``sibo`` payload zeroed; the algorithm is
the mandatory default, RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 20-byte salt (what
``openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20`` checks),
so no ``sigC`` is written. Verifying signature k of several (re-signing appends sinf
boxes) is not needed: the recorder writes exactly one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from onvif_recorder.mp4.export_boxes import FILETIME_UNIX_OFFSET, OEFF
from onvif_recorder.mp4.fields import FieldReader
from onvif_recorder.mp4.init_segment import MAC_EPOCH_OFFSET
from onvif_recorder.mp4.inspect import ParsedBox, read_boxes

SALT_LENGTH = 20


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT_LENGTH)


def sign_digest(key: rsa.RSAPrivateKey, digest: bytes) -> bytes:
    """RSASSA-PSS over a SHA-256 ``digest`` of the file (sibo zeroed)."""
    return key.sign(digest, _pss(), utils.Prehashed(hashes.SHA256()))


class VerificationError(Exception):
    """The file is not a signed export file, or its signature does not verify."""


@dataclass(slots=True)
class ExportFileFacts:
    """What ``onvif-recorder verify`` prints: ``suep`` and ``cstb`` contents."""

    unit_name: str = ""
    unit_url: str = ""
    unit_mac: str = ""
    export_utc: float = 0.0
    operator: str = ""
    sources: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    start_times: list[tuple[int, float]] = field(default_factory=list)
    """(track_ID, UTC) of every ``cstb`` entry."""
    certificate_subject: str = ""


def verify_export(data: bytes) -> ExportFileFacts:
    """The facts of a signed export file; ``VerificationError`` unless its one ``oeff``
    signature verifies with the certificate it carries."""
    meta = next((b for b in read_boxes(data) if b.name == "meta"), None)
    if meta is None:
        raise VerificationError("no file-level meta box")
    children = read_boxes(data, meta.offset + meta.header_size + 4, meta.offset + meta.size)
    sinfs = [s for ipro in children if ipro.name == "ipro"
             for s in read_boxes(data, ipro.offset + ipro.header_size + 6,
                                 ipro.offset + ipro.size) if s.name == "sinf"]
    oeff = [s for s in sinfs if _scheme(s) == OEFF]
    if not oeff:
        raise VerificationError("no sinf with scheme 'oeff'")
    sibo, cert = oeff[0].find("schi/sibo"), oeff[0].find("schi/cert")
    if sibo is None or cert is None:
        raise VerificationError("the oeff sinf has no sibo or no cert")
    certificate = x509.load_der_x509_certificate(cert.payload)
    _check(certificate, data, sibo)
    facts = _facts(children, oeff[0])
    facts.certificate_subject = certificate.subject.rfc4514_string()
    return facts


def _scheme(sinf: ParsedBox) -> int:
    schm = sinf.find("schm")
    return int.from_bytes(schm.payload[4:8], "big") if schm and len(schm.payload) >= 8 else 0


def _check(certificate: x509.Certificate, data: bytes, sibo: ParsedBox) -> None:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise VerificationError("the certificate's key is not RSA")
    start = sibo.offset + sibo.header_size
    zeroed = data[:start] + bytes(len(sibo.payload)) + data[start + len(sibo.payload):]
    try:
        key.verify(sibo.payload, zeroed, _pss(), hashes.SHA256())
    except InvalidSignature:
        raise VerificationError("the signature does not verify: the file was altered") \
            from None


def _facts(children: list[ParsedBox], sinf: ParsedBox) -> ExportFileFacts:
    facts = ExportFileFacts()
    suep = next((b for b in children if b.name == "suep"), None)
    if suep is not None:
        r = FieldReader(suep.payload)
        r.full()
        facts.unit_name, facts.unit_url, facts.unit_mac = r.cstring(), r.cstring(), r.cstring()
        facts.export_utc = float(r.uint(8) - MAC_EPOCH_OFFSET)
        facts.operator = r.cstring()
        for _ in range(r.uint(4)):
            facts.sources.append((r.uint(2), r.cstring(), r.cstring(), r.cstring(),
                                  r.cstring()))
    for cstb in [*sinf.find_all("schi/cstb"), *sinf.find_all("cstb"),
                 *(b for b in children if b.name == "cstb")]:
        r = FieldReader(cstb.payload)
        for _ in range(r.uint(4)):
            track, start = r.uint(4), r.uint(8)
            facts.start_times.append((track, start / 10_000_000 - FILETIME_UNIX_OFFSET))
    return facts
