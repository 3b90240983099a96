"""Replay of what the real camera recorded, through the replay RTSP server, read by
real clients: GStreamer's ONVIF replay client (rtspsrc onvif-mode), ffprobe and PyAV;
and our own interleaved reader checking the ONVIF header extension (Streaming §6.3)."""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import pytest

from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.rtp.onvif_extension import ReplayExtension, ntp_timestamp
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.rtcp import Bye, RtcpPacket, SenderReport, parse_compound
from tests.camera import Camera
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, RunningRecorder
from tests.integration.helpers import client
from tests.integration.recording_support import engine_recorder, wait_until
from tests.integration.test_data_deletion import record_av, rows


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRecorder, str]]:
    """A stopped recording of the camera's /av mount (H.264 + AAC), 1 s segments."""
    data = tmp_path_factory.mktemp("replay") / "data"
    with Camera() as camera, engine_recorder(data, segment_duration=1.0,
                                             replay=True) as recorder:
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        recording, job = record_av(trc, trv, camera, data)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: all(r.complete for r in rows(data, recording)), 10)
        yield recorder, recording


def replay_uri(recorder: RunningRecorder, recording: str, credentials: bool = True) -> str:
    trp, _ = client(recorder, "replay")
    uri = str(trp.GetReplayUri(StreamSetup={"Stream": "RTP-Unicast",
                                            "Transport": {"Protocol": "RTSP"}},
                               RecordingToken=recording))
    if credentials:
        uri = uri.replace("rtsp://", f"rtsp://{ADMIN_USER}:{ADMIN_PASSWORD}@")
    return uri


def recorded_video(data: Path, recording: str) -> list[tuple[float, bytes, bool]]:
    """(capture UTC, sample bytes, sync) of every recorded video sample, in order."""
    found = []
    for row in rows(data, recording):
        if row.extension == "mp4_end":
            continue
        segment = read_segment((data / "media" / row.key).read_bytes())
        for sample in segment.samples:
            if segment.tracks[sample.track_id].handler == "vide":
                found.append((segment.utc(sample.track_id, sample.presentation_time),
                              sample.data, sample.sync))
    return found


@pytest.mark.parametrize("transport", ["tcp", "udp", "http"])
def test_ffprobe_reads_the_replay_uri(recorded: tuple[RunningRecorder, str],
                                      transport: str) -> None:
    recorder, recording = recorded
    done = subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", transport,
                           "-show_streams",
                           "-of", "json", replay_uri(recorder, recording)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"codec_name": "h264"' in done.stdout and '"codec_name": "aac"' in done.stdout


def frame_hashes(container: Any) -> list[str]:
    return [hashlib.sha256(b"".join(bytes(p) for p in frame.planes)).hexdigest()
            for frame in container.decode(container.streams.video[0])]


@pytest.mark.parametrize("transport", ["tcp", "udp", "http"])
def test_pyav_decodes_every_recorded_frame(recorded: tuple[RunningRecorder, str],
                                           transport: str) -> None:
    """Rate-Control yes (the default): the decoded frames are those decoded from disk."""
    recorder, recording = recorded
    expected: list[str] = []
    for row in rows(recorder.data_dir, recording):
        if row.extension != "mp4_end":
            with av.open(str(recorder.data_dir / "media" / row.key)) as container:
                expected += frame_hashes(container)
    with av.open(replay_uri(recorder, recording), options={"rtsp_transport": transport},
                 timeout=20) as container:
        assert frame_hashes(container) == expected


def test_gstreamer_onvif_replay_client_plays_back(recorded: tuple[RunningRecorder, str]
                                                  ) -> None:
    """rtspsrc onvif-mode (Range clock, server-paced, Require onvif-replay, Digest)
    with rtponvifparse reading the extension: every recorded video frame is decoded,
    the first GOP and the terminal frame included (see RtpStream.packets). Decoded
    buffers are counted; rtponvifparse ends the stream at the T bit."""
    recorder, recording = recorded
    expected = len(recorded_video(recorder.data_dir, recording))
    uri = replay_uri(recorder, recording, credentials=False)
    done = subprocess.run(
        ["timeout", "12", "gst-launch-1.0", "-v", "rtspsrc", f"location={uri}",
         "onvif-mode=true", f"user-id={ADMIN_USER}",
         f"user-pw={ADMIN_PASSWORD}", "protocols=tcp", "name=src",
         "src.", "!", "queue", "!", "application/x-rtp,media=video", "!", "rtponvifparse", "!",
         "rtph264depay", "!", "h264parse", "!", "openh264dec", "!", "fakesink", "name=v",
         "silent=false", "sync=false",
         "src.", "!", "queue", "!", "application/x-rtp,media=audio", "!", "fakesink"],
        capture_output=True, text=True, timeout=60)
    decoded = done.stdout.count("GstFakeSink:v: last-message = chain")
    assert decoded == expected, done.stderr[-2000:]


