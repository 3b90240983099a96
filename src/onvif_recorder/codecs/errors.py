"""The one error type raised by every bitstream parser in this package."""

from __future__ import annotations


class BitstreamError(ValueError):
    """A codec bitstream (SPS, VPS, AudioSpecificConfig, NAL stream) is malformed.

    It inherits from ``ValueError`` so that a caller's ``except ValueError`` still works,
    the way PyAV's ``InvalidDataError`` does.
    """


class TruncatedBitstream(BitstreamError):
    """The data ended before the syntax did."""
