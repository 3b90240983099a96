"""Sans-IO end to end: fixture bytes through the session into timed samples."""

from __future__ import annotations

import pytest

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp.depacketize.base import H264Config
from onvif_recorder.rtp.stream import ReceivedSample, RtpStream
from onvif_recorder.rtp.timing import ClockSource
from onvif_recorder.rtsp.events import MediaData, Playing
from onvif_recorder.rtsp.headers import Transport
from tests.unit.rtsp.test_session import play_h264

pytestmark = pytest.mark.usefixtures("kernel")  # the Python and the compiled kernels


@pytest.mark.parametrize("chunk", [0, 1])
def test_interleaved_gstreamer_stream_becomes_samples(chunk: int) -> None:
    session, _, events = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin", chunk=chunk)
    playing = events[0]
    assert isinstance(playing, Playing) and session.description is not None
    media = session.description.media[0]
    depacketizer = create_depacketizer(media.encoding, media.clock_rate, media.fmtp)
    stream = RtpStream(depacketizer, media.clock_rate, ssrc=playing.streams[0].transport.ssrc)
    samples: list[ReceivedSample] = []
    for event in events[1:]:
        assert isinstance(event, MediaData)
        if event.rtcp:
            stream.receive_rtcp(event.data, 1.0)
        else:
            samples += stream.receive_rtp(event.data, 1.0, 1_709_632_900.0)
    # The P frame completes on its marker; the IDR (SPS and PPS joined to it) before it.
    idr, p_frame = samples
    assert idr.sync and not p_frame.sync and idr.config_changed
    assert isinstance(idr.config, H264Config) and idr.config.info is not None
    assert (idr.config.info.width, idr.config.info.height) == (640, 360)
    assert [u[0] & 0x1F for u in idr.units] == [7, 8, 5]
    assert p_frame.pts - idr.pts == 3600
    assert idr.clock_source is ClockSource.ARRIVAL
    assert stream.clock.source is ClockSource.RTCP  # the SR at the end re-anchored the clock
    assert stream.stats.sequence.lost == stream.stats.dropped == 0
