#!/usr/bin/python3
"""A real RTSP camera for the tests: GStreamer's RTSP server with live encoders.

Runs under Debian's /usr/bin/python3 (python3-gi); the project's virtualenv cannot
import gi. Usage:

    /usr/bin/python3 fakecam.py [--port 0] [--user U --password P] [--clip FILE.mp4]
                                [--tls-cert CERT.pem --tls-key KEY.pem]
                                [--address 127.0.0.1] [--multicast-iface lo]

Prints ``READY rtsp://ADDRESS:PORT`` (``rtsps://`` with --tls-cert) once listening and
runs until SIGTERM; then one line ``REQUEST TEARDOWN /mount`` for every TEARDOWN a client
sends (tests observe it). Every mount is also reachable tunnelled over HTTP (the
QuickTime GET/POST pair) on the same port: gst-rtsp-server accepts it on any connection.

Mounts:
  /h264      H.264 640x360@25, SPS/PPS in band (x264 repeats them)
  /h264-sep  the same, SPS/PPS as separate packets with the IDR timestamp (many cameras)
  /av        H.264 + AAC-LC 16 kHz mono (mpeg4-generic)
  /h264-bframes  H.264 640x360@25 with 2 B-frames between references (no b-pyramid,
             so decode order I P B B P B B …, max_num_reorder_frames 1)
  /h265      H.265 Main 640x360@25
  /h265-bframes  H.265 640x360@25 with 2 B-frames between references (I P B B …)
  /meta      H.264 + an ONVIF metadata stream (one document a second: tt:PTZ with a pan
             position cycling through PANS and a tt:Event)
  /h264-4m   H.264 640x360@25 at 4 Mbit/s (noise, so the encoder really spends it), an
             IDR every 25 pictures (pre-event buffer memory)
  /motion    the same as /meta with one motion window: State true in the 5th and 6th document
             (about 5 s after the media starts), false before and after
  /pcmu      H.264 + G.711 µ-law 8 kHz
  /file      the --clip file's H.264 access units looped without re-encoding (cheap)
  /mcast     /h264 offered only as RTP multicast (groups 239.255.42.1-10, ports 5000-5098,
             TTL 1, sent on --multicast-iface); one group for all its clients. The server
             binds the group's ports without SO_REUSEADDR, so a receiver on the same host
             (network namespace) cannot bind them: tests run this camera in its own one.
  /h264-unstable  H.264 whose parameters change every 0.4 s: GOPs of 10 pictures,
             alternately 640x360 and 320x180, each with its own SPS/PPS in band
"""

import argparse
import random
import struct
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gio, GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)

RAW = "video/x-raw,format=I420,width=640,height=360,framerate=25/1"
X264 = (
    f"videotestsrc is-live=true pattern=ball ! {RAW} ! x264enc tune=zerolatency "
    "speed-preset=ultrafast key-int-max=25 bitrate=800"
)
VIDEO = f"{X264} ! rtph264pay name=pay0 pt=96 config-interval=0"
VIDEO_4M = (
    f"videotestsrc is-live=true pattern=snow ! {RAW} ! x264enc tune=zerolatency "
    "speed-preset=ultrafast key-int-max=25 bitrate=4000 ! rtph264pay name=pay0 pt=96 "
    "config-interval=-1"
)
VIDEO_SEPARATE = f"{X264} ! rtph264pay name=pay0 pt=96 config-interval=-1"
# tune=zerolatency would turn B-frames off, and so would the constrained-baseline profile
# that x264enc negotiates with rtph264pay unless the caps ask for main.
VIDEO_BFRAMES = (
    f"videotestsrc is-live=true pattern=ball ! {RAW} ! x264enc speed-preset=ultrafast "
    "key-int-max=25 bitrate=800 bframes=2 b-adapt=false b-pyramid=false ! video/x-h264,"
    "profile=main ! rtph264pay name=pay0 pt=96 config-interval=-1"
)
AAC = (
    "audiotestsrc is-live=true ! audio/x-raw,rate=16000,channels=1 ! voaacenc bitrate=32000 "
    "! rtpmp4gpay name=pay1 pt=97"
)
PCMU = (
    "audiotestsrc is-live=true ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1"
)
H265 = (
    f"videotestsrc is-live=true ! {RAW} ! x265enc tune=zerolatency speed-preset=ultrafast "
    "key-int-max=25 bitrate=800 ! rtph265pay name=pay0 pt=96 config-interval=-1"
)
H265_BFRAMES = (
    f"videotestsrc is-live=true pattern=ball ! {RAW} ! x265enc speed-preset=ultrafast "
    "key-int-max=25 bitrate=800 option-string=bframes=2:b-adapt=0:b-pyramid=0 "
    "! rtph265pay name=pay0 pt=96 config-interval=-1"
)
def metadata_source(name):
    """The ONVIF metadata stream: an appsrc fed RTP packets by metadata_feeder."""
    return (
        f'appsrc name={name} is-live=true format=time do-timestamp=true caps="application/'
        'x-rtp,media=application,payload=107,clock-rate=90000,encoding-name=vnd.onvif.metadata"'
    )


