"""The codec table, one row per codec, from SDP to stored sample entry.

Each row is a stream as a camera announces it (SDP media section) and one RTP packet of
it; the test walks the recorder's own path: ``ingest.media.select_media`` recognises the
stream through the table, the chosen depacketizer turns the packet into an access unit,
the table turns its config into the track's codec, and the sample entry that codec
writes is read back with ``mp4.inspect``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from onvif_recorder.ingest.media import select_media
from onvif_recorder.media import table
from onvif_recorder.media.h264 import avc_parameter_sets
from onvif_recorder.media.h265 import hevc_parameter_sets
from onvif_recorder.mp4.inspect import dump_bytes, read_boxes
from onvif_recorder.recording.track_mapping import stream_fourcc, to_track_sample, track_info
from onvif_recorder.rtp.packet import RtpPacket
from onvif_recorder.rtp.stream import RtpStream
from onvif_recorder.rtsp.sdp import parse_sdp
from tests.unit.mp4 import media as clips


@dataclass(frozen=True, kw_only=True)
class Row:
    sdp: str
    """The ``m=`` section, ``{pt}`` standing for its payload type."""
    payload_type: int
    payload: bytes
    name: str
    fourcc: str
    codecs: str
    entry: str
    """A whole line the ``mp4.inspect`` dump of the sample entry must hold."""
    sample: bytes
    """What the access unit must become in ``mdat``."""
    duration: int | None


def _b64(unit: bytes) -> str:
    return base64.b64encode(unit).decode()


def _h264() -> Row:
    first = clips.h264_access_units()[0]
    idr = next(n for n in first if n[0] & 0x1F == 5)
    sprop = ",".join(_b64(units[0]) for units in avc_parameter_sets(first))
    return Row(sdp=f"m=video 0 RTP/AVP {{pt}}\r\na=rtpmap:{{pt}} H264/90000\r\n"
                   f"a=fmtp:{{pt}} packetization-mode=1;sprop-parameter-sets={sprop}\r\n",
               payload_type=96, payload=idr, name="H.264", fourcc="avc1",
               codecs="avc1.64000C", entry="pps[0]=68ef0fcb",
               sample=len(idr).to_bytes(4, "big") + idr, duration=None)


def _h265() -> Row:
    first = clips.h265_access_units()[0]
    idr = next(n for n in first if (n[0] >> 1) & 0x3F in (19, 20))
    vps, sps, pps = (_b64(units[0]) for units in hevc_parameter_sets(first))
    return Row(sdp=f"m=video 0 RTP/AVP {{pt}}\r\na=rtpmap:{{pt}} H265/90000\r\n"
                   f"a=fmtp:{{pt}} sprop-vps={vps};sprop-sps={sps};sprop-pps={pps}\r\n",
               payload_type=98, payload=idr, name="H.265", fourcc="hvc1",
               codecs="hvc1.1.6.L60.90", entry="nal_type=34[0] complete=1 data=4401c172b46240",
               sample=len(idr).to_bytes(4, "big") + idr, duration=None)


def _aac() -> Row:
    frame = clips.aac_frames().frames[0]
    au_headers = (16).to_bytes(2, "big") + (len(frame) << 3).to_bytes(2, "big")
    return Row(sdp="m=audio 0 RTP/AVP {pt}\r\na=rtpmap:{pt} MPEG4-GENERIC/48000/1\r\n"
                   "a=fmtp:{pt} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;"
                   "indexlength=3;indexdeltalength=3;config=1188\r\n",
               payload_type=97, payload=au_headers + frame, name="AAC", fourcc="mp4a",
               codecs="mp4a.40.2", entry="descriptor tag=0x05 data=1188", sample=frame,
               duration=1024)


ROWS: dict[str, Callable[[], Row]] = {
    "h264": _h264,
    "h265": _h265,
    "aac": _aac,
    "pcmu (static payload type)": lambda: Row(
        sdp="m=audio 0 RTP/AVP {pt}\r\n", payload_type=0, payload=bytes(range(160)),
        name="G.711", fourcc="ulaw", codecs="ulaw",
        entry="data_reference_index=1 channelcount=1 samplesize=16 samplerate=8000",
        sample=bytes(range(160)), duration=160),
    "pcma stereo": lambda: Row(
        sdp="m=audio 0 RTP/AVP {pt}\r\na=rtpmap:{pt} PCMA/8000/2\r\n", payload_type=8,
        payload=bytes(320), name="G.711", fourcc="alaw", codecs="alaw",
        entry="data_reference_index=1 channelcount=2 samplesize=16 samplerate=8000",
        sample=bytes(320), duration=160),
    "onvif metadata": lambda: Row(
        sdp="m=application 0 RTP/AVP {pt}\r\na=rtpmap:{pt} vnd.onvif.metadata/90000\r\n",
        payload_type=107, payload=clips.METADATA_XML, name="ONVIF metadata", fourcc="metx",
        codecs="metx", entry="namespace='http://www.onvif.org/ver10/schema' schema_location=''",
        sample=clips.METADATA_XML, duration=None),
}


def session_description(row: Row) -> bytes:
    head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=camera\r\nt=0 0\r\na=control:*\r\n"
    section = row.sdp.format(pt=row.payload_type) + "a=control:trackID=1\r\n"
    return (head + section).encode()


@pytest.mark.parametrize("key", ROWS)
def test_one_row_from_sdp_to_sample_entry(key: str) -> None:
    row = ROWS[key]()
    description = parse_sdp(session_description(row), "rtsp://camera/stream")
    (chosen,), skipped = select_media(description)
    assert skipped == []
    media_description = description.media[0]
    spec = table.by_encoding(media_description.encoding, media_description.payload_type)
    assert spec is not None and spec.name == row.name
    assert stream_fourcc(chosen.info) == row.fourcc  # decided before any sample arrives

    stream = RtpStream(chosen.depacketizer, chosen.info.clock_rate)
    packet = RtpPacket(row.payload_type, 1, 3000, 7, row.payload, marker=True)
    (received,) = stream.receive_rtp(bytes(packet), 0.0, 1.0e9)
    track = track_info(1, received.config, chosen.info.clock_rate)
    assert track is not None
    assert table.by_config(received.config) is spec
    assert (track.codec.fourcc, track.codec.codec_string) == (row.fourcc, row.codecs)

    entry = track.codec.sample_entry()
    (box,) = read_boxes(entry)
    assert (box.name, box.size) == (row.fourcc, len(entry))
    assert row.entry in [line.strip() for line in dump_bytes(entry).splitlines()]

    sample = to_track_sample(track, received)
    assert (sample.data, sample.duration, sample.sync) == (row.sample, row.duration, True)


def test_every_codec_has_a_row() -> None:
    assert {ROWS[key]().name for key in ROWS} == {spec.name for spec in table.SPECS}


def test_unknown_codecs_and_refused_parameters_are_skipped_with_a_reason() -> None:
    assert table.by_encoding("G722") is None and table.fourcc("JPEG", 26) is None
    row = _aac()
    body = session_description(replace(row, sdp=row.sdp.replace("config=1188", "config=f8")))
    chosen, skipped = select_media(parse_sdp(body, "rtsp://camera/stream"))
    assert chosen == [] and "AudioSpecificConfig" in skipped[0]


def test_no_two_codecs_claim_the_same_encoding_config_or_payload_type() -> None:
    encodings = [name for spec in table.SPECS for name in spec.fourccs]
    payload_types = [pt for spec in table.SPECS for pt in spec.static_payload_types]
    configs = [spec.config_type for spec in table.SPECS]
    for keys in (encodings, payload_types, configs):
        assert len(keys) == len(set(keys))
    assert all(name == name.lower() for name in encodings)  # looked up lower-cased
