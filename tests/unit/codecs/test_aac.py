"""AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.codecs.aac import (
    SAMPLING_FREQUENCIES,
    AudioSpecificConfig,
    build_audio_specific_config,
    parse_audio_specific_config,
)
from onvif_recorder.codecs.errors import BitstreamError


@pytest.mark.parametrize(("hex_config", "rate", "channels"), [
    ("1408", 16000, 1),  # GStreamer voaacenc 16 kHz mono (peers.md §1 /av mount)
    ("1210", 44100, 2),
    ("1190", 48000, 2),
    ("1588", 8000, 1),  # Hikvision/Axis 8 kHz mono AAC-LC
])
def test_known_configs(hex_config: str, rate: int, channels: int) -> None:
    config = parse_audio_specific_config(bytes.fromhex(hex_config))
    assert (config.object_type, config.sampling_frequency) == (2, rate)
    assert config.channel_configuration == channels
    assert config.frame_length == 1024
    assert config.codec_string == "mp4a.40.2"
    assert build_audio_specific_config(config).hex() == hex_config


configs = st.builds(
    AudioSpecificConfig,
    object_type=st.sampled_from([1, 2, 4, 5, 29, 42]),
    sampling_frequency=st.one_of(st.sampled_from(SAMPLING_FREQUENCIES),
                                 st.integers(1, (1 << 24) - 1)),
    channel_configuration=st.integers(0, 7),
    frame_length=st.sampled_from([960, 1024]),
)


@given(configs)
def test_build_parse_round_trip(config: AudioSpecificConfig) -> None:
    parsed = parse_audio_specific_config(build_audio_specific_config(config))
    if config.object_type not in (1, 2, 4):
        parsed = AudioSpecificConfig(parsed.object_type, parsed.sampling_frequency,
                                     parsed.channel_configuration, config.frame_length)
    assert parsed == config


def test_reserved_frequency_index_is_refused() -> None:
    with pytest.raises(BitstreamError, match="reserved sampling frequency index"):
        parse_audio_specific_config(bytes([0x16, 0x88]))  # index 13


@given(st.binary(max_size=8))
def test_parse_raises_only_bitstream_error(data: bytes) -> None:
    with contextlib.suppress(BitstreamError):
        parse_audio_specific_config(data)
