"""The codec table: every codec the recorder knows, and the lookups the rest of the
recorder uses instead of telling codecs apart itself (pure).

Adding a codec means one new module beside these (its ``CodecSpec`` row, its
``mp4.model.Codec`` description with the sample entry writer, and its depacketizer or a
reference to one under ``rtp.depacketize``) and one line in ``SPECS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onvif_recorder.media import aac, g711, h264, h265, metadata
from onvif_recorder.media.spec import CodecSpec, StreamFormat
from onvif_recorder.mp4.model import Codec
from onvif_recorder.rtp.depacketize import Depacketizer, UnsupportedCodec
from onvif_recorder.rtp.errors import DepacketizeError

SPECS: tuple[CodecSpec[Any], ...] = (h264.SPEC, h265.SPEC, aac.SPEC, g711.SPEC, metadata.SPEC)

_BY_ENCODING = {name: spec for spec in SPECS for name in spec.fourccs}
_BY_PAYLOAD_TYPE = {pt: name.lower() for spec in SPECS
                    for pt, name in spec.static_payload_types.items()}
_BY_CONFIG_TYPE = {spec.config_type: spec for spec in SPECS}


def _encoding_name(encoding: str, payload_type: int | None = None) -> str:
    """The lower-case rtpmap encoding, or the one a static payload type implies."""
    name = encoding.lower()
    if not name and payload_type is not None:
        return _BY_PAYLOAD_TYPE.get(payload_type, "")
    return name


def by_encoding(encoding: str, payload_type: int | None = None) -> CodecSpec[Any] | None:
    """The codec an SDP media announces, or None if the recorder does not know it."""
    return _BY_ENCODING.get(_encoding_name(encoding, payload_type))


def by_config(config: object) -> CodecSpec[Any] | None:
    """The codec whose depacketizer reported ``config`` (an ``AccessUnit.config``)."""
    return _BY_CONFIG_TYPE.get(type(config))


def fourcc(encoding: str, payload_type: int | None = None) -> str | None:
    """The sample entry type a stream of ``encoding`` is stored as, None if unknown."""
    name = _encoding_name(encoding, payload_type)
    spec = _BY_ENCODING.get(name)
    return None if spec is None else spec.fourccs[name]


def create_depacketizer(encoding: str, clock_rate: int, fmtp: Mapping[str, str] | None = None,
                        *, channels: int = 1, payload_type: int | None = None) -> Depacketizer:
    """A depacketizer for rtpmap ``encoding/clock_rate/channels`` with ``fmtp`` parameters.

    Raises ``UnsupportedCodec`` (with the reason) for an unknown codec or format
    parameters its depacketizer refuses.
    """
    name = _encoding_name(encoding, payload_type)
    spec = _BY_ENCODING.get(name)
    if spec is None:
        raise UnsupportedCodec(f"no depacketizer for {encoding or payload_type}/{clock_rate}")
    stream = StreamFormat(encoding=name, clock_rate=clock_rate, channels=channels,
                          fmtp=fmtp or {})
    try:
        return spec.depacketizer(stream)
    except UnsupportedCodec:
        raise
    except DepacketizeError as exc:
        raise UnsupportedCodec(f"{spec.name}: {exc}") from exc


def track_codec(config: object) -> Codec | None:
    """The track's codec description for a depacketizer's config, or None while its
    parameter sets are missing or refused (the next configuration may do)."""
    spec = by_config(config)
    return None if spec is None else spec.codec_of(config)


def describe(config: object) -> str:
    """Resolution or audio format of a stream, for people; empty when unknown."""
    spec = by_config(config)
    return "" if spec is None else spec.description(config)
