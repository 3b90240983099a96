"""From received streams to recorded tracks (pure): SourceTag selection and sample mapping.

SourceTag convention (RC §5.3.3 leaves its content to the device). CreateRecordingJob
fills SourceTag with the destination track's type name (``service.jobs``), so:

* ``Video``, ``Audio``, ``Metadata`` select the first stream of that type in the session
  (SDP order);
* the type name followed by a 1-based number, ``Video2`` or ``Audio 2``, selects the n-th
  stream of that type, for cameras that send several (e.g. two video resolutions);
* anything else is compared with each stream's SDP ``a=control`` value (whole or its last
  path segment, e.g. ``trackID=1``), case-sensitively.

A tag that selects no stream leaves its track unfed (``select_stream`` returns None).

``rtp.stream.Sample`` → ``mp4.model.Sample``: ticks stay in the RTP clock (the track's
clock rate), ``utc`` is the RTCP-derived wall clock, sample data is converted by
``mp4.sample_data``; audio durations are known up front (AAC 1024 ticks per frame, G.711
one tick per byte and channel).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.ingest.items import StreamInfo
from onvif_recorder.mp4 import sample_data
from onvif_recorder.mp4.model import (
    AacCodec,
    AvcCodec,
    Codec,
    G711Codec,
    HevcCodec,
    MetadataCodec,
    Sample,
    TrackInfo,
)
from onvif_recorder.rtp import stream
from onvif_recorder.rtp.depacketize.base import (
    AacConfig,
    CodecConfig,
    G711Config,
    H264Config,
    H265Config,
    MetadataConfig,
)

_TAG = re.compile(r"(?P<kind>video|audio|metadata)\s*(?P<number>\d+)?", re.IGNORECASE)
_FOURCC = {"H264": "avc1", "H265": "hvc1", "MPEG4-GENERIC": "mp4a", "PCMU": "ulaw",
           "PCMA": "alaw"}


def select_stream(tag: str, streams: Sequence[StreamInfo]) -> StreamInfo | None:
    """The stream a JobTrack's SourceTag names (module docstring), or None."""
    match = _TAG.fullmatch(tag.strip())
    if match is not None:
        kind = TrackType(match["kind"].capitalize())
        number = int(match["number"] or 1)
        of_kind = [s for s in streams if s.track_type is kind]
        return of_kind[number - 1] if 1 <= number <= len(of_kind) else None
    for info in streams:
        if tag and tag in (info.control, info.control.rsplit("/", 1)[-1]):
            return info
    return None


def stream_fourcc(info: StreamInfo) -> str:
    """The sample entry type a stream will be stored as (compared for Incompatible Stream)."""
    if info.track_type is TrackType.METADATA:
        return "metx"
    return _FOURCC.get(info.encoding.upper(), info.encoding.lower())


def codec_of(config: CodecConfig | None) -> Codec | None:
    """The mp4 codec description, or None while parameter sets are still missing."""
    try:
        return _codec(config)
    except ValueError:
        return None  # e.g. an SPS our parser refuses: wait for the next configuration


def _codec(config: CodecConfig | None) -> Codec | None:
    if isinstance(config, H264Config):
        if config.pps is None:
            return None
        return AvcCodec.from_parameter_sets([config.sps], [config.pps])
    if isinstance(config, H265Config):
        if config.vps is None or config.pps is None:
            return None
        return HevcCodec.from_parameter_sets([config.vps], [config.sps], [config.pps])
    if isinstance(config, AacConfig):
        return AacCodec.from_config(config.config)
    if isinstance(config, G711Config):
        return G711Codec(config.encoding.upper(), config.sample_rate, config.channels)
    if isinstance(config, MetadataConfig):
        encoding = config.encoding
        return MetadataCodec("gzip" if "gzip" in encoding else "exi" if "exi" in encoding
                             else "")
    return None


def track_info(track_id: int, config: CodecConfig | None, clock_rate: int) -> TrackInfo | None:
    codec = codec_of(config)
    return None if codec is None else TrackInfo(track_id, codec, clock_rate)


def to_mp4_sample(track: TrackInfo, sample: stream.Sample) -> Sample:
    codec = track.codec
    duration: int | None = None
    if isinstance(codec, AvcCodec):
        data = sample_data.avc_sample(sample.units)
    elif isinstance(codec, HevcCodec):
        data = sample_data.hevc_sample(sample.units)
    else:
        data = b"".join(sample.units)
        if isinstance(codec, AacCodec):
            duration = 1024
        elif isinstance(codec, G711Codec):
            duration = len(data) // codec.channels
    return Sample(track.track_id, sample.dts, sample.pts, sample.sync, data, sample.utc,
                  duration)
