"""ONVIF metadata in the codec table: RTP ``vnd.onvif.metadata`` (ONVIF Streaming, "RTP
for Metadata stream") stored as XML timed metadata, ``metx`` (ISO/IEC 14496-12 §12.3.3)
with the ONVIF schema namespace, per the ONVIF Export File Format "Timed metadata".

Each sample is one whole XML document (``+gzip`` documents are inflated by the
depacketizer; EXI is stored as received, marked by ``content_encoding``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onvif_recorder.media.spec import CodecSpec, StreamFormat
from onvif_recorder.mp4.boxes import box, cstring
from onvif_recorder.mp4.model import TrackKind
from onvif_recorder.mp4.sample_entries import sample_entry_header
from onvif_recorder.rtp.depacketize import Depacketizer
from onvif_recorder.rtp.depacketize.base import MetadataConfig
from onvif_recorder.rtp.depacketize.metadata import MetadataDepacketizer

ONVIF_METADATA_NAMESPACE = "http://www.onvif.org/ver10/schema"
ENCODINGS = ("vnd.onvif.metadata", "vnd.onvif.metadata+gzip",
             "vnd.onvif.metadata.exi.ext", "vnd.onvif.metadata.exi.onvif")


@dataclass(frozen=True, slots=True)
class MetadataCodec:
    """ONVIF metadata as XML timed metadata (``metx``)."""

    content_encoding: str = ""
    """Empty means XML (the default); ``exi`` for EXI streams stored as received."""
    namespace: str = ONVIF_METADATA_NAMESPACE
    schema_location: str = ""

    kind = TrackKind.METADATA
    fourcc = codec_string = "metx"
    size = (0, 0)
    nal_layout = None  # encrypted as whole samples (ISO/IEC 23001-7 §9.5)
    sample_rate = 0

    def sample_entry(self) -> bytes:
        """XMLMetaDataSampleEntry (§12.3.3.2): content_encoding, namespace, schema_location."""
        return box(self.fourcc.encode(), sample_entry_header(), cstring(self.content_encoding),
                   cstring(self.namespace), cstring(self.schema_location))

    def sample_data(self, units: Sequence[bytes]) -> bytes:
        return b"".join(units)

    def sample_duration(self, data: bytes) -> int | None:
        return None  # sparse: until the next document


def _depacketizer(stream: StreamFormat) -> Depacketizer:
    return MetadataDepacketizer(stream.encoding)


def _track_codec(config: MetadataConfig) -> MetadataCodec:
    # ``+gzip`` documents arrive inflated, so only EXI is stored in another encoding.
    return MetadataCodec("exi" if ".exi." in config.encoding else "")


SPEC = CodecSpec(name="ONVIF metadata", fourccs=dict.fromkeys(ENCODINGS, MetadataCodec.fourcc),
                 config_type=MetadataConfig, depacketizer=_depacketizer,
                 track_codec=_track_codec, describe=lambda config: "")
