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

``rtp.stream.ReceivedSample`` → ``mp4.model.TrackSample``: ticks stay in the RTP clock
(the track's clock rate), ``utc`` is the RTCP-derived wall clock; the sample data and any
fixed duration (audio frames) come from the track's codec (``media``, the codec table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.ingest.items import StreamInfo
from onvif_recorder.media import table
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.rtp.depacketize import CodecConfig
from onvif_recorder.rtp.stream import ReceivedSample

_TAG = re.compile(r"(?P<kind>video|audio|metadata)\s*(?P<number>\d+)?", re.IGNORECASE)


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
    return table.fourcc(info.encoding) or info.encoding.lower()


def track_info(track_id: int, config: CodecConfig | None, clock_rate: int) -> TrackInfo | None:
    """The track description, or None while parameter sets are still missing."""
    codec = table.track_codec(config)
    return None if codec is None else TrackInfo(track_id, codec, clock_rate)


def to_track_sample(track: TrackInfo, sample: ReceivedSample) -> TrackSample:
    data = track.codec.sample_data(sample.units)
    return TrackSample(track_id=track.track_id, dts=sample.dts, pts=sample.pts,
                       sync=sample.sync, data=data, utc=sample.utc,
                       duration=track.codec.sample_duration(data))