class RawClient:
    """A minimal RTSP/TCP client with Digest (MD5), to see every interleaved packet."""

    def __init__(self, uri: str) -> None:
        parts = urlsplit(uri)
        self.uri = uri
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.buffer = b""
        self.cseq = 0
        self.auth: dict[str, str] | None = None
        self.session: str | None = None

    def request(self, method: str, url: str, **headers: str) -> tuple[int, dict[str, str]]:
        status, answer = self._send(method, url, headers)
        if status == 401:
            challenge = answer["www-authenticate"]
            md5 = next(c for c in challenge.split("\n") if "MD5" in c)
            self.auth = dict(re.findall(r'(\w+)="?([^",]*)"?', md5.removeprefix("Digest ")))
            status, answer = self._send(method, url, headers)
        if "session" in answer:
            self.session = answer["session"].split(";")[0]
        return status, answer

    def _send(self, method: str, url: str, headers: dict[str, str]
              ) -> tuple[int, dict[str, str]]:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
        if self.session:
            lines.append(f"Session: {self.session}")
        if self.auth is not None:
            lines.append(self._authorization(method, url))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            item = self.next_item()
            if len(item) == 2:
                return item

    def _authorization(self, method: str, url: str) -> str:
        assert self.auth is not None

        def h(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = h(f"{ADMIN_USER}:{self.auth['realm']}:{ADMIN_PASSWORD}")
        nc, cnonce = f"{self.cseq:08x}", "abcdef"
        response = h(f"{ha1}:{self.auth['nonce']}:{nc}:{cnonce}:auth:{h(f'{method}:{url}')}")
        return (f'Authorization: Digest username="{ADMIN_USER}", realm="{self.auth["realm"]}", '
                f'nonce="{self.auth["nonce"]}", uri="{url}", response="{response}", '
                f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", '
                f'opaque="{self.auth["opaque"]}"')

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buffer += data

    def next_item(self) -> tuple[int, dict[str, str]] | tuple[int, bytes, None]:
        """A response (status, headers) or an interleaved frame (channel, payload, None)."""
        while len(self.buffer) < 4:
            self._fill()
        if self.buffer[:1] == b"$":
            size = int.from_bytes(self.buffer[2:4], "big")
            while len(self.buffer) < 4 + size:
                self._fill()
            channel, payload = self.buffer[1], self.buffer[4:4 + size]
            self.buffer = self.buffer[4 + size:]
            return channel, payload, None
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = (headers[key] + "\n" if key in headers else "") + value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            self._fill()
            rest = self.buffer.partition(b"\r\n\r\n")[2]
        self.buffer = rest[length:]
        return int(lines[0].split()[1]), headers


@dataclass
class Played:
    """What a PLAY answered and sent on the video stream: its RTP packets, and each RTCP
    compound with the number of RTP packets received before it and the receipt time."""

    play: dict[str, str]
    packets: list[RtpPacket] = field(default_factory=list)
    reports: list[tuple[int, float, list[RtcpPacket]]] = field(default_factory=list)


def play_all(uri: str, **play_headers: str) -> Played:
    """SETUP the video stream, PLAY, collect its RTP and RTCP packets up to the RTCP BYE
    (sent to clients that do not require onvif-replay)."""
    client_ = RawClient(uri)
    status, _ = client_.request("DESCRIBE", uri, Accept="application/sdp")
    assert status == 200
    status, answer = client_.request("SETUP", f"{uri}/trackID=0", Require="onvif-replay",
                                     Transport="RTP/AVP/TCP;unicast;interleaved=0-1")
    assert status == 200 and "timeout=" in answer["session"]
    status, play = client_.request("PLAY", uri, **play_headers)
    assert status == 200 and "seq=" in play["rtp-info"] and "rtptime=" in play["rtp-info"]
    play["cseq"] = str(client_.cseq)
    played = Played(play)
    while True:
        item = client_.next_item()
        if len(item) == 3 and item[0] == 0:
            played.packets.append(RtpPacket.parse(item[1]))
        elif len(item) == 3 and item[0] == 1:
            compound = parse_compound(item[1])
            played.reports.append((len(played.packets), time.time(), compound))
            if any(isinstance(p, Bye) for p in compound):
                break
    status, _ = client_.request("TEARDOWN", uri)
    assert status == 200
    return played


LEAD_IN, END_OF_STREAM = b"\x09\xf0", b"\x0b"  # H.264 NAL types 9 and 11


def frame_starts(packets: list[RtpPacket]
                 ) -> tuple[list[tuple[RtpPacket, ReplayExtension]], ReplayExtension]:
    """The first packet and extension of every frame sent, and the extension of the
    end-of-stream unit, after checking the bracket replay/playback.py puts around a
    PLAY's frames: an access unit delimiter alone, one tick before the first frame, and
    the terminal frame's end-of-stream NAL unit alone in the last packet, the only one
    with T."""
    lead, *media, end = packets
    assert lead.payload == LEAD_IN and lead.marker
    assert (media[0].timestamp - lead.timestamp) & 0xFFFFFFFF == 1
    assert end.payload == END_OF_STREAM and end.timestamp == media[-1].timestamp
    assert end.extension is not None and lead.extension is not None
    starts = []
    for before, packet in zip([lead, *media], media, strict=False):
        assert packet.extension is not None
        assert packet.sequence_number == (before.sequence_number + 1) & 0xFFFF
        if before.marker:
            starts.append((packet, ReplayExtension.parse(packet.extension)))
    assert not any(ReplayExtension.parse(p.extension).terminal for p in media if p.extension)
    return starts, ReplayExtension.parse(end.extension)


def test_every_frame_carries_the_onvif_extension(recorded: tuple[RunningRecorder, str]) -> None:
    """Streaming §6.3: NTP time = recorded capture time, C on sync frames, T on the last,
    CSeq of the PLAY; Rate-Control no: sequence numbers and timestamps in order."""
    recorder, recording = recorded
    expected = recorded_video(recorder.data_dir, recording)
    played = play_all(replay_uri(recorder, recording, credentials=False),
                      Rate_Control="no", Range="clock=19700101T000000Z-")
    play, packets = played.play, played.packets
    firsts, end = frame_starts(packets)
    assert len(firsts) == len(expected)
    for (_, ext), (utc, _, sync) in zip(firsts, expected, strict=True):
        assert abs(ext.utc - utc) < 1e-6 and ext.clean_point == sync
        assert ext.cseq == int(play["cseq"]) and not ext.discontinuity
    assert end.terminal and end.end_of_section and firsts[-1][1].end_of_section
    assert end.utc == firsts[-1][1].utc


def sender_reports(played: Played) -> list[tuple[int, float, SenderReport]]:
    found = []
    for before, received, compound in played.reports:
        report = compound[0]
        assert isinstance(report, SenderReport)  # RFC 3550 §6.1: a compound starts so
        found.append((before, received, report))
    return found


def test_sender_reports_count_what_was_sent_and_pair_wall_clock_with_rtp_time(
        recorded: tuple[RunningRecorder, str]) -> None:
    """Streaming §6.11, RFC 3550 §6.4.1, with rate control: a report at the start and
    with the BYE; packet and octet counts equal what arrived before it; NTP is the wall
    clock and the RTP time that of the same instant (the last packet's time advanced by
    the time since it was sent)."""
    recorder, recording = recorded
    played = play_all(replay_uri(recorder, recording, credentials=False))
    reports = sender_reports(played)
    first_frame_sent = next(index for index, packet in enumerate(played.packets[1:], 2)
                            if packet.marker)  # the lead-in, then the first frame
    assert len(reports) >= 2 and reports[0][0] == first_frame_sent
    ssrc = played.packets[0].ssrc
    for before, received, report in reports:
        sent = played.packets[:before]
        assert report.ssrc == ssrc and report.packet_count == len(sent)
        assert report.octet_count == sum(len(p.payload) for p in sent)
        assert abs(report.ntp_timestamp - ntp_timestamp(received)) < 2**32 // 2  # 0.5 s
        elapsed = (report.rtp_timestamp - sent[-1].timestamp) & 0xFFFFFFFF
        assert elapsed < 90000 // 2  # no more than 0.5 s after the last frame
    assert isinstance(played.reports[-1][2][-1], Bye)


def test_sender_reports_without_rate_control_carry_zero_times(
        recorded: tuple[RunningRecorder, str]) -> None:
    """Streaming §6.11: without rate control the NTP and RTP timestamps are zero."""
    recorder, recording = recorded
    played = play_all(replay_uri(recorder, recording, credentials=False),
                      Rate_Control="no", Range="clock=19700101T000000Z-")
    reports = sender_reports(played)
    assert reports and all(r.ntp_timestamp == 0 == r.rtp_timestamp for _, _, r in reports)
    assert reports[-1][2].packet_count == len(played.packets)


def test_play_with_a_closed_clock_range_starts_at_the_clean_point_and_stops(
        recorded: tuple[RunningRecorder, str]) -> None:
    """§6.5.4: the first frame is the last sync frame at or before the start; nothing
    at or after the end is sent (REPLAY-3-1-10)."""
    recorder, recording = recorded
    expected = recorded_video(recorder.data_dir, recording)
    syncs = [utc for utc, _, sync in expected if sync]
    start, stop = syncs[1] + 0.3, syncs[1] + 0.9
    text = f"clock={utc_text(start)}-{utc_text(stop)}"
    played = play_all(replay_uri(recorder, recording, credentials=False),
                      Rate_Control="no", Range=text, Immediate="yes")
    play, packets = played.play, played.packets
    times = [ReplayExtension.parse(p.extension).utc for p in packets if p.extension]
    first = ReplayExtension.parse(packets[0].extension) if packets[0].extension else None
    assert first is not None and first.clean_point and first.discontinuity
    assert abs(min(times) - syncs[1]) < 0.002
    assert max(times) < stop + 0.1
    assert "clock=" in play["range"]


def utc_text(moment: float) -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(moment)) + f".{round(moment % 1 * 1000):03d}Z"


