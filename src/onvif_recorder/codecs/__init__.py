"""Bitstream facts the recorder needs from H.264, H.265 and AAC (pure, no I/O)."""
