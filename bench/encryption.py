"""Encryption cost (RC B.8, issue: at most +30 % CPU): the segmenter muxing the same
samples in clear and with CENC or CBCS, same run, same process.

Run on demand (never part of the test suite)::

    .venv/bin/python bench/encryption.py [--seconds 600] [--video-kbit 4000] [--rounds 3]
                                         [--mode CENC|CBCS]

Synthetic samples at camera rates: H.264 access units of the given bitrate (25 fps, an
IDR every second, the first 64 bytes of one of the committed clip's IDR or P slices, so
CBCS parses a real slice header, then random bytes) and AAC
frames at 128 kbit/s (48 kHz). Only the muxing is measured (``Segmenter.push`` to
finished segment bytes, MP4, 10 s segments, 1 s fragments), not RTP or disk, so the
ratio is an upper bound of what encryption adds to a whole recording. CPU is
``time.process_time``; each variant runs ``--rounds`` times, the fastest round counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.unit.mp4 import media

from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.media.aac import AacCodec
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.segmenter import Segmenter, SegmenterConfig

FPS = 25
AAC_FRAME = 1024


def streams(seconds: float, video_kbit: int) -> tuple[list[TrackInfo], list[TrackSample]]:
    video, _ = media.h264_track(1)
    nals = [n for unit in media.h264_access_units() for n in unit]
    heads = {kind: next(n for n in nals if n[0] & 0x1F == kind)[:64] for kind in (1, 5)}
    audio = TrackInfo(2, AacCodec.from_config(media.aac_frames().config), 48_000)
    frame_bytes = video_kbit * 1000 // 8 // FPS
    samples = []
    for index in range(int(seconds * FPS)):
        sync = index % FPS == 0
        nal = heads[5 if sync else 1] + os.urandom(frame_bytes * (3 if sync else 1))
        data = len(nal).to_bytes(4, "big") + nal
        ticks = index * 90_000 // FPS
        samples.append(TrackSample(track_id=1, dts=ticks, pts=ticks, sync=sync, data=data,
                                   utc=media.T0 + index / FPS))
    audio_bytes = 128_000 // 8 * AAC_FRAME // 48_000
    for index in range(int(seconds * 48_000 / AAC_FRAME)):
        ticks = index * AAC_FRAME
        samples.append(TrackSample(track_id=2, dts=ticks, pts=ticks, sync=True,
                                   data=os.urandom(audio_bytes), utc=media.T0 + ticks / 48_000,
                                   duration=AAC_FRAME))
    samples.sort(key=lambda s: s.utc)
    return [video, audio], samples


def mux(tracks: list[TrackInfo], samples: list[TrackSample],
        policy: EncryptionPolicy | None) -> tuple[float, int]:
    config = SegmenterConfig(format=Brand.MP4, segment_duration=10.0, encryption=policy)
    segmenter = Segmenter(tracks, config)
    start = time.process_time()
    count = 0
    for sample in samples:
        count += len(segmenter.push(sample))
    count += len(segmenter.close())
    return time.process_time() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="media seconds muxed")
    parser.add_argument("--video-kbit", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=("CENC", "CBCS"), default="CENC")
    args = parser.parse_args()
    tracks, samples = streams(args.seconds, args.video_kbit)
    size = sum(len(s.data) for s in samples)
    key = ContentKey.generate()
    policy = EncryptionPolicy([EntryPolicy(args.mode, StaticKey(key))])
    clear = min(mux(tracks, samples, None)[0] for _ in range(args.rounds))
    encrypted = min(mux(tracks, samples, policy)[0] for _ in range(args.rounds))
    print(f"{args.seconds:.0f} s of media, {len(samples)} samples, {size / 1e6:.1f} MB")
    print(f"clear     {clear:7.3f} s CPU  ({args.seconds / clear:7.0f}x real time)")
    print(f"{args.mode}      {encrypted:7.3f} s CPU  ({args.seconds / encrypted:7.0f}x real time)")
    print(f"encryption adds {100 * (encrypted / clear - 1):.1f} % to the muxing CPU")


if __name__ == "__main__":
    main()
