"""Golden box dump of an encrypted MP4 segment (RC B.8): ``encv``/``enca`` with ``sinf``
(``frma``, ``schm``, ``tenc``), the W3C ``pssh``, and ``saiz``/``saio``/``senc`` per
``traf``. IVs come from a fixed random source so the bytes are reproducible; the
offsets in ``saio`` are checked against the bytes in test_boxes.py."""

from __future__ import annotations

from onvif_recorder.cenc.policy import EncryptionPolicy, EntryPolicy, StaticKey
from onvif_recorder.mp4.init_segment import Brand
from onvif_recorder.mp4.inspect import dump_bytes
from onvif_recorder.mp4.segmenter import SegmenterConfig
from tests.unit.mp4.golden import assert_golden
from tests.unit.mp4.test_encrypted_decode import KEY, av_streams
from tests.unit.mp4.test_segmenter import record


def test_cenc_mp4_segment_golden() -> None:
    tracks, samples = av_streams()
    policy = EncryptionPolicy([EntryPolicy("CENC", StaticKey(KEY))],
                              random=lambda size: bytes(range(size)))
    config = SegmenterConfig(format=Brand.MP4, segment_duration=10.0, encryption=policy)
    (span,) = record(tracks[:2], samples[:30], config)
    (segment,) = span.segments
    assert_golden("cenc_mp4_segment", dump_bytes(bytes(segment.data), max_samples=2))


def test_cbcs_mp4_segment_golden() -> None:
    """``cbcs``: ``tenc`` version 1 (1:9 for video, 0:0 for audio, 16-byte per-sample
    IVs), ``senc`` with the slice headers in the clear bytes of each subsample."""
    tracks, samples = av_streams()
    policy = EncryptionPolicy([EntryPolicy("CBCS", StaticKey(KEY))],
                              random=lambda size: bytes(range(size)))
    config = SegmenterConfig(format=Brand.MP4, segment_duration=10.0, encryption=policy)
    (span,) = record(tracks[:2], samples[:30], config)
    (segment,) = span.segments
    assert_golden("cbcs_mp4_segment", dump_bytes(bytes(segment.data), max_samples=2))
