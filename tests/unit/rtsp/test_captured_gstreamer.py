"""Replays of what the real test camera sent to this client (tests/data/rtsp/captured).

``capture.py`` recorded every byte gst-rtsp-server 1.22 sent while our ClientSession
played each mount over TCP; replaying them with the same cnonce makes the session
send the same requests, so the whole ingest path - session, RTP, depacketizers, SPS
parsing - runs on real server bytes without a server.
"""

from __future__ import annotations

import itertools

import pytest

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize.base import AacConfig, H264Config, H265Config
from onvif_recorder.rtp.stream import ReceivedSample, RtpStream
from onvif_recorder.rtsp.events import Described, MediaData, MediaSelection, Playing
from onvif_recorder.rtsp.headers import Transport
from onvif_recorder.rtsp.message import NEED_DATA
from onvif_recorder.rtsp.session import ClientSession
from onvif_recorder.rtsp.session_state import State
from tests.unit.rtsp.fixtures import fixture

pytestmark = pytest.mark.usefixtures("kernel")  # the Python and the compiled kernels


def replay(name: str, url: str,
           chunk: int = 0) -> tuple[ClientSession, dict[int, list[ReceivedSample]]]:
    session = ClientSession(url, cnonce=lambda: "0a4f113b")
    session.start(0.0)
    data = fixture(f"captured/{name}")
    streams: dict[int, RtpStream] = {}
    samples: dict[int, list[ReceivedSample]] = {}
    for start in range(0, len(data), chunk or len(data)):
        session.receive_data(data[start : start + (chunk or len(data))], 1.0)
        while (event := session.next_event()) is not NEED_DATA:
            if isinstance(event, Described):
                media = event.description.media
                session.setup([MediaSelection(i, Transport.tcp()) for i in range(len(media))],
                              1.0)
                for i, m in enumerate(media):
                    depacketizer = create_depacketizer(m.encoding, m.clock_rate, m.fmtp,
                                                       channels=m.channels)
                    streams[i] = RtpStream(depacketizer, m.clock_rate)
                    samples[i] = []
            elif isinstance(event, MediaData) and not event.rtcp:
                samples[event.media_index] += streams[event.media_index].receive_rtp(
                    event.data, 1.0, 1_800_000_000.0)
            elif isinstance(event, MediaData):
                streams[event.media_index].receive_rtcp(event.data, 1.0)
            else:
                assert isinstance(event, Playing)
    for stream in streams.values():
        assert stream.stats.malformed == stream.stats.dropped == 0
        assert stream.stats.sequence.lost == 0
    return session, samples


def video_size(sample: ReceivedSample) -> tuple[int, int]:
    config = sample.config
    assert isinstance(config, H264Config | H265Config) and config.info is not None
    return config.info.width, config.info.height


@pytest.mark.parametrize(("name", "mount"), [("gstreamer_h264_tcp.bin", "/h264"),
                                             ("gstreamer_h265_tcp.bin", "/h265")])
def test_video_mounts_give_640x360_samples_at_25_fps(name: str, mount: str) -> None:
    session, samples = replay(name, f"rtsp://127.0.0.1:34643{mount}")
    assert session.state is State.PLAYING
    video = samples[0]
    assert len(video) >= 5 and video[0].sync
    assert video_size(video[0]) == (640, 360)
    steps = {b.pts - a.pts for a, b in itertools.pairwise(video)}
    assert steps == {3600}  # 25 fps at 90 kHz, monotonic


def test_h264_with_aac_mount() -> None:
    _, samples = replay("gstreamer_av_tcp.bin", "rtsp://127.0.0.1:34643/av")
    audio = samples[1]
    assert audio and isinstance(audio[0].config, AacConfig)
    assert audio[0].config.info.sampling_frequency == 16000
    assert {b.pts - a.pts for a, b in itertools.pairwise(audio)} == {1024}


def test_metadata_mount_gives_whole_onvif_documents() -> None:
    _, samples = replay("gstreamer_meta_tcp.bin", "rtsp://127.0.0.1:34643/meta")
    (document,) = samples[1]
    assert document.units[0].startswith(b"<?xml")
    assert b"tns1:VideoSource/MotionAlarm" in document.units[0]
    assert document.units[0].rstrip().endswith(b"</tt:MetadataStream>")


@pytest.mark.parametrize("chunk", [0, 1])
def test_digest_protected_mount_replays_in_any_chunking(chunk: int) -> None:
    session, samples = replay("gstreamer_h264_digest_tcp.bin",
                              "rtsp://admin:secret@127.0.0.1:38047/h264", chunk)
    assert session.state is State.PLAYING and session.session_id == "pXtQcDIxSppDVq4Y"
    assert session.session_timeout == 60  # GStreamer sends no timeout: the RFC default
    assert len(samples[0]) >= 3
    assert all(video_size(s) == (640, 360) for s in samples[0])
