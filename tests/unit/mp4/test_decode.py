"""Segments read back by real decoders: PyAV (FFmpeg libraries) and the ffprobe/ffmpeg CLIs.

Decoding without error proves little (``shared/peers.md`` §4), so decoded pictures and
audio are compared, hash for hash, with a decode of the source elementary stream, and
timestamps, frame counts, codecs and picture size are checked against what was muxed.
"""

from __future__ import annotations

import hashlib
import itertools
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4 import media
from tests.unit.mp4.collect import Span
from tests.unit.mp4.test_segmenter import record

# Debian's ffmpeg, installed by scripts/test; a missing binary fails the test.
FFPROBE = "ffprobe"
FFMPEG = "ffmpeg"


def _frame_hash(frame: Any) -> str:
    digest = hashlib.md5()
    for plane in frame.planes:
        digest.update(bytes(plane))
    return digest.hexdigest()


def decode(source: Path | str, kind: str, fmt: str | None = None) -> list[tuple[float, str]]:
    """(time in seconds, plane hash) of every decoded frame of the first ``kind`` stream."""
    with av.open(str(source), format=fmt) as container:
        stream = getattr(container.streams, kind)[0]
        return [(float(frame.time or 0.0), _frame_hash(frame))
                for frame in container.decode(stream)]


def decode_continuous(paths: list[Path], kind: str) -> list[str]:
    """Plane hashes from one decoder fed every segment in turn, as a player would.

    AAC frames overlap (MDCT), so a decoder restarted per file legitimately renders
    the first frame of each file differently; continuous playback must not.
    """
    hashes: list[str] = []
    context = None
    for path in paths:
        with av.open(str(path)) as container:
            stream = getattr(container.streams, kind)[0]
            if context is None:
                context = av.CodecContext.create(stream.codec_context.name, "r")
                context.extradata = stream.codec_context.extradata
            for packet in container.demux(stream):
                if packet.size:
                    hashes += [_frame_hash(f) for f in context.decode(packet)]
    assert context is not None
    return hashes + [_frame_hash(f) for f in context.decode(None)]


def write_spans(spans: list[Span], directory: Path) -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for span in spans:
        for segment in span.segments:
            name = f"{span.opened.span_id}.{segment.opened.counter}.{span.opened.extension}"
            path = directory / name
            path.write_bytes(bytes(segment.data))
            files.setdefault(span.opened.extension, []).append(path)
    return files


def check_ffmpeg_clean(path: Path, maps: tuple[str, ...] = ("0:v?", "0:a?")) -> None:
    """ffprobe and a full ffmpeg decode report nothing at ``-v error``."""
    probe = subprocess.run([FFPROBE, "-v", "error", "-show_streams", "-show_format", str(path)],
                           capture_output=True, text=True, check=True)
    assert probe.stderr == ""
    args = [FFMPEG, "-v", "error", "-nostdin", "-i", str(path)]
    for target in maps:
        args += ["-map", target]
    done = subprocess.run([*args, "-f", "null", "-"], capture_output=True, text=True,
                          check=True)
    assert done.stderr == ""


def tracks_and_samples() -> tuple[list[TrackInfo], list[TrackSample]]:
    video, video_samples = media.h264_track(1)
    audio, audio_samples = media.aac_track(2)
    meta, meta_samples = media.metadata_track(3)
    return [video, audio, meta], media.merge(video_samples, audio_samples, meta_samples)


@pytest.fixture(scope="module")
def reference_video() -> list[tuple[float, str]]:
    return decode(media.DATA / "clip_h264.h264", "video", "h264")


@pytest.fixture(scope="module")
def reference_audio() -> list[str]:
    return [h for _, h in decode(media.DATA / "clip_aac.aac", "audio", "aac")]


