"""Replay of a recording with video, audio and metadata together (the camera's /avm mount:
H.264, AAC and ONVIF metadata on one RTSP session), all three tracks set up on one RTSP
session: TS-REPLAY 3-4-x (docs/ts-replay-coverage.md)."""

from __future__ import annotations

import re
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from onvif_recorder.rtp.onvif_extension import ReplayExtension
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.rtcp import Bye, parse_compound
from tests.conftest import RunningRecorder
from tests.integration.test_replay_metadata import recorded_mount
from tests.integration.test_replay_rtsp import (
    RawClient,
    TunnelClient,
    recorded_video,
    replay_uri,
    same_times,
    udp_pair,
    utc_text,
)

HANDLERS = {"video": "vide", "audio": "soun", "application": "meta"}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRecorder, str]]:
    """/avm: H.264, AAC and metadata on one RTSP session."""
    with recorded_mount(tmp_path_factory, "/avm") as found:
        yield found


@dataclass
class Session:
    """One RTSP session with every track of the SDP set up, interleaved on 2n/2n+1."""

    client: RawClient
    uri: str
    kinds: list[str] = field(default_factory=list)
    """The SDP media kind of each channel pair, in SETUP order."""

    @classmethod
    def open(cls, raw: RawClient, uri: str) -> Session:
        assert raw.request("DESCRIBE", uri, Accept="application/sdp")[0] == 200
        sdp = raw.last_body
        session = cls(raw, uri)
        for number, section in enumerate(sdp.split("m=")[1:]):
            control = re.search(r"a=control:(\S+)", section)
            assert control is not None and "a=x-onvif-track:" in section
            session.kinds.append(section.split()[0])
            status, _ = raw.request(
                "SETUP", f"{uri}/{control[1]}", Require="onvif-replay",
                Transport=f"RTP/AVP/TCP;unicast;interleaved={2 * number}-{2 * number + 1}")
            assert status == 200
        assert sorted(session.kinds) == ["application", "audio", "video"]
        return session

    def extensions(self, until_bye: bool = True, count: int = 0
                   ) -> dict[str, list[ReplayExtension]]:
        """The extensions of each kind's packets that start a frame, up to the BYE on
        every stream (or ``count`` packets in all)."""
        found: dict[str, list[ReplayExtension]] = {kind: [] for kind in self.kinds}
        last: dict[str, RtpPacket | None] = dict.fromkeys(self.kinds)
        byes, seen = 0, 0
        while (until_bye and byes < len(self.kinds)) or (not until_bye and seen < count):
            item = self.client.next_item()
            if len(item) != 3:
                continue
            kind = self.kinds[item[0] // 2]
            if item[0] % 2:
                byes += any(isinstance(p, Bye) for p in parse_compound(item[1]))
                continue
            packet = RtpPacket.parse(item[1])
            assert packet.extension is not None
            before, last[kind] = last[kind], packet
            seen += 1
            if (before is None or before.marker) and not _bracket(kind, packet):
                found[kind].append(ReplayExtension.parse(packet.extension))
        return found


def _bracket(kind: str, packet: RtpPacket) -> bool:
    """The access unit delimiter and end-of-stream units around a PLAY's H.264 frames
    (replay/playback.py)."""
    return kind == "video" and packet.payload in (b"\x09\xf0", b"\x0b")


def expected_times(recorder: RunningRecorder, recording: str, kind: str) -> list[float]:
    return [utc for utc, _, _ in recorded_video(recorder.data_dir, recording, HANDLERS[kind])]


@pytest.mark.parametrize("transport", ["tcp", "http"])
def test_every_frame_of_every_track_arrives(recorded: tuple[RunningRecorder, str],
                                            transport: str) -> None:
    """REPLAY-3-4-1, 3-4-3 (HTTP), 3-4-4 (TCP), 3-4-12 (Rate-Control no): the three
    tracks on one session, each frame once, with its recorded capture time."""
    recorder, recording = recorded
    uri = replay_uri(recorder, recording, credentials=False)
    raw = RawClient(uri) if transport == "tcp" else TunnelClient(uri)
    session = Session.open(raw, uri)
    assert raw.request("PLAY", uri, Rate_Control="no", Range="clock=19700101T000000Z-")[0] \
        == 200
    found = session.extensions()
    for kind, extensions in found.items():
        assert same_times([e.utc for e in extensions],
                          expected_times(recorder, recording, kind)), kind
    assert raw.request("TEARDOWN", uri)[0] == 200


def test_every_frame_of_every_track_arrives_over_udp(recorded: tuple[RunningRecorder, str]
                                                     ) -> None:
    """REPLAY-3-4-2: the three tracks over RTP/UDP unicast, each to its own port pair."""
    recorder, recording = recorded
    uri = replay_uri(recorder, recording, credentials=False)
    raw = RawClient(uri)
    assert raw.request("DESCRIBE", uri, Accept="application/sdp")[0] == 200
    sections = raw.last_body.split("m=")[1:]
    pairs: dict[socket.socket, tuple[str, bool]] = {}
    for section in sections:
        control = re.search(r"a=control:(\S+)", section)
        assert control is not None
        rtp, rtcp = udp_pair()
        kind = section.split()[0]
        pairs[rtp], pairs[rtcp] = (kind, False), (kind, True)
        port = rtp.getsockname()[1]
        status, answer = raw.request("SETUP", f"{uri}/{control[1]}", Require="onvif-replay",
                                     Transport=f"RTP/AVP;unicast;client_port={port}-{port + 1}")
        assert status == 200 and "server_port=" in answer["transport"]
    assert raw.request("PLAY", uri, Rate_Control="no", Range="clock=19700101T000000Z-")[0] \
        == 200
    packets: dict[str, list[RtpPacket]] = {kind: [] for kind, _ in pairs.values()}
    byes: set[str] = set()
    deadline = time.monotonic() + 30
    while len(byes) < len(sections) and time.monotonic() < deadline:
        ready, _, _ = select.select(list(pairs), [], [], 0.5)
        for sock in ready:
            kind, is_rtcp = pairs[sock]
            data = sock.recv(65536)
            if not is_rtcp:
                packets[kind].append(RtpPacket.parse(data))
            elif any(isinstance(p, Bye) for p in parse_compound(data)):
                byes.add(kind)
    for sock in pairs:  # what was sent just before the BYEs
        sock.setblocking(False)
        while not pairs[sock][1]:
            try:
                packets[pairs[sock][0]].append(RtpPacket.parse(sock.recv(65536)))
            except BlockingIOError:
                break
        sock.close()
    assert len(byes) == 3
    for kind, received in packets.items():
        first = received[0].sequence_number  # UDP may reorder; sequence numbers wrap
        received.sort(key=lambda p: (p.sequence_number - first + 32768) % 65536)
        starts = [ReplayExtension.parse(p.extension) for before, p
                  in zip([None, *received], received, strict=False)
                  if p.extension is not None and (before is None or before.marker)
                  and not _bracket(kind, p)]
        assert same_times([e.utc for e in starts],
                          expected_times(recorder, recording, kind)), kind
    assert raw.request("TEARDOWN", uri)[0] == 200


def test_a_closed_range_gives_each_track_its_part(recorded: tuple[RunningRecorder, str]
                                                  ) -> None:
    """REPLAY-3-4-10: a closed clock range: video from the sync frame at or before its
    start, audio and metadata from the start, nothing at or after its end."""
    recorder, recording = recorded
    video = recorded_video(recorder.data_dir, recording)
    syncs = [utc for utc, _, sync in video if sync]
    start = syncs[1] + 0.3
    # The camera sends a metadata document a second (later on a loaded
    # machine): the range ends after the first document past its start, so every
    # track has a part in it.
    metadata = [utc for utc, _, _ in recorded_video(recorder.data_dir, recording, "meta")]
    stop = max(start + 0.6, min(utc for utc in metadata if utc >= start) + 0.1)
    uri = replay_uri(recorder, recording, credentials=False)
    raw = RawClient(uri)
    session = Session.open(raw, uri)
    assert raw.request("PLAY", uri, Rate_Control="no",
                       Range=f"clock={utc_text(start)}-{utc_text(stop)}")[0] == 200
    found = session.extensions()
    assert found["video"][0].utc == pytest.approx(syncs[1], abs=1e-5)
    for kind, extensions in found.items():
        assert extensions and max(e.utc for e in extensions) < round(stop, 3), kind
    assert raw.request("TEARDOWN", uri)[0] == 200


def test_immediate_seek_pause_and_resume_move_every_track(
        recorded: tuple[RunningRecorder, str]) -> None:
    """REPLAY-3-4-13 (Immediate), 3-4-16 (seek), 3-4-14 (PAUSE without Range), 3-4-15
    (PAUSE with Range) on one paced session of the three tracks."""
    recorder, recording = recorded
    video = recorded_video(recorder.data_dir, recording)
    uri = replay_uri(recorder, recording, credentials=False)
    raw = RawClient(uri)
    session = Session.open(raw, uri)
    assert raw.request("PLAY", uri, Require="onvif-replay",
                       Range="clock=19700101T000000Z-")[0] == 200
    session.extensions(until_bye=False, count=10)
    wanted = video[len(video) // 2][0] + 0.01
    assert raw.request("PLAY", uri, Require="onvif-replay", Immediate="yes",
                       Range=f"clock={utc_text(wanted)}-")[0] == 200
    cseq = raw.cseq & 0xFF
    after = session.extensions(until_bye=False, count=40)
    for kind, extensions in after.items():
        fresh = [e for e in extensions if e.cseq == cseq]
        assert fresh, kind
        assert extensions[extensions.index(fresh[0]):] == fresh, kind  # no old PLAY after
        assert fresh[0].discontinuity and fresh[0].utc <= wanted + 0.1, kind
    pause_at = wanted + 0.6
    assert raw.request("PAUSE", uri, Range=f"clock={utc_text(pause_at)}")[0] == 200
    raw.sock.settimeout(2.0)
    tail: dict[str, list[ReplayExtension]] = {kind: [] for kind in session.kinds}
    with pytest.raises(TimeoutError):
        while True:
            item = raw.next_item()
            if len(item) == 3 and item[0] % 2 == 0:
                packet = RtpPacket.parse(item[1])
                assert packet.extension is not None
                tail[session.kinds[item[0] // 2]].append(ReplayExtension.parse(
                    packet.extension))
    raw.sock.settimeout(10)
    raw.buffer = b""
    assert all(e.utc < round(pause_at, 3) for extensions in tail.values()
               for e in extensions)
    assert raw.request("PLAY", uri, Require="onvif-replay")[0] == 200
    resumed = session.extensions(until_bye=False, count=10)
    assert any(resumed.values())
    assert raw.request("PAUSE", uri)[0] == 200
    assert raw.request("TEARDOWN", uri)[0] == 200
