"""Content keys and KIDs (ISO/IEC 23001-7 §8.2; RC B.8, ``tt:RecordingEncryption``)."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass

KEY_SIZE = 16
"""Every 23001-7 scheme is AES-128."""

_HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")


class InvalidKey(ValueError):
    """A Key or KID that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ContentKey:
    """One AES-128 key and the 16-byte KID that names it. ``repr`` hides the key."""

    kid: bytes
    key: bytes

    def __post_init__(self) -> None:
        if len(self.kid) != 16:
            raise InvalidKey("a KID is 16 bytes")
        if len(self.key) != KEY_SIZE:
            raise InvalidKey(f"a content key is {KEY_SIZE} bytes, not {len(self.key)}")

    def __repr__(self) -> str:
        return f"ContentKey(kid={self.kid.hex()})"

    @classmethod
    def generate(cls) -> ContentKey:
        """A fresh random key and a random (version 4) UUID as its KID (B.8.2)."""
        return cls(uuid.uuid4().bytes, os.urandom(KEY_SIZE))


def parse_kid(text: str) -> bytes:
    """A KID as the client wrote it: a UUID (RC 26.06, RFC 9562) or 32 hex digits."""
    value = text.strip()
    if _HEX32.match(value):
        return bytes.fromhex(value)
    try:
        return uuid.UUID(value).bytes
    except ValueError:
        raise InvalidKey(f"KID {text!r} is neither a UUID nor 32 hexadecimal digits") from None


def parse_key(text: str) -> bytes:
    """An ``xs:hexBinary`` Key: exactly 16 bytes."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raise InvalidKey("Key is not hexBinary") from None
    if len(raw) != KEY_SIZE:
        raise InvalidKey(f"Key is {len(raw)} bytes; AES-128 needs {KEY_SIZE}")
    return raw


def kid_text(kid: bytes) -> str:
    """The UUID form of a KID, as RC 26.06 writes it."""
    return str(uuid.UUID(bytes=kid))
