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
        blocks = _pattern_blocks(start, end, pattern)
        if not blocks:
            continue
        cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
        context = cipher.encryptor() if encrypting else cipher.decryptor()
        done = context.update(b"".join(out[b:b + BLOCK] for b in blocks))
        for index, block in enumerate(blocks):
            out[block:block + BLOCK] = done[index * BLOCK:(index + 1) * BLOCK]
    return bytes(out)


def _pattern_blocks(start: int, end: int, pattern: Pattern) -> list[int]:
    """Offsets of the blocks the pattern encrypts in ``[start, end)``."""
    whole = (end - start) // BLOCK
    crypt, skip = pattern
    if crypt == 0 and skip == 0:
        return [start + i * BLOCK for i in range(whole)]
    period = crypt + skip
    return [start + i * BLOCK for i in range(whole) if i % period < crypt]