METADATA = metadata_source("pay1")
CLIP = (
    "appsrc name=clip is-live=true format=time do-timestamp=true caps=video/x-h264,"
    "stream-format=byte-stream,alignment=au,framerate=25/1 ! h264parse "
    "! rtph264pay name=pay0 pt=96 config-interval=-1"
)
UNSTABLE = (
    "appsrc name=unstable is-live=true format=time do-timestamp=true caps=video/x-h264,"
    "stream-format=byte-stream,alignment=au,framerate=25/1 ! h264parse "
    "! rtph264pay name=pay0 pt=96 config-interval=-1"
)

EVENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<tt:MetadataStream '
    'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" '
    'xmlns:tns1="http://www.onvif.org/ver10/topics"><tt:PTZ><tt:PTZStatus><tt:Position>'
    '<tt:PanTilt x="{pan}" y="0.0"/><tt:Zoom x="0.5"/></tt:Position>'
    '<tt:UtcTime>{utc}</tt:UtcTime></tt:PTZStatus></tt:PTZ><tt:Event><wsnt:NotificationMessage>'
    '<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
    'tns1:VideoSource/MotionAlarm</wsnt:Topic><wsnt:Message><tt:Message UtcTime="{utc}" '
    'PropertyOperation="Changed"><tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/>'
    '</tt:Source><tt:Data><tt:SimpleItem Name="State" Value="{state}"/></tt:Data></tt:Message>'
    "</wsnt:Message></wsnt:NotificationMessage></tt:Event></tt:MetadataStream>"
)


# The pan positions the PTZ status of successive documents reports, round and round.
PANS = ("-0.75", "-0.25", "0.25", "0.75")


def toggling(count):
    return count % 2 == 1


def one_window(count):
    return 5 <= count < 7


def metadata_feeder(appsrc, period_ms=1000, mtu=1200, motion=toggling):
    """Write ONVIF metadata RTP packets ourselves: Debian's GStreamer has no payloader.
    The marker bit ends each XML document (ONVIF Streaming, metadata stream)."""
    state = {
        "seq": random.randrange(65536),
        "ssrc": random.getrandbits(32),
        "count": 0,
        "start": time.monotonic(),
    }

    def push():
        state["count"] += 1
        document = EVENT.format(
            utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            state=str(motion(state["count"])).lower(),
            pan=PANS[state["count"] % len(PANS)],
        ).encode()
        timestamp = int((time.monotonic() - state["start"]) * 90000) & 0xFFFFFFFF
        chunks = [document[i : i + mtu] for i in range(0, len(document), mtu)]
        for index, chunk in enumerate(chunks):
            marker = 0x80 if index == len(chunks) - 1 else 0
            header = struct.pack(
                "!BBHII", 0x80, marker | 107, state["seq"], timestamp, state["ssrc"]
            )
            state["seq"] = (state["seq"] + 1) & 0xFFFF
            if (
                appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(header + chunk))
                != Gst.FlowReturn.OK
            ):
                return False
        return True

    GLib.timeout_add(20, lambda: push() and GLib.timeout_add(period_ms, push) and False)


def load_clip(path):
    """Split the clip into H.264 access units once; they are pushed in a loop later."""
    pipeline = Gst.parse_launch(
        f"filesrc location={path} ! parsebin ! h264parse ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    sink = pipeline.get_by_name("sink")
    while (sample := sink.emit("pull-sample")) is not None:
        buffer = sample.get_buffer()
        units.append(buffer.extract_dup(0, buffer.get_size()))
    pipeline.set_state(Gst.State.NULL)
    return units


def encode_gop(width, height, frames=10):
    """One closed GOP of ``frames`` pictures, SPS/PPS in band, as access units."""
    pipeline = Gst.parse_launch(
        f"videotestsrc num-buffers={frames} ! video/x-raw,format=I420,width={width},"
        f"height={height},framerate=25/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
        f"key-int-max={frames} ! video/x-h264,stream-format=byte-stream,alignment=au "
        "! appsink name=sink sync=false"
    )
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    sink = pipeline.get_by_name("sink")
    while (sample := sink.emit("pull-sample")) is not None:
        buffer = sample.get_buffer()
        units.append(buffer.extract_dup(0, buffer.get_size()))
    pipeline.set_state(Gst.State.NULL)
    return units


def clip_feeder(appsrc, units, fps=25):
    """Push the access units due by now (wall clock), so the loop never drifts."""
    start, sent = time.monotonic(), [0]

    def tick():
        while sent[0] <= (time.monotonic() - start) * fps:
            unit = units[sent[0] % len(units)]
            if appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(unit)) != Gst.FlowReturn.OK:
                return False
            sent[0] += 1
        return True

    GLib.timeout_add(5, tick)


