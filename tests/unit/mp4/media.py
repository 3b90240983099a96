"""Test helpers: the committed elementary streams split into access units and samples.

``tests/data/mp4/`` holds clips made with Debian's ffmpeg 5.1 (see its README): H.264
and H.265 Annex B streams (320x180, 25 fps, 50 frames, IDR every 25), 48 kHz mono
ADTS AAC-LC, and 8 kHz µ-law. The splitters here are just enough for those files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from onvif_recorder.codecs import h264, h265
from onvif_recorder.media.aac import AacCodec
from onvif_recorder.media.g711 import G711Codec
from onvif_recorder.media.h264 import AvcCodec, avc_parameter_sets, avc_sample
from onvif_recorder.media.h265 import HevcCodec, hevc_parameter_sets, hevc_sample
from onvif_recorder.media.metadata import MetadataCodec
from onvif_recorder.mp4.model import TrackInfo, TrackSample

DATA = Path(__file__).resolve().parents[2] / "data" / "mp4"
T0 = 1_667_920_103.547  # 2022-11-08T15:08:23.547Z, the RC B.10 example time
FPS = 25
VIDEO_TICKS = 90_000 // FPS


def _split_access_units(nals: list[bytes], vcl: set[int], kind: Callable[[bytes], int],
                        first_slice: Callable[[bytes], bool]) -> list[list[bytes]]:
    units: list[list[bytes]] = []
    current: list[bytes] = []
    for nal in nals:
        nal_kind = kind(nal)
        has_vcl = any(kind(n) in vcl for n in current)
        starts = (nal_kind in vcl and first_slice(nal)) or nal_kind not in vcl
        if has_vcl and starts:
            units.append(current)
            current = []
        current.append(nal)
    if current:
        units.append(current)
    return units


def h264_access_units() -> list[list[bytes]]:
    nals = h264.split_annexb((DATA / "clip_h264.h264").read_bytes())
    return _split_access_units(nals, {1, 5}, h264.nal_type, lambda n: bool(n[1] & 0x80))


def h265_access_units() -> list[list[bytes]]:
    nals = h264.split_annexb((DATA / "clip_h265.h265").read_bytes())
    return _split_access_units(nals, set(range(32)), h265.nal_type, lambda n: bool(n[2] & 0x80))


@dataclass(frozen=True)
class AdtsStream:
    config: bytes
    frames: list[bytes]
    sample_rate: int


def aac_frames() -> AdtsStream:
    """Raw AAC frames and the AudioSpecificConfig of the ADTS file (14496-3 §1.A.2)."""
    data = (DATA / "clip_aac.aac").read_bytes()
    frames, pos = [], 0
    header = data[:7]
    while pos + 7 <= len(data):
        length = ((data[pos + 3] & 3) << 11) | (data[pos + 4] << 3) | (data[pos + 5] >> 5)
        head = 7 if data[pos + 1] & 1 else 9
        frames.append(data[pos + head : pos + length])
        pos += length
    profile, index = (header[2] >> 6) + 1, (header[2] >> 2) & 0xF
    channels = ((header[2] & 1) << 2) | (header[3] >> 6)
    config = bytes([(profile << 3) | (index >> 1), ((index & 1) << 7) | (channels << 3)])
    rates = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000)
    return AdtsStream(config, frames, rates[index])


def h264_track(track_id: int = 1) -> tuple[TrackInfo, list[TrackSample]]:
    units = h264_access_units()
    sps, pps = avc_parameter_sets(units[0])
    track = TrackInfo(track_id, AvcCodec.from_parameter_sets(sps, pps), 90_000)
    return track, [_video_sample(track_id, i, avc_sample(u), h264.is_sync_sample(u))
                   for i, u in enumerate(units)]


def h265_track(track_id: int = 1) -> tuple[TrackInfo, list[TrackSample]]:
    units = h265_access_units()
    vps, sps, pps = hevc_parameter_sets(units[0])
    track = TrackInfo(track_id, HevcCodec.from_parameter_sets(vps, sps, pps), 90_000)
    return track, [_video_sample(track_id, i, hevc_sample(u),
                                 h265.is_sync_sample(u)) for i, u in enumerate(units)]


def _video_sample(track_id: int, index: int, data: bytes, sync: bool) -> TrackSample:
    ticks = 1_000_000 + index * VIDEO_TICKS  # an arbitrary RTP origin
    return TrackSample(track_id=track_id, dts=ticks, pts=ticks, sync=sync, data=data,
                       utc=T0 + index / FPS)


def aac_track(track_id: int = 2, offset: float = 0.0) -> tuple[TrackInfo, list[TrackSample]]:
    stream = aac_frames()
    track = TrackInfo(track_id, AacCodec.from_config(stream.config), stream.sample_rate)
    samples = [TrackSample(track_id=track_id, dts=5000 + i * 1024, pts=5000 + i * 1024,
                           sync=True, data=frame,
                           utc=T0 + offset + i * 1024 / stream.sample_rate, duration=1024)
               for i, frame in enumerate(stream.frames)]
    return track, samples


def g711_track(track_id: int = 2, law: str = "PCMU") -> tuple[TrackInfo, list[TrackSample]]:
    data = (DATA / "clip_pcmu.ulaw").read_bytes()
    track = TrackInfo(track_id, G711Codec(law), 8000)
    samples = [TrackSample(track_id=track_id, dts=i, pts=i, sync=True, data=data[i : i + 160],
                           utc=T0 + i / 8000, duration=160)
               for i in range(0, len(data), 160)]
    return track, samples


METADATA_XML = (b'<tt:MetadataStream xmlns:tt="http://www.onvif.org/ver10/schema">'
                b'<tt:Event/></tt:MetadataStream>')


def metadata_track(track_id: int = 3, every: float = 0.5,
                   seconds: float = 2.0) -> tuple[TrackInfo, list[TrackSample]]:
    track = TrackInfo(track_id, MetadataCodec(), 90_000)
    count = int(seconds / every)
    ticks = [round(i * every * 90_000) for i in range(count)]
    samples = [TrackSample(track_id=track_id, dts=t, pts=t, sync=True, data=METADATA_XML,
                           utc=T0 + i * every) for i, t in enumerate(ticks)]
    return track, samples


def merge(*streams: list[TrackSample]) -> list[TrackSample]:
    """Interleave per-track sample lists by wall clock, as they would arrive."""
    return sorted((s for stream in streams for s in stream), key=lambda s: (s.utc, s.track_id))
