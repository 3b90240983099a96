#!/usr/bin/python3
"""GStreamer's ONVIF replay client with a seek, for tests/integration/test_replay_rtsp.py.

Runs under Debian's /usr/bin/python3 (python3-gi), as tests/camera does:

    /usr/bin/python3 gst_onvif_seek.py URI USER PASSWORD RATE START STOP

``rtspsrc onvif-mode=true`` (TCP) with the video stream through ``rtponvifparse !
rtph264depay ! h264parse ! openh264dec``. The pipeline plays, and one second later
rtspsrc is seeked with RATE from START to STOP: in onvif mode rtspsrc takes segment times
as seconds since 1900 (NTP) and sends them as ``Range: clock=`` (reversed for a negative
rate) with ``Scale: RATE``. (Seeking the pipeline instead, or rtspsrc while PAUSED,
sends no Scale in 1.22: the first PLAY already went out.) Prints ``SEEK`` when it seeks,
one line ``AU NTP C D`` per RTP packet that carries the ONVIF header extension
(Streaming §6.3; NTP its capture time in seconds, C and D its clean-point and
discontinuity bits), ``FRAME`` per decoded frame and ``EOS`` at the end of the video
stream.
"""

from __future__ import annotations

import struct
import sys

import gi  # type: ignore[import-not-found]  # Debian's python3-gi, not in the venv

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # type: ignore[import-not-found]  # noqa: E402

ONVIF_PROFILE = 0xABAC
TIMEOUT_S = 8


def extension(packet: bytes) -> tuple[float, bool, bool] | None:
    """(NTP seconds, C, D) of an RTP packet's ONVIF header extension, if it has one."""
    if not packet[0] & 0x10:
        return None
    offset = 12 + 4 * (packet[0] & 0x0F)
    profile, _ = struct.unpack_from("!HH", packet, offset)
    if profile != ONVIF_PROFILE:
        return None
    seconds, fraction, flags = struct.unpack_from("!IIB", packet, offset + 4)
    return seconds + fraction / 2**32, bool(flags & 0x80), bool(flags & 0x20)


def on_rtp(_pad: object, info: object) -> object:
    buffer = info.get_buffer()  # type: ignore[attr-defined]
    found = extension(buffer.extract_dup(0, buffer.get_size()))
    if found is not None:
        print(f"AU {found[0]:.6f} {int(found[1])} {int(found[2])}", flush=True)
    return Gst.PadProbeReturn.OK


def main() -> None:
    uri, user, password, rate, start, stop = sys.argv[1:7]
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"rtspsrc location={uri} onvif-mode=true user-id={user} user-pw={password} "
        "protocols=tcp name=src "
        "src. ! queue ! application/x-rtp,media=video ! rtponvifparse name=parse ! "
        "rtph264depay ! h264parse ! openh264dec ! fakesink name=v signal-handoffs=true "
        "sync=false "
        "src. ! queue ! application/x-rtp,media=audio ! fakesink sync=false")
    parse = pipeline.get_by_name("parse")
    parse.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_rtp)
    sink = pipeline.get_by_name("v")
    sink.connect("handoff", lambda *_: print("FRAME", flush=True))
    loop = GLib.MainLoop()

    def on_event(_pad: object, info: object) -> object:
        if info.get_event().type == Gst.EventType.EOS:  # type: ignore[attr-defined]
            print("EOS", flush=True)
            loop.quit()
        return Gst.PadProbeReturn.OK

    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)
    src = pipeline.get_by_name("src")

    def seek() -> bool:
        seeked = src.seek(float(rate), Gst.Format.TIME, Gst.SeekFlags.FLUSH,
                          Gst.SeekType.SET, int(float(start) * Gst.SECOND),
                          Gst.SeekType.SET, int(float(stop) * Gst.SECOND))
        print(f"SEEK {seeked}", flush=True)
        return False

    pipeline.set_state(Gst.State.PLAYING)
    GLib.timeout_add(1000, seek)
    GLib.timeout_add_seconds(TIMEOUT_S, loop.quit)
    loop.run()
    pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