def on_teardown(_client, context):
    path = context.uri.abspath if context.uri is not None else "?"
    print(f"REQUEST TEARDOWN {path}", flush=True)


def on_client(_server, client):
    client.connect("teardown-request", on_teardown)


def multicast_factory(interface):
    """The /mcast factory: multicast only, addresses from a pool, sent on ``interface``."""
    pool = GstRtspServer.RTSPAddressPool()
    pool.add_range("239.255.42.1", "239.255.42.10", 5000, 5098, 1)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_address_pool(pool)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP_MCAST)
    factory.set_multicast_iface(interface)
    return factory


def make_auth(args):
    """Digest users and/or the TLS certificate; None when neither is asked for."""
    if not (args.user or args.tls_cert):
        return None, None
    auth, permissions = GstRtspServer.RTSPAuth(), None
    if args.tls_cert:
        auth.set_tls_certificate(Gio.TlsCertificate.new_from_files(args.tls_cert, args.tls_key))
    if args.user:
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(args.user, args.password or "", token)
        permissions = GstRtspServer.RTSPPermissions()
        for permission in ("media.factory.access", "media.factory.construct"):
            permissions.add_permission_for_role("user", permission, True)
    else:  # TLS alone: anonymous clients may play
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "anonymous")
        auth.set_default_token(token)
        permissions = GstRtspServer.RTSPPermissions()
        for permission in ("media.factory.access", "media.factory.construct"):
            permissions.add_permission_for_role("anonymous", permission, True)
    return auth, permissions


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", default="0")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--clip")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--multicast-iface", default="lo")
    args = parser.parse_args()
    units = load_clip(args.clip) if args.clip else []

    def on_configure(_factory, media, path):
        element = media.get_element()
        for name in ("pay1", "pay2"):
            metadata = element.get_by_name(name)
            if metadata is not None and metadata.get_factory().get_name() == "appsrc":
                metadata_feeder(metadata, motion=one_window if path == "/motion" else toggling)
        clip = element.get_by_name("clip")
        if clip is not None:
            clip_feeder(clip, units)
        unstable = element.get_by_name("unstable")
        if unstable is not None:
            clip_feeder(unstable, encode_gop(640, 360) + encode_gop(320, 180))

    mounts = {
        "/mcast": VIDEO,
        "/h264": VIDEO,
        "/h264-sep": VIDEO_SEPARATE,
        "/h264-4m": VIDEO_4M,
        "/h264-bframes": VIDEO_BFRAMES,
        "/h264-unstable": UNSTABLE,
        "/av": f"{VIDEO} {AAC}",
        "/h265": H265,
        "/h265-bframes": H265_BFRAMES,
        "/meta": f"{VIDEO} {METADATA}",
        "/avm": f"{VIDEO} {AAC} {metadata_source('pay2')}",  # all three: TS-REPLAY 3-4-x
        "/motion": f"{VIDEO} {METADATA}",
        "/pcmu": f"{VIDEO} {PCMU}",
    }
    if units:
        mounts["/file"] = CLIP
    server = GstRtspServer.RTSPServer(service=args.port)
    server.set_address(args.address)
    auth, permissions = make_auth(args)
    if auth is not None:
        server.set_auth(auth)
    for path, launch in mounts.items():
        factory = (multicast_factory(args.multicast_iface) if path == "/mcast"
                   else GstRtspServer.RTSPMediaFactory())
        factory.set_launch(f"( {launch} )")
        factory.set_shared(True)
        factory.connect("media-configure", on_configure, path)
        if permissions is not None:
            factory.set_permissions(permissions)
        server.get_mount_points().add_factory(path, factory)
    server.connect("client-connected", on_client)
    server.attach(None)
    scheme = "rtsps" if args.tls_cert else "rtsp"
    print(f"READY {scheme}://{args.address}:{server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    sys.exit(main())
