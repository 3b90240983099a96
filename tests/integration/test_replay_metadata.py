"""Replay of a recorded ONVIF metadata track (the camera's /meta mount: H.264 + one
tt:Event document a second) through the replay RTSP server, with Digest, over RTSP/TCP,
RTP/UDP and the HTTP tunnel: TS-REPLAY 3-3-1 … 3-3-7, 3-3-10, 3-3-11
(docs/ts-replay-coverage.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from onvif_recorder.rtp.onvif_extension import ReplayExtension
from onvif_recorder.rtp.packet import RtpPacket
from tests.camera import Camera
from tests.conftest import RunningRecorder
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.integration.test_data_deletion import rows
from tests.integration.test_replay_rtsp import (
    PLAYERS,
    check_immediate_seeks,
    check_pause_and_resume,
    check_pause_at_a_time,
    recorded_video,
    replay_uri,
    same_times,
    utc_text,
)

METADATA_TRACK = 1  # trackID: the recording's second track, after VIDEO001


@contextmanager
def recorded_mount(tmp_path_factory: pytest.TempPathFactory, mount: str
                   ) -> Iterator[tuple[RunningRecorder, str]]:
    """A stopped recording of the camera's ``mount``, 1 s segments, at least four
    holding metadata."""
    data = tmp_path_factory.mktemp("replay" + mount.replace("/", "-")) / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0,
                                             replay=True) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url(mount))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: sum(r.complete and "META001" in r.tracks
                                      for r in rows(data, recording)) >= 4, 20)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: all(r.complete for r in rows(data, recording)), 10)
        yield recorder, recording


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRecorder, str]]:
    """/meta: H.264 and metadata."""
    with recorded_mount(tmp_path_factory, "/meta") as found:
        yield found


def documents(packets: list[RtpPacket]) -> list[tuple[ReplayExtension, bytes]]:
    """Each document sent: the extension of its first packet and its payloads joined
    (the RTP marker bit ends a document)."""
    found: list[tuple[ReplayExtension, bytes]] = []
    parts: list[bytes] = []
    first: ReplayExtension | None = None
    for packet in packets:
        assert packet.extension is not None  # every packet carries it
        if first is None:
            first = ReplayExtension.parse(packet.extension)
        parts.append(packet.payload)
        if packet.marker:
            found.append((first, b"".join(parts)))
            parts, first = [], None
    assert not parts, "a document without its last packet"
    return found


@pytest.mark.parametrize(("rate_control", "transport"),
                         [("no", "tcp"), ("yes", "tcp"), ("no", "udp"), ("no", "http")])
def test_metadata_alone_plays_every_recorded_document(recorded: tuple[RunningRecorder, str],
                                                      rate_control: str, transport: str
                                                      ) -> None:
    """3-3-1/3-3-4 (TCP)/3-3-2 (UDP)/3-3-3 (HTTP)/3-3-11: the metadata stream alone, every recorded
    document once, in order, byte for byte, its extension's NTP time the recorded one, T
    on the last; 3-3-10: a closed clock range stops at its end."""
    recorder, recording = recorded
    expected = recorded_video(recorder.data_dir, recording, "meta")
    assert len(expected) >= 3
    uri = replay_uri(recorder, recording, credentials=False)
    play = PLAYERS[transport]
    sent = documents(play(uri, METADATA_TRACK, Rate_Control=rate_control,
                          Range="clock=19700101T000000Z-").packets)
    assert [data for _, data in sent] == [data for _, data, _ in expected]
    for (extension, _), (utc, _, _) in zip(sent, expected, strict=True):
        assert abs(extension.utc - utc) < 1e-6
    last = play(uri, METADATA_TRACK, Rate_Control=rate_control).packets[-1]
    assert last.extension is not None and ReplayExtension.parse(last.extension).terminal
    stop = expected[1][0] + 0.001  # utc_text rounds to the millisecond
    closed = documents(play(uri, METADATA_TRACK, Rate_Control=rate_control,
                            Range=f"clock=19700101T000000Z-{utc_text(stop)}").packets)
    assert same_times([e.utc for e, _ in closed], [u for u, _, _ in expected[:2]])


@pytest.mark.parametrize("transport", ["tcp", "udp", "http"])
def test_reverse_metadata_sends_the_documents_latest_first(
        recorded: tuple[RunningRecorder, str], transport: str) -> None:
    """3-3-7 (TCP), 3-3-5 (UDP), 3-3-6 (HTTP) (Streaming §6.6: metadata is sent in reverse, audio is
    not): with Scale -1 every document arrives once, latest first."""
    recorder, recording = recorded
    expected = recorded_video(recorder.data_dir, recording, "meta")
    uri = replay_uri(recorder, recording, credentials=False)
    sent = documents(PLAYERS[transport](uri, METADATA_TRACK, Scale="-1.0", Rate_Control="no",
                                        Range=f"clock={utc_text(expected[-1][0] + 1)}-"
                                        ).packets)
    assert [data for _, data in sent] == [data for _, data, _ in reversed(expected)]


def test_pause_and_resume_metadata(recorded: tuple[RunningRecorder, str]) -> None:
    """REPLAY-3-3-14: PAUSE without Range on a metadata session, then PLAY resumes."""
    check_pause_and_resume(recorded, METADATA_TRACK, "meta", count=2)  # sparse documents


def test_immediate_metadata_seeks(recorded: tuple[RunningRecorder, str]) -> None:
    """REPLAY-3-3-12 and 3-3-16: Immediate PLAYs seek a metadata session at once."""
    check_immediate_seeks(recorded, METADATA_TRACK, "meta", count=1)


def test_pause_with_a_range_on_metadata(recorded: tuple[RunningRecorder, str]) -> None:
    """REPLAY-3-3-15: PAUSE with a clock Range on a metadata session stops there."""
    check_pause_at_a_time(recorded, METADATA_TRACK, "meta")
