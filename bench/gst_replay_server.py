#!/usr/bin/python3
"""GStreamer's RTSP server serving one MP4 file, the comparison for bench/replay.py.

Runs under Debian's /usr/bin/python3 (python3-gi), as tests/camera does:

    /usr/bin/python3 gst_replay_server.py --clip FILE.mp4 [--port 0]

``RTSPOnvifServer`` with a media factory on ``/clip``: a pipeline per client (not shared)
``filesrc ! qtdemux``, H.264 through ``h264parse ! rtph264pay`` and AAC through
``aacparse ! rtpmp4gpay``. The ONVIF server's clients read ``Rate-Control: no`` on PLAY
and turn the media's rate control off (its sinks stop syncing on the clock: as fast as
the transport allows), as our replay server does. The factory is the plain one, so
``Require: onvif-replay`` is not sent to it (551): in 1.22 ``RTSPOnvifMediaFactory``, the
one with replay support, constructs no media from a launch line (``find_media: can't
create media``, DESCRIBE 400), and a plain ``RTSPServer`` turns rate control back on at
every PLAY. Prints ``READY rtsp://127.0.0.1:PORT/clip``
and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import signal

import gi  # type: ignore[import-not-found]  # Debian's python3-gi, not in the venv

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found]  # noqa: E402

LAUNCH = ("( filesrc location={clip} ! qtdemux name=d "
          "d.video_0 ! queue ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 "
          "d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clip", required=True)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPOnvifServer.new()
    server.set_address("127.0.0.1")
    server.set_service(str(options.port))
    factory = GstRtspServer.RTSPMediaFactory.new()
    factory.set_launch(LAUNCH.format(clip=options.clip))
    factory.set_shared(False)
    server.get_mount_points().add_factory("/clip", factory)
    server.attach(None)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}/clip", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
