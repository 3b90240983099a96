"""Per-packet cost of the sans-IO ingest path, pure Python against the compiled one.

Builds ``--seconds`` of a synthetic 4 Mbit/s, 25 fps H.264 stream (x264's SPS and PPS,
IDR every 50 pictures, FU-A at a 1400-byte MTU) as a camera sends it interleaved in the
RTSP connection, cut into 16 KiB reads, and times what one read costs from
``ClientSession.receive_data`` to timed samples out of ``MediaPipeline``: framing, RTP
parse, sequencing, reception statistics, FU-A reassembly, timing. No socket, no event
loop: this is exactly the per-packet Python that issue 11 item 1 compiles. Beside the
video, AAC as GStreamer's ``rtpmp4gpay`` sends it (48 kHz, 128 kbit/s, one AU per packet
with a 16-bit AAC-hbr AU-header, ~47 packets/s) goes to the pipeline's second media, a
share of it after each read (``--no-audio``: video only, the figures before the audio).

Prints microseconds per RTP packet for each implementation (best of ``--repeat``), their
ratio, and checks that both produced the same samples. ``--profile`` adds the cProfile
of one per-packet pass; ``--only per-packet|python|c`` runs one path once, and ``--only
none`` only builds the input: under ``valgrind --tool=callgrind`` the difference of the
two instruction counts is the path's, which a shared machine does not disturb (CPU time
does). ``per-packet`` is the path before issue 11: one ``MediaData`` event and one
``receive_rtp`` per packet.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import pstats
import random
import struct
import time

from onvif_recorder.domain.recording import TrackType
from onvif_recorder.ingest.items import MediaSample, SessionEnded, SessionStarted, StreamInfo
from onvif_recorder.ingest.media import MediaPipeline, Selected
from onvif_recorder.media.table import create_depacketizer
from onvif_recorder.rtp import kernels
from onvif_recorder.rtp.packetize.h264 import packetize
from onvif_recorder.rtsp.events import MediaData
from onvif_recorder.rtsp.interleaved import InterleavedFrame
from onvif_recorder.rtsp.message import NEED_DATA
from onvif_recorder.rtsp.session import ClientSession

SPS = base64.b64decode("Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=")  # x264 640x360
PPS = base64.b64decode("aOvjyyLA")
READ = 16 * 1024
FPS = 25
CLOCK = 90000


def stream_bytes(seconds: float, bitrate: int, seed: int = 1) -> tuple[bytes, int]:
    """Interleaved RTP (channel 0) of an H.264 stream; returns the bytes and the packets."""
    rng = random.Random(seed)
    out = bytearray()
    seq, packets = 1000, 0
    per_frame = bitrate // 8 // FPS
    for frame in range(int(seconds * FPS)):
        idr = frame % 50 == 0
        size = per_frame * (4 if idr else 1) * rng.randint(80, 120) // 100
        body = bytes([0x65 if idr else 0x41]) + rng.randbytes(size)
        nal_units = [SPS, PPS, body] if idr else [body]
        sample = b"".join(struct.pack("!I", len(n)) + n for n in nal_units)
        payloads = packetize(sample, 1400)
        for index, payload in enumerate(payloads):
            marker = 0x80 if index == len(payloads) - 1 else 0
            header = struct.pack("!BBHII", 0x80, marker | 96, seq & 0xFFFF,
                                 frame * CLOCK // FPS, 0x1234ABCD)
            out += bytes(InterleavedFrame(0, header + payload.data))
            seq += 1
            packets += 1
    return bytes(out), packets


AAC_RATE = 48_000
AAC_FRAME = 1024
AAC_CONFIG = bytes.fromhex("1188")  # AAC-LC, 48 kHz, mono
AAC_FMTP = {"mode": "AAC-hbr", "config": AAC_CONFIG.hex(), "sizelength": "13",
            "indexlength": "3", "indexdeltalength": "3"}


def audio_packets(seconds: float, bitrate: int = 128_000, seed: int = 2) -> list[bytes]:
    """RTP packets of an AAC stream, one AU each behind its AU-headers section."""
    rng = random.Random(seed)
    size = bitrate // 8 * AAC_FRAME // AAC_RATE
    packets = []
    for index in range(int(seconds * AAC_RATE / AAC_FRAME)):
        header = struct.pack("!BBHII", 0x80, 0x80 | 97, (5000 + index) & 0xFFFF,
                             index * AAC_FRAME, 0x5678EF01)
        packets.append(header + struct.pack("!HH", 16, size << 3) + rng.randbytes(size))
    return packets


def playing_session() -> ClientSession:
    """A session in state PLAYING with media 0 on interleaved channels 0/1."""
    from tests.unit.rtsp.test_session import play_h264  # the captured GStreamer exchange

    from onvif_recorder.rtsp.headers import Transport
    session, _, _ = play_h264(Transport.tcp(), "gstreamer/setup_tcp_200.bin")
    return session


class Counter:
    def __init__(self) -> None:
        self.samples: list[MediaSample] = []

    def publish(self, item: SessionStarted | MediaSample | SessionEnded) -> None:
        if isinstance(item, MediaSample):
            self.samples.append(item)


def pipeline(counter: Counter) -> MediaPipeline:
    fmtp = {"packetization-mode": "1",
            "sprop-parameter-sets": ",".join(base64.b64encode(p).decode() for p in (SPS, PPS))}
    info = StreamInfo(0, TrackType.VIDEO, "H264", CLOCK, 0, fmtp, "stream=0")
    selected = Selected(info, create_depacketizer("H264", CLOCK, fmtp), 96, None)
    audio = StreamInfo(1, TrackType.AUDIO, "MPEG4-GENERIC", AAC_RATE, 0, AAC_FMTP, "stream=1")
    aac = Selected(audio, create_depacketizer("MPEG4-GENERIC", AAC_RATE, AAC_FMTP), 97, None)
    return MediaPipeline(1, [selected, aac], counter, utc=lambda: 1_700_000_000.0)


def run_once(data: bytes, mode: str, audio: list[bytes]) -> tuple[float, Counter]:
    """One pass; ``mode`` is ``per-packet`` (one event and one call per packet, the path
    before issue 11) or the kernels (``python``, ``c``) on the batch path the engine uses."""
    kernels.select("python" if mode == "per-packet" else mode)
    session, counter = playing_session(), Counter()
    handler = pipeline(counter)
    reads = [data[i:i + READ] for i in range(0, len(data), READ)]
    shares = [audio[i * len(audio) // len(reads):(i + 1) * len(audio) // len(reads)]
              for i in range(len(reads))]
    now = 1.0
    started = time.process_time()
    for read, share in zip(reads, shares, strict=True):
        session.receive_data(read, now)
        if mode != "per-packet":
            for media_index, rtcp, packets in session.take_media():
                if not rtcp:
                    handler.rtp_batch(media_index, packets, now)
        while (event := session.next_event()) is not NEED_DATA:
            if type(event) is MediaData and not event.rtcp:
                handler.rtp(event.media_index, event.data, now)
        if mode != "per-packet":
            handler.rtp_batch(1, share, now)
        else:
            for packet in share:
                handler.rtp(1, packet, now)
        now += 0.004
    return time.process_time() - started, counter


def best_of(data: bytes, implementation: str, repeat: int, audio: list[bytes]
            ) -> tuple[float, Counter]:
    results = [run_once(data, implementation, audio) for _ in range(repeat)]
    return min(r[0] for r in results), results[0][1]


Fingerprint = list[tuple[int, int, int, bool, tuple[bytes, ...]]]


def fingerprint(counter: Counter) -> Fingerprint:
    return [(s.media_index, s.sample.pts, s.sample.dts, s.sample.sync, s.sample.units)
            for s in counter.samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bitrate", type=int, default=4_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-audio", action="store_true", help="the H.264 stream alone")
    parser.add_argument("--only", choices=["per-packet", "python", "c", "none"],
                        help="time one path once (none: only build the input, the baseline "
                             "to subtract from an instruction count)")
    args = parser.parse_args()
    data, packets = stream_bytes(args.seconds, args.bitrate)
    audio = [] if args.no_audio else audio_packets(args.seconds)
    print(f"{args.seconds:g} s of {args.bitrate / 1e6:g} Mbit/s H.264: {packets} RTP packets "
          f"({packets / args.seconds:.0f}/s), {len(data)} bytes in {READ}-byte reads; "
          f"AAC: {len(audio)} RTP packets ({len(audio) / args.seconds:.0f}/s)")
    packets += len(audio)
    if args.only == "none":
        run_once(b"", "python", [])  # the same set-up, no packet
        return
    if args.only:
        elapsed, _ = best_of(data, args.only, 1, audio)
        print(f"{args.only}: {elapsed / packets * 1e6:.2f} us/packet")
        return
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(run_once, data, "per-packet", audio)
        pstats.Stats(profile).sort_stats("tottime").print_stats("onvif_recorder", 25)
    timings: dict[str, float] = {}
    prints: dict[str, Fingerprint] = {}
    for implementation in ["per-packet", *kernels.available()]:
        elapsed, counter = best_of(data, implementation, args.repeat, audio)
        timings[implementation] = elapsed
        prints[implementation] = fingerprint(counter)
        print(f"{implementation:>6}: {elapsed / packets * 1e6:6.2f} us/packet, "
              f"{len(counter.samples)} samples, "
              f"{elapsed / args.seconds * 1000:.2f} ms cpu per stream-second")
    reference = prints["per-packet"]
    for name, elapsed in timings.items():
        print(f"per-packet / {name}: {timings['per-packet'] / elapsed:.2f}; "
              f"same samples as per-packet: {prints[name] == reference}")


if __name__ == "__main__":
    main()