@pytest.mark.parametrize("rate_control", ["no", None])
def test_reverse_playback_sends_gops_latest_first(recorded: tuple[RunningRecorder, str],
                                                  rate_control: str | None) -> None:
    """§6.6 (REPLAY-3-1-5 sends no Rate-Control): GOPs in reverse order, frames forward
    within each, D on each GOP's first packet, sequence numbers increasing; RTP times the
    original ones without rate control, render times (decreasing in a GOP, GOP starts
    increasing) with it; E and T on the last frame sent."""
    recorder, recording = recorded
    expected = recorded_video(recorder.data_dir, recording)
    headers = {"Scale": "-1.0", "Range": f"clock={utc_text(expected[-1][0] + 1)}-"}
    if rate_control:
        headers["Rate_Control"] = rate_control
    packets = play_all(replay_uri(recorder, recording, credentials=False), **headers).packets
    frames, end = frame_starts(packets)
    gops: list[list[tuple[RtpPacket, ReplayExtension]]] = []
    for packet, ext in frames:
        if ext.discontinuity:
            assert ext.clean_point
            gops.append([])
        gops[-1].append((packet, ext))
    starts = [gop[0][1].utc for gop in gops]
    assert starts == sorted(starts, reverse=True)
    assert (sorted(round(e.utc, 5) for _, e in frames)
            == sorted(round(utc, 5) for utc, _, _ in expected))  # NTP: 2^-32 s steps
    assert len(gops) == sum(sync for _, _, sync in expected)
    for gop in gops:
        times = [e.utc for _, e in gop]
        assert times == sorted(times)
        stamps = [p.timestamp for p, _ in gop]
        if rate_control == "no":
            assert stamps == sorted(stamps)
        else:
            assert stamps == sorted(stamps, reverse=True)
    firsts = [gop[0][0].timestamp for gop in gops]
    assert firsts == sorted(firsts, reverse=rate_control == "no")
    assert end.terminal and end.end_of_section and end.utc == frames[-1][1].utc


