"""TLS towards cameras (``rtsps://``, ``https://`` tunnels): whose certificates we accept.

By default a camera's certificate must chain to the system trust store as OpenSSL finds
it (``ssl.create_default_context``: ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` are honoured)
and name the host of the MediaUri. The operator may add a CA file (``--camera-ca``,
cameras with certificates from a private CA) and, for a camera with a self-signed
certificate, accept exactly one certificate by its SHA-256 fingerprint
(``--camera-fingerprint HOST[:PORT]=SHA256``); for that host (and port) only the
fingerprint decides, chain and name are not checked. The MediaUri stays as the client
wrote it. A certificate refused ends the attempt with ``CertificateRefused``.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass

from onvif_recorder.ingest.errors import IngestError

_HEX = frozenset("0123456789abcdef")


class CertificateRefused(IngestError):
    """The camera's TLS certificate is not trusted for its host."""


def normalize_fingerprint(text: str) -> str:
    """``AB:CD:…`` or ``abcd…`` as 64 lowercase hex digits; ValueError otherwise."""
    digits = text.strip().replace(":", "").lower()
    if len(digits) != 64 or not set(digits) <= _HEX:
        raise ValueError(f"{text!r} is not a SHA-256 fingerprint (64 hex digits)")
    return digits


def parse_pin(text: str) -> tuple[str, str]:
    """``HOST[:PORT]=SHA256`` as (``host`` or ``host:port``, fingerprint)."""
    where, sep, fingerprint = text.rpartition("=")
    if not sep or not where:
        raise ValueError(f"expected HOST[:PORT]=SHA256, got {text!r}")
    return where.strip().lower(), normalize_fingerprint(fingerprint)


@dataclass(frozen=True, slots=True)
class TlsPolicy:
    ca_file: str | None = None
    """PEM file of extra trusted CAs, in addition to the system store."""
    pins: tuple[tuple[str, str], ...] = ()
    """(``host`` or ``host:port``, SHA-256 fingerprint): accepted by fingerprint alone."""

    def pin_for(self, host: str, port: int) -> str | None:
        host = host.lower()
        bracketed = f"[{host}]" if ":" in host else host  # an IPv6 address as in a URI
        pins = dict(self.pins)
        return pins.get(f"{bracketed}:{port}") or pins.get(bracketed) or pins.get(host)

    def context(self, host: str, port: int) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.pin_for(host, port) is not None:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the fingerprint is checked after the handshake
        return context


def check_pin(policy: TlsPolicy, host: str, port: int, ssl_object: object) -> None:
    """After the handshake: for a pinned host, the certificate must be the pinned one."""
    pin = policy.pin_for(host, port)
    if pin is None:
        return
    der = ssl_object.getpeercert(binary_form=True) if isinstance(ssl_object, ssl.SSLObject) \
        else None
    seen = hashlib.sha256(der).hexdigest() if der else "none"
    if seen != pin:
        raise CertificateRefused(f"the certificate of {host}:{port} has SHA-256 fingerprint "
                                 f"{seen}, not the configured {pin}")


def refused(error: ssl.SSLCertVerificationError, host: str, port: int) -> CertificateRefused:
    reason = error.verify_message or error.reason or str(error)
    return CertificateRefused(f"the certificate of {host}:{port} is not trusted: {reason}")