def test_mp4_segments_decode_to_the_source(tmp_path: Path,
                                          reference_video: list[tuple[float, str]],
                                          reference_audio: list[str]) -> None:
    tracks, samples = tracks_and_samples()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    paths = write_spans(spans, tmp_path)["mp4"]
    assert len(paths) == 2
    pictures: list[tuple[float, str]] = []
    for index, path in enumerate(paths):
        with av.open(str(path)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            assert (video.codec_context.name, video.width, video.height) == ("h264", 320, 180)
            assert (audio.codec_context.name, audio.sample_rate) == ("aac", 48000)
            assert len(container.streams.data) == 1  # metx: see the metadata test
            assert video.time_base == Fraction(1, 720_000)
        frames = decode(path, "video")
        assert len(frames) == 25
        assert frames[0][0] == pytest.approx(index * 1.0)
        steps = [round(t2 - t1, 6) for (t1, _), (t2, _) in itertools.pairwise(frames)]
        assert steps == [0.04] * 24
        pictures += frames
        check_ffmpeg_clean(path)
    assert [h for _, h in pictures] == [h for _, h in reference_video]
    sounds = decode_continuous(paths, "audio")
    assert sounds == reference_audio[: len(sounds)] and len(sounds) >= 94


def test_mp4_metadata_track_carries_the_xml(tmp_path: Path) -> None:
    tracks, samples = tracks_and_samples()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    path = write_spans(spans, tmp_path)["mp4"][0]
    with av.open(str(path)) as container:
        data = container.streams.data[0]
        packets = [p for p in container.demux(data) if p.size]
    assert [bytes(p) for p in packets] == [media.METADATA_XML] * 2
    assert [float((p.pts or 0) * (p.time_base or 0)) for p in packets] == [0.0, 0.5]
    probe = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "d", "-show_entries",
                            "stream=codec_tag_string,codec_type", "-of", "csv=p=0",
                            str(path)], capture_output=True, text=True, check=True)
    assert probe.stdout.split() == ["data,metx"]


@pytest.mark.parametrize("extension", ["m4v", "m4a"])
def test_cmaf_segments_decode_to_the_source(tmp_path: Path, extension: str,
                                            reference_video: list[tuple[float, str]],
                                            reference_audio: list[str]) -> None:
    tracks, samples = tracks_and_samples()
    spans = record(tracks, samples, SegmenterConfig(format=Brand.CMAF, segment_duration=1.0))
    files = write_spans(spans, tmp_path)
    kind = "video" if extension == "m4v" else "audio"
    decoded: list[str] = []
    start = 0.0
    for path in files[extension]:
        with av.open(str(path)) as container:
            assert len(container.streams) == 1
            assert container.format.name.startswith("mov,mp4")
        frames = decode(path, kind)
        assert frames[0][0] == pytest.approx(start, abs=1e-6)
        start = frames[-1][0] + (0.04 if kind == "video" else 1024 / 48000)
        decoded += [h for _, h in frames]
        check_ffmpeg_clean(path)
    if kind == "video":
        assert decoded == [h for _, h in reference_video]
    else:
        assert len(decoded) == len(reference_audio)
        assert decode_continuous(files[extension], kind) == reference_audio


def test_h265_segments_decode_to_the_source(tmp_path: Path) -> None:
    track, samples = media.h265_track(1)
    spans = record([track], samples, SegmenterConfig(format=Brand.MP4, segment_duration=1.0))
    decoded = []
    for path in write_spans(spans, tmp_path)["mp4"]:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.width, stream.height) == ("hevc", 320, 180)
            assert stream.codec_tag == "hvc1"
        decoded += [h for _, h in decode(path, "video")]
        check_ffmpeg_clean(path)
    reference = [h for _, h in decode(media.DATA / "clip_h265.h265", "video", "hevc")]
    assert decoded == reference and len(decoded) == 50


@pytest.mark.parametrize("law", ["PCMU", "PCMA"])
def test_g711_segments_decode(tmp_path: Path, law: str) -> None:
    track, samples = media.g711_track(1, law)
    spans = record([track], samples, SegmenterConfig(format=Brand.CMAF, segment_duration=0.5))
    files = write_spans(spans, tmp_path)["m4a"]
    decoded = bytearray()
    for path in files:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            name = "pcm_mulaw" if law == "PCMU" else "pcm_alaw"
            assert (stream.codec_context.name, stream.sample_rate) == (name, 8000)
            for frame in container.decode(stream):
                decoded += bytes(frame.planes[0])[: frame.samples * 2]
        check_ffmpeg_clean(path)
    fmt = "mulaw" if law == "PCMU" else "alaw"
    with av.open(str(media.DATA / "clip_pcmu.ulaw"), format=fmt) as container:
        reference = b"".join(bytes(f.planes[0])[: f.samples * 2]
                             for f in container.decode(audio=0))
    assert len(files) == 2 and bytes(decoded) == reference


def test_seek_through_mfra(tmp_path: Path) -> None:
    track, samples = media.h264_track(1)
    spans = record([track], samples, SegmenterConfig(format=Brand.MP4, segment_duration=10.0))
    path = write_spans(spans, tmp_path)["mp4"][0]
    with av.open(str(path), options={"use_mfra_for": "dts"}) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None
        container.seek(int(1.0 / stream.time_base), stream=stream)
        first = next(container.decode(stream))
    assert float(first.time or 0) == pytest.approx(1.0)
