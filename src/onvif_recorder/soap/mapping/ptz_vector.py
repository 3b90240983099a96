"""tt:PTZVector ⇄ ``service.search.ptz.PtzVector``, and the PTZ positions of a recorded
metadata document (``tt:MetadataStream/tt:PTZ/tt:PTZStatus/tt:Position``), read with the
safe parser (recorded bytes came from a camera: they are network input)."""

from __future__ import annotations

import math

from lxml import etree

from onvif_recorder.service.search.ptz import PtzVector
from onvif_recorder.service.search.recorded import MetadataSample
from onvif_recorder.soap.mapping.primitives import Reader, sub
from onvif_recorder.soap.namespaces import TT, qname
from onvif_recorder.soap.xmlparse import XmlRefused, parse_document

_POSITIONS = f"{{{TT}}}PTZ/{{{TT}}}PTZStatus/{{{TT}}}Position"


def _float(element: etree._Element | None, name: str) -> float | None:
    if element is None:
        return None
    try:
        value = float(str(element.get(name, "")))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _vector(element: etree._Element) -> PtzVector:
    pan_tilt = element.find(qname(TT, "PanTilt"))
    zoom = element.find(qname(TT, "Zoom"))
    return PtzVector(_float(pan_tilt, "x"), _float(pan_tilt, "y"), _float(zoom, "x"))


def recorded_ptz_positions(sample: MetadataSample) -> list[PtzVector]:
    """Every PTZ position of one recorded document; a document that is not XML has none."""
    try:
        root = parse_document(sample.payload)
    except XmlRefused:
        return []
    found = [_vector(position) for position in root.iterfind(_POSITIONS)]
    return [v for v in found if v.components() != (None, None, None)]


def read_ptz_vector(reader: Reader, name: str) -> PtzVector:
    """A request's tt:PTZVector; a value that is not an xs:float is a SOAP fault."""
    element = reader.required(name)
    pan_tilt, zoom = element.child("PanTilt"), element.child("Zoom")
    if pan_tilt is not None and (pan_tilt.element.get("x") is None
                                 or pan_tilt.element.get("y") is None):
        raise element.fail(f"{name}/PanTilt needs x and y")
    if zoom is not None and zoom.element.get("x") is None:
        raise element.fail(f"{name}/Zoom needs x")
    vector = _vector(element.element)
    given = (pan_tilt, pan_tilt, zoom)
    if any(g is not None and v is None for g, v in zip(given, vector.components(), strict=True)):
        raise element.fail(f"{name} has a coordinate that is not a number")
    return vector


def write_ptz_vector(parent: etree._Element, tag: str, vector: PtzVector) -> None:
    element = sub(parent, tag)
    if vector.pan is not None and vector.tilt is not None:
        sub(element, qname(TT, "PanTilt")).attrib.update(
            {"x": repr(vector.pan), "y": repr(vector.tilt)})
    if vector.zoom is not None:
        sub(element, qname(TT, "Zoom")).set("x", repr(vector.zoom))
