"""Field decoders for ``inspect``: one small function per box type (14496-12/-14/-15).

Each decoder gets a ``FieldReader`` over the box payload (after the 8/16-byte header)
and returns ``key=value`` lines. Boxes without a decoder print nothing beyond their
header line, which is what golden dumps want for ``mdat`` and unknown boxes.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

NTP_UNIX_OFFSET = 2_208_988_800
MAC_UNIX_OFFSET = 2_082_844_800


class FieldReader:
    """Big-endian cursor over a payload; reading past the end raises IndexError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise IndexError(f"field runs past the box end ({count} bytes at {self.pos})")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def uint(self, count: int) -> int:
        return int.from_bytes(self.take(count), "big")

    def sint(self, count: int) -> int:
        return int.from_bytes(self.take(count), "big", signed=True)

    def full(self) -> tuple[int, int]:
        word = self.uint(4)
        return word >> 24, word & 0xFFFFFF

    def cstring(self) -> str:
        end = self.data.index(b"\x00", self.pos)
        text = self.data[self.pos : end].decode("utf-8", "replace")
        self.pos = end + 1
        return text

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def decode_fields(kind: bytes, reader: FieldReader, max_samples: int | None) -> list[str]:
    decoder = _DECODERS.get(kind)
    return decoder(reader, max_samples) if decoder else []


def _vf(version: int, flags: int) -> str:
    return f"version={version} flags={flags:06x}"