def test_pause_and_resume_where_it_paused(recorded: tuple[RunningRecorder, str]) -> None:
    """REPLAY-3-1-15: PAUSE without Range stops the packets; PLAY without Range goes on
    from the pause point: from the clean point at or before it (§6.5.4), D set since the
    time steps back to it."""
    recorder, recording = recorded
    uri = replay_uri(recorder, recording, credentials=False)
    client_ = RawClient(uri)
    assert client_.request("DESCRIBE", uri)[0] == 200
    assert client_.request("SETUP", f"{uri}/trackID=0",
                           Transport="RTP/AVP/TCP;unicast;interleaved=0-1")[0] == 200
    assert client_.request("PLAY", uri, Range="clock=19700101T000000Z-")[0] == 200
    before: list[ReplayExtension] = []
    while len(before) < 10:
        item = client_.next_item()
        if len(item) == 3 and item[0] == 0:
            packet = RtpPacket.parse(item[1])
            assert packet.extension is not None
            before.append(ReplayExtension.parse(packet.extension))
    status, _ = client_.request("PAUSE", uri)  # packets sent meanwhile are skipped by it
    assert status == 200
    client_.sock.settimeout(1.0)
    with pytest.raises(TimeoutError):
        while True:  # nothing more arrives once the PAUSE is answered
            client_.next_item()
    client_.sock.settimeout(10)
    client_.buffer = b""
    status, play = client_.request("PLAY", uri)
    assert status == 200 and "clock=" in play["range"]
    item = client_.next_item()
    while len(item) != 3 or item[0] != 0:
        item = client_.next_item()
    packet = RtpPacket.parse(item[1])
    assert packet.extension is not None
    resumed = ReplayExtension.parse(packet.extension)
    expected = recorded_video(recorder.data_dir, recording)
    paused_at = max(e.utc for e in before)
    clean = max(utc for utc, _, sync in expected if sync and utc <= paused_at + 1e-6)
    assert resumed.clean_point and resumed.discontinuity
    assert abs(resumed.utc - clean) < 1e-5 or clean < resumed.utc <= paused_at + 0.5


