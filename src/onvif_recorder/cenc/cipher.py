"""The ``cenc`` scheme's sample cipher: AES-128-CTR (ISO/IEC 23001-7 §10.1).

An 8-byte per-sample IV is the upper half of the initial counter block, the lower half
is a block counter starting at 0. All protected ranges of one sample form one key
stream: one CTR context is fed the ranges in order, and the sample is joined once from
clear and encrypted pieces (this runs for every sample; ``bench/encryption.py``). CTR is
its own inverse: ``apply`` both encrypts and decrypts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from onvif_recorder.cenc.subsamples import Subsample, protected_ranges


def counter_block(iv: bytes) -> bytes:
    """The initial counter block for an 8- or 16-byte IV."""
    if len(iv) == 8:
        return iv + bytes(8)
    if len(iv) == 16:
        return iv
    raise ValueError("a cenc IV is 8 or 16 bytes")


def apply(key: bytes, iv: bytes, sample: bytes, subsamples: Sequence[Subsample]) -> bytes:
    """Encrypt (or decrypt) the protected ranges of ``sample``."""
    ranges = list(protected_ranges(list(subsamples), len(sample)))
    if not ranges:
        return sample
    context = Cipher(algorithms.AES(key), modes.CTR(counter_block(iv))).encryptor()
    view = memoryview(sample)
    parts: list[bytes | memoryview] = []
    position = 0
    for start, end in ranges:
        parts += [view[position:start], context.update(view[start:end])]
        position = end
    parts.append(view[position:])
    return b"".join(parts)