def _ftyp(r: FieldReader, _: int | None) -> list[str]:
    major, minor = r.take(4).decode("latin-1"), r.uint(4)
    brands = [r.take(4).decode("latin-1") for _ in range(r.left // 4)]
    return [f"major_brand={major} minor_version={minor}", f"compatible_brands={' '.join(brands)}"]


def _times(r: FieldReader, version: int) -> tuple[int, int]:
    width = 8 if version else 4
    return r.uint(width), r.uint(width)


def _mac(seconds: int) -> str:
    if not seconds:
        return "0"
    moment = datetime.datetime.fromtimestamp(seconds - MAC_UNIX_OFFSET, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _mvhd(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    created, modified = _times(r, version)
    timescale, duration = r.uint(4), r.uint(8 if version else 4)
    r.take(4 + 2 + 10 + 36 + 24)
    return [_vf(version, flags), f"creation_time={_mac(created)} modification_time="
            f"{_mac(modified)}", f"timescale={timescale} duration={duration} "
            f"next_track_ID={r.uint(4)}"]


def _tkhd(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    created, _modified = _times(r, version)
    track_id = r.uint(4)
    r.take(4)
    duration = r.uint(8 if version else 4)
    r.take(8 + 2 + 2)
    volume = r.uint(2)
    r.take(2 + 36)
    width, height = r.uint(4) / 65536, r.uint(4) / 65536
    return [_vf(version, flags), f"creation_time={_mac(created)} track_ID={track_id} "
            f"duration={duration} volume={volume / 256:g} width={width:g} height={height:g}"]


def _mdhd(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    _created, _modified = _times(r, version)
    timescale, duration = r.uint(4), r.uint(8 if version else 4)
    packed = r.uint(2)
    language = "".join(chr(((packed >> shift) & 0x1F) + 0x60) for shift in (10, 5, 0))
    return [_vf(version, flags), f"timescale={timescale} duration={duration} "
            f"language={language}"]


def _hdlr(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    r.take(4)
    handler = r.take(4).decode("latin-1")
    r.take(12)
    return [_vf(version, flags), f"handler_type={handler} name={r.cstring()!r}"]


def _full_only(r: FieldReader, _: int | None) -> list[str]:
    return [_vf(*r.full())]


def _counted(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    return [_vf(version, flags), f"entry_count={r.uint(4)}"]


def _stsz(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    return [_vf(version, flags), f"sample_size={r.uint(4)} sample_count={r.uint(4)}"]


def _visual(r: FieldReader, _: int | None) -> list[str]:
    r.take(6)
    reference = r.uint(2)
    r.take(16)
    width, height = r.uint(2), r.uint(2)
    r.take(8 + 4 + 2)
    name_length = r.uint(1)
    name = r.take(31)[:name_length].decode("latin-1")
    return [f"data_reference_index={reference} width={width} height={height} "
            f"compressorname={name!r} depth={r.uint(2)}"]


def _audio(r: FieldReader, _: int | None) -> list[str]:
    r.take(6)
    reference = r.uint(2)
    r.take(8)
    channels, bits = r.uint(2), r.uint(2)
    r.take(4)
    return [f"data_reference_index={reference} channelcount={channels} samplesize={bits} "
            f"samplerate={r.uint(4) / 65536:g}"]


def _metx(r: FieldReader, _: int | None) -> list[str]:
    r.take(6)
    reference = r.uint(2)
    encoding, namespace, schema = r.cstring(), r.cstring(), r.cstring()
    return [f"data_reference_index={reference} content_encoding={encoding!r}",
            f"namespace={namespace!r} schema_location={schema!r}"]


def _avcc(r: FieldReader, _: int | None) -> list[str]:
    version, profile, compat, level = r.uint(1), r.uint(1), r.uint(1), r.uint(1)
    lines = [f"configurationVersion={version} profile={profile} compatibility={compat:02x} "
             f"level={level} lengthSize={(r.uint(1) & 3) + 1}"]
    for name, mask in (("sps", 0x1F), ("pps", 0xFF)):
        for index in range(r.uint(1) & mask):
            lines.append(f"{name}[{index}]={r.take(r.uint(2)).hex()}")
    if r.left >= 4:
        chroma, luma, chroma_depth = r.uint(1) & 3, (r.uint(1) & 7) + 8, (r.uint(1) & 7) + 8
        lines.append(f"chroma_format={chroma} bit_depth_luma={luma} "
                     f"bit_depth_chroma={chroma_depth} sps_ext={r.uint(1)}")
    return lines


def _hvcc(r: FieldReader, _: int | None) -> list[str]:
    version, ptl = r.uint(1), r.uint(1)
    compat, constraints, level = r.uint(4), r.uint(6), r.uint(1)
    r.take(3)
    chroma, luma, chroma_depth = r.uint(1) & 3, (r.uint(1) & 7) + 8, (r.uint(1) & 7) + 8
    frame_rate, packed = r.uint(2), r.uint(1)
    lines = [f"configurationVersion={version} profile_space={ptl >> 6} tier={(ptl >> 5) & 1} "
             f"profile_idc={ptl & 0x1F} compatibility={compat:08x} constraints={constraints:012x}"
             f" level={level}", f"chroma_format={chroma} bit_depth_luma={luma} "
             f"bit_depth_chroma={chroma_depth} avgFrameRate={frame_rate} "
             f"numTemporalLayers={(packed >> 3) & 7} lengthSize={(packed & 3) + 1}"]
    for _ in range(r.uint(1)):
        head, count = r.uint(1), r.uint(2)
        for index in range(count):
            lines.append(f"nal_type={head & 0x3F}[{index}] complete={head >> 7} "
                         f"data={r.take(r.uint(2)).hex()}")
    return lines


def _descriptor_size(r: FieldReader) -> int:
    size = 0
    for _ in range(4):
        byte = r.uint(1)
        size = size << 7 | (byte & 0x7F)
        if not byte & 0x80:
            break
    return size


def _esds(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    lines = [_vf(version, flags)]
    while r.left >= 2:
        tag, size = r.uint(1), _descriptor_size(r)
        if tag == 0x03:
            lines.append(f"ES_Descriptor ES_ID={r.uint(2)} flags={r.uint(1)}")
        elif tag == 0x04:
            kind, stream = r.uint(1), r.uint(1)
            r.take(3)
            lines.append(f"DecoderConfigDescriptor objectTypeIndication={kind:#04x} "
                         f"streamType={stream >> 2} maxBitrate={r.uint(4)} avgBitrate={r.uint(4)}")
        else:
            lines.append(f"descriptor tag={tag:#04x} data={r.take(size).hex()}")
    return lines


def _trex(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    values = [r.uint(4) for _ in range(5)]
    return [_vf(version, flags), "track_ID={} default_sample_description_index={} "
            "default_sample_duration={} default_sample_size={} default_sample_flags={:08x}"
            .format(*values)]


def _mfhd(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    return [_vf(version, flags), f"sequence_number={r.uint(4)}"]


_TFHD_FIELDS = ((0x000001, "base_data_offset", 8), (0x000002, "sample_description_index", 4),
                (0x000008, "default_sample_duration", 4), (0x000010, "default_sample_size", 4),
                (0x000020, "default_sample_flags", 4))


def _tfhd(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    parts = [f"track_ID={r.uint(4)}"]
    for bit, name, width in _TFHD_FIELDS:
        if flags & bit:
            value = r.uint(width)
            parts.append(f"{name}={value:08x}" if name.endswith("flags") else f"{name}={value}")
    if flags & 0x020000:
        parts.append("default-base-is-moof")
    return [_vf(version, flags), " ".join(parts)]


def _tfdt(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    return [_vf(version, flags), f"baseMediaDecodeTime={r.uint(8 if version else 4)}"]


def _trun(r: FieldReader, max_samples: int | None) -> list[str]:
    version, flags = r.full()
    count = r.uint(4)
    head = [f"sample_count={count}"]
    if flags & 0x000001:
        head.append(f"data_offset={r.sint(4)}")
    if flags & 0x000004:
        head.append(f"first_sample_flags={r.uint(4):08x}")
    lines = [_vf(version, flags), " ".join(head)]
    names = [(0x100, "duration"), (0x200, "size"), (0x400, "flags"), (0x800, "cto")]
    shown = count if max_samples is None else min(count, max_samples)
    for index in range(count):
        values = []
        for bit, name in names:
            if flags & bit:
                value = r.sint(4) if name == "cto" and version else r.uint(4)
                values.append(f"{name}={value:08x}" if name == "flags" else f"{name}={value}")
        if index < shown:
            lines.append(f"sample[{index}] " + " ".join(values))
    if shown < count:
        lines.append(f"... {count - shown} more samples")
    return lines


def _tfra(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    track_id, sizes, count = r.uint(4), r.uint(4), r.uint(4)
    widths = [((sizes >> shift) & 3) + 1 for shift in (4, 2, 0)]
    lines = [_vf(version, flags), f"track_ID={track_id} number_of_entry={count}"]
    for index in range(count):
        time, offset = r.uint(8 if version else 4), r.uint(8 if version else 4)
        traf, trun, sample = (r.uint(width) for width in widths)
        lines.append(f"entry[{index}] time={time} moof_offset={offset} traf={traf} "
                     f"trun={trun} sample={sample}")
    return lines


def _mfro(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    return [_vf(version, flags), f"mfra_size={r.uint(4)}"]


def _prft(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    track_id, ntp = r.uint(4), r.uint(8)
    media_time = r.uint(8 if version else 4)
    seconds = (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / 2**32
    utc = datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="microseconds")
    return [_vf(version, flags), f"reference_track_ID={track_id} ntp={utc} media_time={media_time}"]


def _uuid(r: FieldReader, _: int | None) -> list[str]:
    usertype = uuid.UUID(bytes=r.take(16))
    body = r.take(r.left)
    text = body.decode("utf-8", "replace") if body.isascii() else body.hex()
    return [f"usertype={usertype}", f"data={text}"]


# --- Common Encryption (ISO/IEC 23001-7 §8; RC B.8) -----------------------------------


def _frma(r: FieldReader, _: int | None) -> list[str]:
    return [f"data_format={r.take(4).decode('latin-1')}"]


def _schm(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    scheme = r.take(4).decode("latin-1")
    return [_vf(version, flags), f"scheme_type={scheme} scheme_version={r.uint(4):08x}"]


def _tenc(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    r.uint(1)
    pattern, protected, iv_size, kid = r.uint(1), r.uint(1), r.uint(1), r.take(16).hex()
    line = f"isProtected={protected} Per_Sample_IV_Size={iv_size} KID={kid}"
    if version:
        line += f" crypt_byte_block={pattern >> 4} skip_byte_block={pattern & 15}"
    if protected and not iv_size:
        line += f" constant_IV={r.take(r.uint(1)).hex()}"
    return [_vf(version, flags), line]


def _pssh(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    lines = [_vf(version, flags), f"SystemID={r.take(16).hex()}"]
    if version:
        lines += [f"KID={r.take(16).hex()}" for _ in range(r.uint(4))]
    size = r.uint(4)
    lines.append(f"DataSize={size}" + (f" Data={r.take(size).hex()}" if size else ""))
    return lines


def _senc(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    return [_vf(version, flags), f"sample_count={r.uint(4)} (entry sizes: saiz)"]


def _saiz(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    if flags & 1:
        r.take(8)
    default, count = r.uint(1), r.uint(4)
    sizes = "" if default else " sizes=" + ",".join(str(b) for b in r.take(count))
    return [_vf(version, flags), f"default_sample_info_size={default} sample_count={count}"
            + sizes]


def _saio(r: FieldReader, _: int | None) -> list[str]:
    version, flags = r.full()
    if flags & 1:
        r.take(8)
    offsets = [r.uint(8 if version else 4) for _ in range(r.uint(4))]
    return [_vf(version, flags), "offsets=" + ",".join(map(str, offsets))]


_DECODERS: dict[bytes, Callable[[FieldReader, int | None], list[str]]] = {
    b"ftyp": _ftyp, b"styp": _ftyp, b"mvhd": _mvhd, b"tkhd": _tkhd, b"mdhd": _mdhd,
    b"hdlr": _hdlr, b"vmhd": _full_only, b"smhd": _full_only, b"nmhd": _full_only,
    b"url ": _full_only, b"dref": _counted, b"stsd": _counted, b"stts": _counted,
    b"stsc": _counted, b"stco": _counted, b"stsz": _stsz, b"avc1": _visual, b"hvc1": _visual,
    b"mp4a": _audio, b"ulaw": _audio, b"alaw": _audio, b"metx": _metx, b"avcC": _avcc,
    b"hvcC": _hvcc, b"esds": _esds, b"trex": _trex, b"mfhd": _mfhd, b"tfhd": _tfhd,
    b"tfdt": _tfdt, b"trun": _trun, b"tfra": _tfra, b"mfro": _mfro, b"prft": _prft,
    b"uuid": _uuid, b"encv": _visual, b"enca": _audio, b"frma": _frma, b"schm": _schm,
    b"tenc": _tenc, b"pssh": _pssh, b"senc": _senc, b"saiz": _saiz, b"saio": _saio,
}
