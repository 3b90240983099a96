"""HLS playlists and recorded spans (replay.hls, replay.recorded_spans), table-driven."""

from __future__ import annotations

import pytest

from onvif_recorder.replay.hls import HlsPart, iso_utc, media_playlist
from onvif_recorder.replay.recorded_spans import clip_ranges, merge_ranges

T0 = 1_764_892_800.0  # 2025-12-05T00:00:00Z
HEAD = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:{}", "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"]


def part_lines(part: HlsPart) -> list[str]:
    return [f"#EXT-X-PROGRAM-DATE-TIME:{iso_utc(part.start_utc)}",
            f"#EXTINF:{part.end_utc - part.start_utc:.3f},", f"part/{part.part_id}.m4s"]


A = HlsPart(7, 7, T0, T0 + 2.0)
B = HlsPart(8, 7, T0 + 2.02, T0 + 4.0)  # follows A (segment ends are the last sample's end)
C_GAP = HlsPart(9, 7, T0 + 10.0, T0 + 12.5)  # same init, after a gap
D_NEW_INIT = HlsPart(12, 12, T0 + 4.0, T0 + 6.0)  # new span right after B


@pytest.mark.parametrize(("parts", "target", "body"), [
    ([], 1, []),
    ([A], 2, ['#EXT-X-MAP:URI="init/7.mp4"', *part_lines(A)]),
    ([A, B], 2, ['#EXT-X-MAP:URI="init/7.mp4"', *part_lines(A), *part_lines(B)]),
    ([A, B, C_GAP], 3, ['#EXT-X-MAP:URI="init/7.mp4"', *part_lines(A), *part_lines(B),
                        "#EXT-X-DISCONTINUITY", *part_lines(C_GAP)]),
    ([A, B, D_NEW_INIT], 2, ['#EXT-X-MAP:URI="init/7.mp4"', *part_lines(A), *part_lines(B),
                             "#EXT-X-DISCONTINUITY", '#EXT-X-MAP:URI="init/12.mp4"',
                             *part_lines(D_NEW_INIT)]),
], ids=["empty", "one", "contiguous", "gap", "new-init"])
def test_media_playlist(parts: list[HlsPart], target: int, body: list[str]) -> None:
    head = [line.format(target) for line in HEAD]
    assert media_playlist(parts).splitlines() == [*head, *body, "#EXT-X-ENDLIST"]


@pytest.mark.parametrize(("moment", "text"), [
    (T0, "2025-12-05T00:00:00.000Z"),
    (T0 + 0.25, "2025-12-05T00:00:00.250Z"),
    (T0 + 86399.999, "2025-12-05T23:59:59.999Z"),
])
def test_iso_utc(moment: float, text: str) -> None:
    assert iso_utc(moment) == text


@pytest.mark.parametrize(("ranges", "merged"), [
    ([], []),
    ([(0.0, 1.0), (2.0, 3.0)], [(0.0, 1.0), (2.0, 3.0)]),
    ([(2.0, 3.0), (0.0, 1.0)], [(0.0, 1.0), (2.0, 3.0)]),
    ([(0.0, 2.0), (1.0, 3.0)], [(0.0, 3.0)]),  # CMAF video and audio spans
    ([(0.0, 2.0), (2.0, 3.0)], [(0.0, 3.0)]),
    ([(0.0, 5.0), (1.0, 2.0)], [(0.0, 5.0)]),
])
def test_merge_ranges(ranges: list[tuple[float, float]],
                      merged: list[tuple[float, float]]) -> None:
    assert merge_ranges(ranges) == merged


@pytest.mark.parametrize(("low", "high", "clipped"), [
    (0.0, 100.0, [(10.0, 20.0), (30.0, 40.0)]),
    (15.0, 35.0, [(15.0, 20.0), (30.0, 35.0)]),
    (20.0, 30.0, []),  # inside the gap
    (12.0, 18.0, [(12.0, 18.0)]),
    (41.0, 50.0, []),
])
def test_clip_ranges(low: float, high: float, clipped: list[tuple[float, float]]) -> None:
    assert clip_ranges([(10.0, 20.0), (30.0, 40.0)], low, high) == clipped
