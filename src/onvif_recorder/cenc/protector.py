"""One segment's encryption: which key protects which track, applied to fragments.

RC B.8: every segment is encrypted with the keys current when it opens (a
reconfiguration or a key rotation takes effect at the next segment), its ``moov`` carries
the ``pssh`` boxes for those keys, and each sample gets its own IV, so each fragment's
IVs are unique. ``cenc`` IVs are 8 bytes: a random start per track and segment, counted
up per sample, so two samples never share a counter block under one key. ``cbcs`` IVs
are 16 random bytes per sample in ``senc`` rather than a constant IV (README,
"Encrypted recording", says why), its video slice headers stay clear (``codecs/``
slice header parsers) and its video pattern is 1:9.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from onvif_recorder.cenc import cbcs, cipher
from onvif_recorder.cenc.boxes import (
    SampleAuxInfo,
    SampleEncryption,
    TrackEncryptionInfo,
    sinf,
)
from onvif_recorder.cenc.keys import ContentKey
from onvif_recorder.cenc.subsamples import NalLayout, SliceHeaderSizes, Subsample, video_subsamples
from onvif_recorder.mp4.fragment import FragmentSample, TrackRun

IV_SIZE = 8
CBCS_IV_SIZE = 16
SCHEMES = {"CENC": "cenc", "CBCS": "cbcs"}
"""tt:EncryptionMode → ISO/IEC 23001-7 scheme_type this recorder writes."""

RandomSource = Callable[[int], bytes]


@dataclass(frozen=True, slots=True)
class TrackProtection:
    """How one track of one segment is encrypted."""

    scheme: str
    key: ContentKey
    layout: NalLayout | None
    """NAL unit structure for video subsample encryption; None: whole samples."""

    @property
    def pattern(self) -> cbcs.Pattern:
        return cbcs.VIDEO_PATTERN if self.layout is not None else cbcs.WHOLE_BLOCKS

    @property
    def info(self) -> TrackEncryptionInfo:
        if self.scheme == "cbcs":
            return TrackEncryptionInfo(self.scheme, self.key.kid, CBCS_IV_SIZE, *self.pattern)
        return TrackEncryptionInfo(self.scheme, self.key.kid, IV_SIZE)

    def sinf(self, original_format: str) -> bytes:
        return sinf(original_format, self.info)


@dataclass(slots=True)
class SegmentProtection:
    """The keys of one segment by track_ID, the ``pssh`` boxes of its ``moov``, and the
    IV counters of its tracks."""

    tracks: Mapping[int, TrackProtection]
    pssh: tuple[bytes, ...]
    random: RandomSource = os.urandom
    _next_iv: dict[int, int] = field(default_factory=dict)
    _slices: dict[int, SliceHeaderSizes] = field(default_factory=dict)

    def protect(self, run: TrackRun) -> TrackRun:
        """``run`` with its samples encrypted and their ``senc`` entries attached."""
        track = self.tracks.get(run.track_id)
        if track is None:
            return run
        if track.scheme == "cbcs":
            return self._protect_cbcs(run, track)
        counter = self._next_iv.get(run.track_id)
        if counter is None:
            counter = int.from_bytes(self.random(IV_SIZE), "big")
        samples: list[FragmentSample] = []
        entries: list[SampleAuxInfo] = []
        for sample in run.samples:
            iv = (counter & 0xFFFFFFFFFFFFFFFF).to_bytes(IV_SIZE, "big")
            counter += 1
            pairs = (video_subsamples(sample.data, track.layout)
                     if track.layout is not None else [])
            data = cipher.apply(track.key.key, iv, sample.data, pairs)
            samples.append(FragmentSample(data, sample.duration, sample.sync,
                                          sample.composition_offset))
            entries.append(SampleAuxInfo(iv, tuple(pairs)))
        self._next_iv[run.track_id] = counter
        encryption = SampleEncryption(tuple(entries), track.layout is not None)
        return replace(run, samples=samples, encryption=encryption)

    def _protect_cbcs(self, run: TrackRun, track: TrackProtection) -> TrackRun:
        samples: list[FragmentSample] = []
        entries: list[SampleAuxInfo] = []
        for sample in run.samples:
            iv = self.random(CBCS_IV_SIZE)
            pairs = self._cbcs_subsamples(run.track_id, track.layout, sample.data)
            data = cbcs.encrypt(track.key.key, iv, sample.data, pairs, track.pattern)
            samples.append(FragmentSample(data, sample.duration, sample.sync,
                                          sample.composition_offset))
            entries.append(SampleAuxInfo(iv, tuple(pairs)))
        encryption = SampleEncryption(tuple(entries), track.layout is not None)
        return replace(run, samples=samples, encryption=encryption)

    def _cbcs_subsamples(self, track_id: int, layout: NalLayout | None,
                         data: bytes) -> list[Subsample]:
        """Video: slice headers clear (23001-7 §10.4.1); other tracks: no subsamples."""
        if layout is None:
            return []
        slices = self._slices.get(track_id)
        if slices is None:
            slices = self._slices[track_id] = layout.slice_header_sizes()
        return video_subsamples(data, layout, slices.clear_size)


def kids_in_use(tracks: Mapping[int, TrackProtection]) -> list[bytes]:
    return list(dict.fromkeys(t.key.kid for t in tracks.values()))
