"""An export file remuxed from real segments: signed, TS-EFF shaped, samples untouched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from onvif_recorder.mp4.fragment_reader import read_segment
from onvif_recorder.mp4.inspect import read_boxes
from onvif_recorder.service.export_signature import VerificationError, verify_export
from tests.unit.export.support import export, recorded, write
from tests.unit.mp4 import media


def test_every_sample_is_copied_byte_for_byte(tmp_path: Path) -> None:
    files, samples = export(tmp_path)
    assert [f.name for f in files] == ["REC-export.mp4"]
    read = read_segment(files[0].read_bytes())
    for track_id in (1, 2, 3):
        written = [s.data for s in samples if s.track_id == track_id]
        got = [s.data for s in read.samples if s.track_id == track_id]
        assert got == written[:len(got)] and len(got) >= len(written) - 1


def test_the_signature_verifies_and_a_flipped_byte_breaks_it(tmp_path: Path) -> None:
    files, _ = export(tmp_path)
    data = files[0].read_bytes()
    facts = verify_export(data)
    assert facts.operator == "admin" and facts.unit_mac == "08:00:27:00:0C:15"
    assert [s[0] for s in facts.sources] == [1, 2, 3]
    mdat = next(b for b in read_boxes(data) if b.name == "mdat")
    flipped = bytearray(data)
    flipped[mdat.offset + mdat.header_size + 10] ^= 0x01
    with pytest.raises(VerificationError):
        verify_export(bytes(flipped))


def test_a_range_starts_at_the_key_frame_before_it(tmp_path: Path) -> None:
    files, _ = export(tmp_path, media.T0 + 0.5, media.T0 + 1.5)
    read = read_segment(files[0].read_bytes())
    video = [s for s in read.samples if s.track_id == 1]
    assert video[0].sync and video[0].decode_time == 0
    assert 0.9 < sum(s.duration for s in video) / 720_000 < 2.0


@pytest.mark.slow
def test_ffprobe_reads_the_streams(tmp_path: Path) -> None:
    files, _ = export(tmp_path, location="52.52,13.405 Berlin")
    run = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "compact",
                          str(files[0])], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert "codec_name=h264" in run.stdout and "codec_name=aac" in run.stdout


def test_file_format_mp4_is_the_same_media_without_the_eff_meta(tmp_path: Path) -> None:
    rows, _ = recorded(tmp_path / "media")
    [file] = write(tmp_path, rows, signed=False)
    data = file.read_bytes()
    assert [b.name for b in read_boxes(data)][:2] == ["ftyp", "moov"]
    assert "meta" not in [b.name for b in read_boxes(data)]
    signed = read_segment(export(tmp_path / "signed")[0][0].read_bytes())
    assert [s.data for s in read_segment(data).samples] == [s.data for s in signed.samples]
