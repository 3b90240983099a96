"""Common Encryption (ISO/IEC 23001-7) as RC Annex B.8 uses it: sans-IO.

``keys`` (content keys and KIDs), ``subsamples`` (which bytes of a sample stay clear),
``cipher`` (the AES-CTR ``cenc`` scheme), ``boxes`` (``sinf``/``tenc``, ``senc``/``saiz``/
``saio``, the W3C and ONVIF ``pssh``), ``protector`` (one segment's keys and IVs applied
to fragments) and ``reader`` (the inverse, for ``onvif-recorder decrypt`` and tests).
"""
