"""``remove_track`` on the golden segments: the result is what the segmenter writes
without that track, decodes, and keeps every other track's samples byte for byte."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from onvif_recorder.mp4.fragment import FragmentSample, TrackRun, encode_fragment
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import dump, read_boxes
from onvif_recorder.mp4.model import TrackInfo, TrackSample
from onvif_recorder.mp4.repair import repair_segment
from onvif_recorder.mp4.segmenter import SegmenterConfig
from onvif_recorder.mp4.track_removal import remove_track, track_ids
from onvif_recorder.mp4.user_data import SegmentInfo
from onvif_recorder.storage.segment_scan import scan_segment
from tests.unit.mp4 import media
from tests.unit.mp4.golden import assert_golden
from tests.unit.mp4.test_decode import check_ffmpeg_clean, decode
from tests.unit.mp4.test_segmenter import record

GOLDEN_CONFIG = SegmenterConfig(format=Brand.MP4, segment_duration=1.0, fragment_duration=0.5)
TOKENS = {1: "VIDEO001", 2: "AUDIO001", 3: "META001"}


def segment(tracks: list[tuple[TrackInfo, list[TrackSample]]], index: int = 1,
            tokens: dict[int, str] | None = None) -> bytes:
    """Segment ``index`` of the golden multiplexed recording made of ``tracks``."""
    config = SegmenterConfig(format=Brand.MP4, segment_duration=1.0, fragment_duration=0.5,
                             recording="Recording_1" if tokens else "",
                             track_tokens=tokens or {})
    spans = record([t for t, _ in tracks], media.merge(*(s for _, s in tracks)), config)
    return bytes(spans[0].segments[index].data)


def golden_tracks() -> dict[int, tuple[TrackInfo, list[TrackSample]]]:
    return {1: media.h264_track(1), 2: media.aac_track(2, offset=0.01),
            3: media.metadata_track(3)}


def test_golden_segment_without_metadata_is_the_segment_written_without_it() -> None:
    # Video and audio keep the common timescale (720000) without the 90 kHz metadata, so
    # the segmenter's own output without that track is the byte-exact oracle.
    tracks = golden_tracks()
    removed = remove_track(segment(list(tracks.values())), 3)
    assert removed.remaining == (1, 2)
    # Except mvhd's next_track_ID, which keeps saying 4: track_IDs are never reused.
    assert removed.data == _next_track_id(segment([tracks[1], tracks[2]]), 4)


def test_golden_segment_without_audio() -> None:
    # Without the 48 kHz audio the segmenter would pick 90000 as timescale; the rewrite
    # keeps 720000, so its oracle is the reviewed dump (and the sample test below).
    removed = remove_track(segment(list(golden_tracks().values())), 2)
    assert removed.remaining == (1, 3)
    assert_golden("segment_mp4_avc1_mp4a_metx_without_2", dump(removed.data))


@pytest.mark.parametrize("gone", [1, 2, 3])
def test_each_track_can_go_and_the_others_stay_byte_identical(gone: int) -> None:
    tracks = golden_tracks()
    original = segment(list(tracks.values()))
    removed = remove_track(original, gone)
    kept = [i for i in (1, 2, 3) if i != gone]
    assert track_ids(removed.data) == tuple(kept)
    assert _samples(removed.data) == {i: _samples(original)[i] for i in kept}
    boxes = read_boxes(removed.data)
    assert [b.name for b in boxes][-1] == "mfra"
    tfras = [int.from_bytes(t.payload[4:8], "big") for t in boxes[-1].find_all("tfra")]
    assert tfras == kept
    assert repair_segment(removed.data).data == removed.data  # mfra matches the moofs
    prfts = [b for b in boxes if b.name == "prft"]
    assert all(int.from_bytes(p.payload[4:8], "big") in kept for p in prfts)


def test_recovery_data_loses_the_track_and_the_start_stays() -> None:
    original = segment(list(golden_tracks().values()), tokens=TOKENS)
    removed = remove_track(original, 2)
    moov = read_boxes(removed.data)[1]
    info = SegmentInfo.decode(moov.find_all("udta/uuid")[0].payload)
    assert info is not None and dict(info.track_tokens) == {1: "VIDEO001", 3: "META001"}
    before, after = scan_segment(original), scan_segment(removed.data)
    assert after.tracks == ("VIDEO001", "META001")
    assert after.start_utc == before.start_utc
    assert after.end_utc == pytest.approx(before.start_utc + 1.0)  # the video's end
    assert before.end_utc > after.end_utc  # the audio ran on a little


def test_without_audio_decodes_video_only_to_the_same_pictures(tmp_path: Path) -> None:
    original = segment(list(golden_tracks().values()))
    path = tmp_path / "video.mp4"
    path.write_bytes(remove_track(original, 2).data)
    with av.open(str(path)) as container:
        assert len(container.streams.audio) == 0
        assert len(container.streams.video) == 1
    (tmp_path / "original.mp4").write_bytes(original)
    assert decode(path, "video") == decode(tmp_path / "original.mp4", "video")
    check_ffmpeg_clean(path)


def test_fragments_holding_only_the_removed_track_go_with_their_prft() -> None:
    original = segment(list(golden_tracks().values()))
    boxes = read_boxes(original)
    prft = next(b for b in boxes if b.name == "prft")
    audio_only = encode_fragment(9, [TrackRun(2, 10**6, [FragmentSample(b"a" * 10, 960, True)])])
    head = original[: prft.offset]
    crafted = head + original[prft.offset : prft.offset + prft.size] + audio_only.data \
        + original[prft.offset : boxes[-1].offset]
    removed = remove_track(crafted, 2)
    assert removed.data == remove_track(original, 2).data


def test_a_segment_without_the_track_is_unchanged_and_the_last_track_leaves_nothing() -> None:
    video = media.h264_track(1)
    single = segment([video])
    assert remove_track(single, 7).data == single
    assert remove_track(single, 1).remaining == ()


def test_a_torn_segment_is_refused() -> None:
    original = segment(list(golden_tracks().values()))
    with pytest.raises(ValueError, match="truncated"):
        remove_track(original[:-200], 2)


def _next_track_id(data: bytes, value: int) -> bytes:
    mvhd = read_boxes(data)[1].children[0]
    assert mvhd.name == "mvhd"
    end = mvhd.offset + mvhd.size
    return data[: end - 4] + value.to_bytes(4, "big") + data[end:]


def _samples(data: bytes) -> dict[int, list[bytes]]:
    """Per track_ID the sample bytes in decode order, read through tfhd/trun."""
    from onvif_recorder.mp4.track_removal import _tfhd_addressing, _traf_id, _trun_extent

    result: dict[int, list[bytes]] = {}
    for moof in (b for b in read_boxes(data) if b.name == "moof"):
        for traf in moof.find_all("traf"):
            tfhd = traf.find("tfhd")
            assert tfhd is not None
            _, default_size = _tfhd_addressing(tfhd)
            for trun in traf.find_all("trun"):
                offset, size = _trun_extent(trun, default_size)
                start = moof.offset + offset
                result.setdefault(_traf_id(traf), []).append(data[start : start + size])
    return result
