"""The ingest kernels: compiled and Python agree, and the batch path equals the per-packet one.

The reference is the per-packet path on the Python kernels (``MediaData`` events one by
one, ``RtpStream.receive_rtp`` per packet), what the recorder did before issue 11. The
batch path (``ClientSession.take_media``, ``RtpStream.receive_rtp_batch``) must give the
same samples and the same counters, byte for byte, with either kernel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp import kernels
from onvif_recorder.rtp.depacketize.h264 import H264Depacketizer
from onvif_recorder.rtp.depacketize.h265 import H265Depacketizer
from onvif_recorder.rtp.errors import MalformedPacket
from onvif_recorder.rtp.kernels import pure
from onvif_recorder.rtp.stream import ReceivedSample, RtpStream
from onvif_recorder.rtsp.events import Described, MediaData, MediaSelection
from onvif_recorder.rtsp.headers import Transport
from onvif_recorder.rtsp.message import NEED_DATA
from onvif_recorder.rtsp.session import ClientSession
from tests.unit.rtp.packetizers import Stream, aac_hbr_payloads, h264_payloads
from tests.unit.rtp.test_packet import CASES
from tests.unit.rtp.test_stream import PPS, SPS
from tests.unit.rtsp.fixtures import fixture

ROOT = Path(__file__).resolve().parents[3]
CAPTURED = ["gstreamer_h264_tcp.bin", "gstreamer_h265_tcp.bin", "gstreamer_av_tcp.bin",
            "gstreamer_meta_tcp.bin"]


def test_the_compiled_kernels_are_built() -> None:
    """``pip install .`` builds them where a compiler is (setup.py); this suite expects it."""
    assert "c" in kernels.available(), kernels.native_error


def native() -> kernels.Kernels:
    assert kernels.native is not None, kernels.native_error
    return kernels.native


# --- split_frames -------------------------------------------------------------------------

FRAMES = [
    ("two frames", b"$\x00\x00\x02ab$\x01\x00\x01c", 0, ([(0, b"ab"), (1, b"c")], 11)),
    ("blank lines before a frame", b"\r\n\n$\x02\x00\x00", 0, ([(2, b"")], 7)),
    ("stops at an RTSP message", b"$\x00\x00\x01xRTSP/1.0 200 OK\r\n", 0, ([(0, b"x")], 5)),
    ("stops at an incomplete frame", b"$\x00\x00\x01x$\x00\x00\x05ab", 0, ([(0, b"x")], 5)),
    ("incomplete header", b"$\x00\x00", 0, ([], 0)),
    ("from an offset", b"junk$\x07\x00\x01z", 4, ([(7, b"z")], 9)),
    ("blank lines then nothing", b"$\x00\x00\x00\r\n", 0, ([(0, b"")], 4)),
    ("empty", b"", 0, ([], 0)),
]


@pytest.mark.usefixtures("kernel")
@pytest.mark.parametrize(("name", "buf", "pos", "expected"), FRAMES, ids=[f[0] for f in FRAMES])
def test_split_frames(name: str, buf: bytes, pos: int,
                      expected: tuple[list[tuple[int, bytes]], int]) -> None:
    assert kernels.active.split_frames(bytearray(buf), pos) == expected
    assert kernels.active.split_frames(buf, pos) == expected


@given(st.binary(max_size=200), st.integers(-2, 210))
def test_split_frames_agree_on_any_buffer(buf: bytes, pos: int) -> None:
    assert native().split_frames(buf, pos) == pure.split_frames(buf, pos)


# --- parse_rtp ----------------------------------------------------------------------------

def outcome(parse: kernels.Kernels, data: bytes) -> object:
    try:
        return parse.parse_rtp(data)
    except MalformedPacket as exc:
        return ("MalformedPacket", str(exc))


@pytest.mark.parametrize(("name", "data"), [(c[0], c[1]) for c in CASES])
def test_parse_rtp_agrees_on_the_packet_table(name: str, data: bytes) -> None:
    assert native().parse_rtp(data) == pure.parse_rtp(data)
    assert native().parse_rtp(bytearray(data)) == pure.parse_rtp(data)


@given(st.one_of(st.binary(max_size=80),
                 st.binary(max_size=40).map(lambda tail: bytes([0x80 | 0x3F]) + tail),
                 st.binary(min_size=11, max_size=40).map(lambda b: b"\xa0" + b)))
def test_parse_rtp_agrees_on_any_bytes(data: bytes) -> None:
    assert outcome(native(), data) == outcome(pure, data)


# --- fragment_run -------------------------------------------------------------------------

def fu_packet(seq: int, ts: int, fu: int, body: bytes, *, codec: int = 0, first: int = 0x80,
              second: int = 96, ssrc: int = 7) -> bytes:
    header = bytes([first, second]) + seq.to_bytes(2, "big") + ts.to_bytes(4, "big")
    header += ssrc.to_bytes(4, "big")
    payload = bytes([0x7C, fu]) if codec == 0 else bytes([49 << 1, 1, fu])
    return header + payload + body


fragment_packets = st.lists(st.builds(
    fu_packet, st.sampled_from([10, 11, 12, 13, 14]), st.sampled_from([5, 6]),
    st.sampled_from([0x05, 0x45, 0x85, 0x00, 0x1C, 0x13, 0x30]), st.binary(max_size=6),
    codec=st.sampled_from([0, 1]), first=st.sampled_from([0x80, 0x81, 0x90, 0xA0, 0x40]),
    second=st.sampled_from([96, 97, 0xE0]), ssrc=st.sampled_from([7, 8])), max_size=8)


@given(fragment_packets, st.integers(-1, 3), st.sampled_from([0, 1]),
       st.sampled_from([-1, 96]), st.integers(-5, 40), st.sampled_from([5, -1]))
def test_fragment_run_agrees(packets: list[bytes], start: int, codec: int, payload_type: int,
                             room: int, timestamp: int) -> None:
    arguments = (packets, start, codec, payload_type, 7, timestamp, 10, room)
    assert native().fragment_run(*arguments) == pure.fragment_run(*arguments)


@pytest.mark.usefixtures("kernel")
def test_fragment_run_takes_continuations_up_to_the_end_fragment() -> None:
    packets = [fu_packet(10, 5, 0x05, b"ab"), fu_packet(11, 5, 0x05, b"cd"),
               fu_packet(12, 5, 0x45, b"ef"), fu_packet(13, 5, 0x05, b"gh")]
    assert kernels.active.fragment_run(packets, 0, 0, 96, 7, 5, 10, 100) == (
        3, 48, b"abcdef", kernels.END_FRAGMENT)
    assert kernels.active.fragment_run(packets, 0, 0, 96, 7, 5, 10, 5) == (
        2, 32, b"abcd", kernels.END_NONE)  # the end fragment does not fit
    assert kernels.active.fragment_run(packets, 0, 0, 96, 7, 5, 11, 100) == (
        0, 0, b"", kernels.END_NONE)
    marked = [fu_packet(10, 5, 0x05, b"ab"), fu_packet(11, 5, 0x45, b"cd", second=0xE0)]
    assert kernels.active.fragment_run(marked, 0, 0, 96, 7, 5, 10, 100) == (
        2, 32, b"abcd", kernels.END_MARKER)
    early = [fu_packet(10, 5, 0x05, b"ab"), fu_packet(11, 5, 0x05, b"cd", second=0xE0)]
    assert kernels.active.fragment_run(early, 0, 0, 96, 7, 5, 10, 100) == (
        1, 16, b"ab", kernels.END_NONE)  # a marker before the end fragment is not taken
    start = [fu_packet(10, 5, 0x85, b"ab")]
    assert kernels.active.fragment_run(start, 0, 0, 96, 7, 5, 10, 100) == (
        0, 0, b"", kernels.END_NONE)
    with pytest.raises(ValueError, match="unknown fragment codec 2"):
        kernels.active.fragment_run(packets, 0, 2, 96, 7, 5, 10, 100)


@pytest.mark.usefixtures("kernel")
def test_fragment_run_opens_with_a_start_fragment() -> None:
    picture = [fu_packet(10, 9, 0x85, b"ab"), fu_packet(11, 9, 0x05, b"cd"),
               fu_packet(12, 9, 0x45, b"ef", second=0xE0)]
    # the start fragment's data is the caller's; room counts only what follows it
    assert kernels.active.fragment_run(picture, 0, 0, 96, 7, -1, 10, 100) == (
        3, 48, b"cdef", kernels.END_MARKER)
    assert kernels.active.fragment_run(picture, 0, 0, 96, 7, -1, 10, 3) == (
        2, 32, b"cd", kernels.END_NONE)
    assert kernels.active.fragment_run(picture, 0, 0, 96, 7, -1, 10, -1) == (
        1, 16, b"", kernels.END_NONE)
    assert kernels.active.fragment_run(picture, 1, 0, 96, 7, -1, 11, 100) == (
        0, 0, b"", kernels.END_NONE)  # not a start fragment
    for refused in (fu_packet(10, 9, 0x85, b"ab", second=0xE0), fu_packet(10, 9, 0xC5, b"ab"),
                    fu_packet(10, 9, 0x85, b"ab", ssrc=8), fu_packet(9, 9, 0x85, b"ab")):
        assert kernels.active.fragment_run([refused], 0, 0, 96, 7, -1, 10, 100) == (
            0, 0, b"", kernels.END_NONE)
    assert kernels.active.fragment_run([], 0, 0, 96, 7, -1, 10, 100) == (
        0, 0, b"", kernels.END_NONE)


# --- the batch path against the per-packet reference ----------------------------------------

def stream_state(stream: RtpStream) -> dict[str, object]:
    depacketizer = stream.depacketizer
    return {"stats": asdict(stream.stats), "jitter": stream._report.jitter,
            "discarded": depacketizer.discarded,
            "skipped": depacketizer.skipped_before_sync,
            "invalid": getattr(depacketizer, "invalid_fragments", None),
            "report": stream.receiver_report(9.0)}


def replay(name: str, chunk: int, batch: bool
           ) -> tuple[dict[int, list[ReceivedSample]], dict[int, dict[str, object]], int]:
    """A captured session fed in ``chunk``-byte reads, through ``take_media`` and
    ``receive_rtp_batch`` (``batch``) or ``MediaData`` events and ``receive_rtp``."""
    session = ClientSession(f"rtsp://127.0.0.1:8554/{name}", cnonce=lambda: "0a4f113b")
    session.start(0.0)
    data = fixture(f"captured/{name}")
    streams: dict[int, RtpStream] = {}
    samples: dict[int, list[ReceivedSample]] = {}
    for read, start in enumerate(range(0, len(data), chunk)):
        now = 1.0 + read / 64
        session.receive_data(data[start : start + chunk], now)
        while True:
            for index, rtcp, packets in session.take_media() if batch else []:
                if rtcp:
                    for packet in packets:
                        streams[index].receive_rtcp(packet, now)
                else:
                    samples[index] += streams[index].receive_rtp_batch(packets, now, 2e9)
            event = session.next_event()
            if event is NEED_DATA:
                break
            if isinstance(event, Described):
                media = event.description.media
                session.setup([MediaSelection(i, Transport.tcp()) for i in range(len(media))],
                              now)
                for i, m in enumerate(media):
                    streams[i] = RtpStream(create_depacketizer(m.encoding, m.clock_rate, m.fmtp,
                                                               channels=m.channels), m.clock_rate)
                    samples[i] = []
            elif isinstance(event, MediaData) and event.rtcp:
                streams[event.media_index].receive_rtcp(event.data, now)
            elif isinstance(event, MediaData):
                samples[event.media_index] += streams[event.media_index].receive_rtp(
                    event.data, now, 2e9)
    return samples, {i: stream_state(s) for i, s in streams.items()}, session.ignored_frames


@pytest.mark.usefixtures("kernel")
@pytest.mark.parametrize("name", CAPTURED)
@pytest.mark.parametrize("chunk", [1500, 16384, 1 << 20])
def test_captured_sessions_give_the_same_samples_and_counters(name: str, chunk: int) -> None:
    chosen = kernels.name_active
    kernels.select("python")
    reference = replay(name, chunk, batch=False)
    kernels.select(chosen)
    batched = replay(name, chunk, batch=True)
    assert sum(len(s) for s in reference[0].values()) > 10
    assert batched == reference


def h26x_packets(codec: int, frames: int, size: int) -> list[bytes]:
    """An H.264 (FU-A) or H.265 (FU) stream at a 100-byte MTU, marker on each last packet."""
    out: list[bytes] = []
    stream = Stream(ssrc=0x1234, seq=65520)
    for i in range(frames):
        if codec == 0:
            nal_units = [SPS, PPS, b"\x65" + bytes([i]) * size] if i == 0 else [
                b"\x41" + bytes([i]) * size]
            payloads = h264_payloads(nal_units, 100)
        else:
            nal = (b"\x26\x01" if i == 0 else b"\x02\x01") + bytes([i]) * size
            pieces = [nal[2 + k : 2 + k + 97] for k in range(0, len(nal) - 2, 97)]
            payloads = [bytes([49 << 1, 1, (nal[0] >> 1) | (0x80 if k == 0 else 0)
                               | (0x40 if k == len(pieces) - 1 else 0)]) + piece
                        for k, piece in enumerate(pieces)]
        out += [bytes(stream.packet(p, 3000 * i, k == len(payloads) - 1))
                for k, p in enumerate(payloads)]
    return out


def new_stream(codec: int, window: int) -> RtpStream:
    if codec == 0:
        return RtpStream(H264Depacketizer([SPS, PPS], max_size=1500), 90000,
                         reorder_window=window, payload_types=frozenset({96}))
    return RtpStream(H265Depacketizer(wait_for_sync=False, max_size=1500), 90000,
                     reorder_window=window)


edits = st.lists(st.tuples(st.sampled_from(["drop", "swap", "dup", "flip", "cut"]),
                           st.integers(0, 400), st.integers(0, 2000)), max_size=6)


def edited(packets: list[bytes], changes: list[tuple[str, int, int]]) -> list[bytes]:
    out = list(packets)
    for kind, where, value in changes:
        if not out:
            break
        i = where % len(out)
        if kind == "drop":
            del out[i]
        elif kind == "swap" and i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
        elif kind == "dup":
            out.insert(i, out[i])
        elif kind == "flip":
            if not out[i]:
                continue  # an empty packet (cut before) has no bit to flip
            data = bytearray(out[i])
            data[value % len(data)] ^= 1 << (value % 8)
            out[i] = bytes(data)
        else:
            out[i] = out[i][: value % (len(out[i]) + 1)]
    return out


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([0, 1]), st.integers(300, 2500), edits, st.sampled_from([0, 8]),
       st.lists(st.integers(1, 40), min_size=1, max_size=5))
def test_batches_equal_packet_by_packet(codec: int, size: int, changes: list[tuple[str, int, int]],
                                        window: int, cuts: list[int]) -> None:
    """Losses, reordering, duplicates, corruption and oversize units: same result."""
    packets = edited(h26x_packets(codec, 6, size), changes)
    reference = new_stream(codec, window)
    kernels.select("python")
    expected = [s for p in packets for s in reference.receive_rtp(p, 1.0, 2e9)]
    expected_state = stream_state(reference)  # once: a receiver report starts a new interval
    for name in kernels.available():
        kernels.select(name)
        batched, got, pos = new_stream(codec, window), [], 0
        for cut in cuts * len(packets):
            if pos >= len(packets):
                break
            got += batched.receive_rtp_batch(packets[pos : pos + cut], 1.0, 2e9)
            pos += cut
        assert got == expected, name
        assert stream_state(batched) == expected_state, name


def aac_packets(frames: int, mtu: int) -> list[bytes]:
    """AAC-hbr, one AU per packet where it fits, several or fragments otherwise."""
    stream = Stream(payload_type=97, ssrc=0x1234, seq=65530)
    sizes = [(37 * i) % 400 + (900 if i % 7 == 3 else 0) for i in range(frames)]
    payloads = aac_hbr_payloads([bytes([i]) * size for i, size in enumerate(sizes)], mtu)
    return [bytes(stream.packet(p, 1024 * first, marker)) for p, first, marker in payloads]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([500, 1400]), edits, st.sampled_from([0, 8]),
       st.lists(st.integers(1, 40), min_size=1, max_size=5))
def test_aac_batches_equal_packet_by_packet(mtu: int, changes: list[tuple[str, int, int]],
                                            window: int, cuts: list[int]) -> None:
    packets = edited(aac_packets(30, mtu), changes)

    def new() -> RtpStream:
        depacketizer = create_depacketizer("MPEG4-GENERIC", 16000, {
            "mode": "AAC-hbr", "config": "1408", "sizelength": "13", "indexlength": "3",
            "indexdeltalength": "3"})
        return RtpStream(depacketizer, 16000, reorder_window=window,
                         payload_types=frozenset({97}))
    kernels.select("python")
    reference = new()
    expected = [s for p in packets for s in reference.receive_rtp(p, 1.0, 2e9)]
    expected_state = stream_state(reference)
    for name in kernels.available():
        kernels.select(name)
        batched, got, pos = new(), [], 0
        for cut in cuts * len(packets):
            if pos >= len(packets):
                break
            got += batched.receive_rtp_batch(packets[pos : pos + cut], 1.0, 2e9)
            pos += cut
        assert got == expected, name
        assert stream_state(batched) == expected_state, name


def fu_a(nal_type: int, flags: int, body: bytes) -> bytes:
    return bytes([0x60 | 28, flags | nal_type]) + body


@pytest.mark.parametrize("start_size", [150, 50])
def test_a_start_or_end_fragment_over_the_size_cap_is_refused_as_packet_by_packet(
        start_size: int) -> None:
    """An SEI fills most of the access unit's cap; then the start fragment (150) or the
    finished NAL unit (3 x 50) passes it: refused and skipped the same way on both paths,
    and the next picture comes through."""
    stream = Stream(ssrc=0x1234, seq=65534)
    payloads = [(b"\x06" + bytes(200), 0, False),
                (fu_a(1, 0x80, bytes(start_size)), 0, False), (fu_a(1, 0, bytes(50)), 0, False),
                (fu_a(1, 0x40, bytes(50)), 0, True),
                (fu_a(5, 0x80, b"a" * 40), 3000, False), (fu_a(5, 0, b"b" * 40), 3000, False),
                (fu_a(5, 0x40, b"c" * 40), 3000, True)]
    packets = [bytes(stream.packet(p, ts, marker)) for p, ts, marker in payloads]

    def new() -> RtpStream:
        return RtpStream(H264Depacketizer([SPS, PPS], max_size=300), 90000,
                         payload_types=frozenset({96}))
    kernels.select("python")
    reference = new()
    expected = [s for p in packets for s in reference.receive_rtp(p, 1.0, 2e9)]
    assert [s.pts for s in expected] == [3000] and reference.stats.dropped == 1
    expected_state = stream_state(reference)  # once: a receiver report starts an interval
    for name in kernels.available():
        kernels.select(name)
        batched = new()
        assert batched.receive_rtp_batch(packets, 1.0, 2e9) == expected, name
        assert stream_state(batched) == expected_state, name


# --- selection and the fallback -------------------------------------------------------------

def run_python(code: str, **environment: str) -> str:
    env = {**os.environ, **environment}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_the_environment_forces_the_python_kernels() -> None:
    code = ("from onvif_recorder.rtp import kernels; from onvif_recorder.rtp.kernels import pure;"
            "print(kernels.name_active, kernels.active is pure)")
    assert run_python(code, ONVIF_RECORDER_KERNELS="python") == "python True"


@pytest.mark.slow
def test_a_failed_build_is_a_warning_and_the_python_kernels_remain(tmp_path: Path) -> None:
    """No compiler (here: one that always fails): the build goes on, the package works."""
    build = tmp_path / "build"
    result = subprocess.run(
        [sys.executable, str(ROOT / "setup.py"), "build_ext", "--build-lib", str(build),
         "--build-temp", str(tmp_path / "temp")], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "CC": shutil.which("false") or "false"})
    assert result.returncode == 0, result.stderr
    assert "compiled ingest kernels were not built" in result.stdout + result.stderr
    assert not list(build.rglob("*.so"))


# --- ClientSession.take_media ----------------------------------------------------------------

def frame(channel: int, payload: bytes) -> bytes:
    return b"$" + bytes([channel]) + len(payload).to_bytes(2, "big") + payload


@pytest.mark.usefixtures("kernel")
def test_take_media_keeps_the_order_of_media_and_requests() -> None:
    from tests.unit.rtsp.test_session import play_h264

    session, _, _ = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin")
    ignored = session.ignored_frames
    session.receive_data(frame(0, b"a") + frame(0, b"b") + frame(1, b"r") + frame(5, b"?")
                         + frame(0, b"c") + b"\r\nOPTIONS * RTSP/1.0\r\nCSeq: 9\r\n\r\n"
                         + frame(0, b"d"), 2.0)
    assert session.take_media() == [(0, False, [b"a", b"b"]), (0, True, [b"r"]),
                                    (0, False, [b"c"])]
    assert session.ignored_frames == ignored + 1
    assert session.take_media() == []  # the request is next
    request = session.next_event()
    assert type(request).__name__ == "ServerRequest"
    assert session.take_media() == [(0, False, [b"d"])]
    assert session.next_event() is NEED_DATA
