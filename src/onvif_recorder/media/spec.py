"""What the codec table holds for each codec: one ``CodecSpec`` row (pure, no I/O).

A row joins the three places a codec shows up: the SDP that announces it (rtpmap
encoding name, clock rate, fmtp), the RTP depacketizer that produces its access units and
``CodecConfig``, and the ISO-BMFF track that stores it (``mp4.model.Codec``: sample
entry, RFC 6381 ``codecs=`` string, sample data and durations). This is MediaMTX's
shape (gortsplib ``format.Format``, mediacommon ``fmp4.Codec``): an interface, one
implementation per codec, and a registry (``media.table``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from onvif_recorder.mp4.model import Codec
from onvif_recorder.rtp.depacketize import Depacketizer

ConfigT = TypeVar("ConfigT")


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamFormat:
    """One SDP media's ``a=rtpmap`` and ``a=fmtp`` values (RFC 8866 §6.6)."""

    encoding: str
    """rtpmap encoding name as the server wrote it (case does not matter)."""
    clock_rate: int
    channels: int = 1
    fmtp: Mapping[str, str] = field(default_factory=dict)
    """Format parameters with lower-cased keys (``rtsp.sdp`` delivers them so)."""


@dataclass(frozen=True, kw_only=True)
class CodecSpec(Generic[ConfigT]):
    """One codec the recorder knows; see the module docstring."""

    name: str
    """How people call it, e.g. ``H.264``."""
    fourccs: Mapping[str, str]
    """rtpmap encoding name (lower case) → sample entry type it is stored as. Known
    before any sample arrives, so RC §5.19 "Incompatible Stream" is decided from it."""
    config_type: type[ConfigT]
    """What its depacketizer puts in ``AccessUnit.config``."""
    depacketizer: Callable[[StreamFormat], Depacketizer]
    """Raises ``UnsupportedCodec`` for format parameters it cannot handle."""
    track_codec: Callable[[ConfigT], Codec | None]
    """The track's codec description; None (or ValueError) until parameter sets are known."""
    describe: Callable[[ConfigT], str]
    """Resolution or audio format, for people (``onvif-recorder probe``)."""
    static_payload_types: Mapping[int, str] = field(default_factory=dict)
    """RFC 3551 §6 payload types a server may send without rtpmap → encoding name."""

    def codec_of(self, config: object) -> Codec | None:
        """``track_codec`` for a depacketizer's config; None if it is not this codec's or
        its parameter sets are incomplete or refused (the next configuration may do)."""
        own = self._own(config)
        if own is None:
            return None
        try:
            return self.track_codec(own)
        except ValueError:
            return None

    def description(self, config: object) -> str:
        own = self._own(config)
        return "" if own is None else self.describe(own)

    def _own(self, config: object) -> ConfigT | None:
        """The one type test of the table: configs are told apart by their class."""
        return config if isinstance(config, self.config_type) else None
