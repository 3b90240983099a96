#!/usr/bin/python3
# mypy: ignore-errors
# (runs under Debian's /usr/bin/python3 with PyGObject, like fakecam.py, which mypy excludes)
"""fakecam.py whose ``/file`` mount loops the --clip file's H.264 access units *and* its
AAC frames without re-encoding (cheap, for many concurrent streams; bench/record.py).

Same usage and output as fakecam.py (run with Debian's /usr/bin/python3)::

    /usr/bin/python3 clipcam.py [--port 0] --clip FILE.mp4

The video is pushed by fakecam's ``clip_feeder`` (``do-timestamp``). AAC frames get
explicit timestamps, ``n * 1024 / rate`` from the first push, so their RTP timestamps are
exact even though the timer that pushes them ticks every 5 ms.
"""

import sys
import time

import fakecam
from fakecam import GLib, Gst, GstRtspServer

CLIP_AUDIO = "appsrc name=clipaudio is-live=true format=time ! rtpmp4gpay name=pay1 pt=97"


def load_audio(path):
    """The clip's AAC frames (raw, no ADTS) and their caps (with codec_data)."""
    pipeline = Gst.parse_launch(
        f"filesrc location={path} ! parsebin ! aacparse ! "
        "audio/mpeg,mpegversion=4,stream-format=raw ! appsink name=sink sync=false"
    )
    pipeline.set_state(Gst.State.PLAYING)
    frames, caps = [], None
    sink = pipeline.get_by_name("sink")
    while (sample := sink.emit("pull-sample")) is not None:
        caps = sample.get_caps()
        buffer = sample.get_buffer()
        frames.append(buffer.extract_dup(0, buffer.get_size()))
    pipeline.set_state(Gst.State.NULL)
    return frames, caps


def audio_feeder(appsrc, frames, caps):
    """Push the frames due by now with exact timestamps (running time of the first push)."""
    rate = caps.get_structure(0).get_value("rate")
    frame = Gst.util_uint64_scale(1024, Gst.SECOND, rate)
    appsrc.set_property("caps", caps)
    start, sent, base = time.monotonic(), [0], [None]

    def tick():
        if base[0] is None:
            clock = appsrc.get_clock()
            if clock is None:
                return True  # not playing yet
            base[0] = clock.get_time() - appsrc.get_base_time()
        while sent[0] * 1024 / rate <= time.monotonic() - start:
            buffer = Gst.Buffer.new_wrapped(frames[sent[0] % len(frames)])
            buffer.pts = base[0] + sent[0] * frame
            buffer.duration = frame
            if appsrc.emit("push-buffer", buffer) != Gst.FlowReturn.OK:
                return False
            sent[0] += 1
        return True

    GLib.timeout_add(5, tick)


def main():
    clip = sys.argv[sys.argv.index("--clip") + 1]
    frames, caps = load_audio(clip)
    original = GstRtspServer.RTSPMediaFactory

    class Factory(original):
        """fakecam's factories, plus the audio feeder where the launch line has one."""

        def __init__(self):
            super().__init__()
            self.connect("media-configure", self._configure)

        @staticmethod
        def _configure(_factory, media):
            audio = media.get_element().get_by_name("clipaudio")
            if audio is not None:
                audio_feeder(audio, frames, caps)

        def set_launch(self, launch):
            if launch == f"( {fakecam.CLIP} )":
                launch = f"( {fakecam.CLIP} {CLIP_AUDIO} )"
            super().set_launch(launch)

    GstRtspServer.RTSPMediaFactory = Factory
    return fakecam.main()


if __name__ == "__main__":
    sys.exit(main())