def test_serve_runs_the_rtsp_server_on_the_port_it_names(tmp_path: Path) -> None:
    """``onvif-recorder serve --rtsp-listen 127.0.0.1:0``: GetReplayUri names the port
    really bound, and an RTSP client is answered there (Digest challenge included)."""
    from tests.integration.helpers import recording_configuration
    from tests.integration.recorder_process import RecorderProcess
    from tests.onvif_client import onvif_service_with_recorder

    with RecorderProcess(tmp_path / "data", extra_args=("--rtsp-listen", "127.0.0.1:0")) as rp:
        trc, _ = onvif_service_with_recorder("recording", rp.service_url("recording"),
                                             username="admin", password="Admin-Pass-1")
        token = trc.CreateRecording(RecordingConfiguration=recording_configuration())
        trp, _ = onvif_service_with_recorder("replay", rp.service_url("replay"),
                                             username="admin", password="Admin-Pass-1")
        uri = str(trp.GetReplayUri(StreamSetup={"Stream": "RTP-Unicast",
                                                "Transport": {"Protocol": "RTSP"}},
                                   RecordingToken=token))
        port = urlsplit(uri).port
        assert uri == f"rtsp://127.0.0.1:{port}/replay/{token}" and port not in (0, 8554)
        raw = RawClient(uri)
        assert raw._send("OPTIONS", uri, {})[0] == 200
        status, answer = raw._send("DESCRIBE", uri, {})
        assert status == 401 and "Digest" in answer["www-authenticate"]
        assert raw.request("DESCRIBE", uri)[0] == 404  # nothing recorded yet


def test_frames_intra_sends_only_the_sync_frames(recorded: tuple[RunningRecorder, str]) -> None:
    """REPLAY-3-1-11 (§6.5.3): with ``Frames: intra`` only I-frames, every one of them."""
    recorder, recording = recorded
    expected = recorded_video(recorder.data_dir, recording)
    packets = play_all(replay_uri(recorder, recording, credentials=False),
                       Rate_Control="no", Frames="intra",
                       Range="clock=19700101T000000Z-").packets
    firsts = [extension for _, extension in frame_starts(packets)[0]]
    assert all(e.clean_point for e in firsts)
    assert [round(e.utc, 5) for e in firsts] == [round(u, 5) for u, _, s in expected if s]
