"""Reading request XML strictly and writing response XML plainly.

Requests are matched by local name: ONVIF clients differ in the prefixes and,
sometimes, the namespaces they put on parameter elements, and nothing in a
request depends on telling two same-named children apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import TypeVar

from lxml import etree

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.errors import InvalidArgVal, OnvifError

E = TypeVar("E", bound=Enum)

TOKEN_MAX_LENGTH = 64  # tt:ReferenceToken
_TRUE = {"true": True, "1": True, "false": False, "0": False}
# libxml2's own xs:anyURI rules, so that nothing stored can make a later response
# schema-invalid for every client.
_ANY_URI = etree.XMLSchema(
    etree.XML(
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:element name="u" type="xs:anyURI"/></xs:schema>'
    )
)


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


class Reader:
    """Typed accessors over one request element; failures raise ``error``."""

    def __init__(self, element: etree._Element, error: type[OnvifError] = InvalidArgVal) -> None:
        self.element = element
        self.error = error

    def fail(self, message: str) -> OnvifError:
        return self.error(message)

    def children(self, name: str) -> Iterator[Reader]:
        for child in self.element:
            if isinstance(child.tag, str) and local_name(child) == name:
                yield Reader(child, self.error)

    def child(self, name: str) -> Reader | None:
        return next(self.children(name), None)

    def required(self, name: str) -> Reader:
        found = self.child(name)
        if found is None:
            raise self.fail(f"{local_name(self.element)} has no {name}")
        return found

    @property
    def value(self) -> str:
        return self.element.text or ""

    def text(self, name: str, max_length: int | None = None) -> str:
        value = self.required(name).value
        return self._checked_length(name, value, max_length)

    def optional_text(self, name: str, max_length: int | None = None) -> str | None:
        found = self.child(name)
        return None if found is None else self._checked_length(name, found.value, max_length)

    def _checked_length(self, name: str, value: str, max_length: int | None) -> str:
        if max_length is not None and len(value) > max_length:
            raise self.fail(f"{name} is longer than {max_length} characters")
        return value

    def uri(self, name: str, max_length: int | None = None) -> str:
        return self.check_uri(name, self.text(name, max_length))

    def optional_uri(self, name: str, max_length: int | None = None) -> str | None:
        value = self.optional_text(name, max_length)
        return None if value is None else self.check_uri(name, value)

    def check_uri(self, name: str, value: str) -> str:
        probe = etree.Element("u")
        probe.text = value
        if not _ANY_URI.validate(probe):
            raise self.fail(f"{name} is not an xs:anyURI")
        return value

    def token(self, name: str) -> str:
        value = self.text(name, TOKEN_MAX_LENGTH).strip()
        if not value:
            raise self.fail(f"{name} is empty")
        return value

    def duration(self, name: str) -> XsDuration:
        return self.parse_duration(name, self.required(name).value)

    def optional_duration(self, name: str) -> XsDuration | None:
        found = self.child(name)
        return None if found is None else self.parse_duration(name, found.value)

    def parse_duration(self, name: str, text: str) -> XsDuration:
        try:
            return XsDuration.parse(text)
        except ValueError:
            raise self.fail(f"{name} is not an xs:duration") from None

    def integer(self, name: str) -> int:
        text = self.required(name).value.strip()
        try:
            value = int(text)
        except ValueError:
            raise self.fail(f"{name} is not an integer") from None
        if not -(2**31) <= value < 2**31:
            raise self.fail(f"{name} is out of the xs:int range")
        return value

    def boolean(self, name: str) -> bool | None:
        found = self.child(name)
        if found is None:
            return None
        return parse_boolean(found.value, self, name)

    def enum(self, name: str, kind: type[E]) -> E:
        return parse_enum(self.required(name).value, kind, self, name)

    def attribute(self, name: str) -> str | None:
        value = self.element.get(name)
        return None if value is None else str(value)


def parse_boolean(text: str, reader: Reader, name: str) -> bool:
    try:
        return _TRUE[text.strip()]
    except KeyError:
        raise reader.fail(f"{name} is not an xs:boolean") from None


def parse_enum(text: str, kind: type[E], reader: Reader, name: str) -> E:
    try:
        return kind(text.strip())
    except ValueError:
        raise reader.fail(f"{name} value {text[:64]!r} is not allowed") from None


def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    """Append a child ``tag`` (Clark notation) with optional text."""
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def xs_boolean(value: bool) -> str:
    return "true" if value else "false"
