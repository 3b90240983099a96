"""The ``cbcs`` scheme's sample cipher: AES-128-CBC with a pattern (ISO/IEC 23001-7 §10.4).

In each protected range (a subsample's protected bytes, or the whole sample when there
are no subsamples) the pattern repeats from the range start: ``crypt`` 16-byte blocks
encrypted, then ``skip`` blocks clear; pattern (0, 0) encrypts every whole block (audio,
metadata: whole-block full-sample encryption, §9.7). A trailing partial block stays
clear. The encrypted blocks of one range form one CBC chain that starts from the IV
again at every range (§9.6.1). Blocks are gathered, ciphered in one call, and put back.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from onvif_recorder.cenc.subsamples import BLOCK, Subsample, protected_ranges

Pattern = tuple[int, int]
"""(crypt_byte_block, skip_byte_block)."""
VIDEO_PATTERN: Pattern = (1, 9)
"""The pattern 23001-7 §10.4.1 recommends for video, which every cbcs player expects."""
WHOLE_BLOCKS: Pattern = (0, 0)


def encrypt(key: bytes, iv: bytes, sample: bytes, subsamples: Sequence[Subsample],
            pattern: Pattern) -> bytes:
    return _apply(key, iv, sample, subsamples, pattern, encrypting=True)


def decrypt(key: bytes, iv: bytes, sample: bytes, subsamples: Sequence[Subsample],
            pattern: Pattern) -> bytes:
    return _apply(key, iv, sample, subsamples, pattern, encrypting=False)


def _apply(key: bytes, iv: bytes, sample: bytes, subsamples: Sequence[Subsample],
           pattern: Pattern, encrypting: bool) -> bytes:
    if len(iv) != BLOCK:
        raise ValueError("a cbcs IV is 16 bytes")
    out = bytearray(sample)
    for start, end in protected_ranges(list(subsamples), len(sample)):
        cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
        context = cipher.encryptor() if encrypting else cipher.decryptor()
        whole = start + (end - start) // BLOCK * BLOCK
        if pattern == WHOLE_BLOCKS:
            out[start:whole] = context.update(bytes(out[start:whole]))
        elif whole > start:
            region = out[start:whole]
            _scatter(region, context.update(_gather(region, pattern)), pattern)
            out[start:whole] = region
    return bytes(out)


def _rows(size: int, pattern: Pattern) -> tuple[int, int, int]:
    """(period, crypt run, periods whose crypt run fits whole) of a ``size``-byte range."""
    crypt, skip = pattern
    period, run = (crypt + skip) * BLOCK, crypt * BLOCK
    return period, run, (size - run) // period + 1 if size >= run else 0


def _gather(region: bytearray, pattern: Pattern) -> bytes:
    """The blocks the pattern encrypts, in order: strided copies (one per byte of a
    crypt run) rather than one Python step per block, since this runs for every slice;
    then the last, shorter crypt run."""
    period, run, rows = _rows(len(region), pattern)
    gathered = bytearray(rows * run)
    for column in range(run if rows else 0):
        gathered[column::run] = region[column:(rows - 1) * period + column + 1:period]
    return bytes(gathered) + bytes(region[rows * period:rows * period + run])


def _scatter(region: bytearray, done: bytes, pattern: Pattern) -> None:
    """Puts ``_gather``'s blocks, ciphered, back where they came from."""
    period, run, rows = _rows(len(region), pattern)
    for column in range(run if rows else 0):
        region[column:(rows - 1) * period + column + 1:period] = done[column:rows * run:run]
    tail = done[rows * run:]
    region[rows * period:rows * period + len(tail)] = tail
