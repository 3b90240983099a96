"""Common Encryption (ISO/IEC 23001-7) as RC Annex B.8 uses it: sans-IO.

``keys`` (content keys and KIDs), ``subsamples`` (which bytes of a sample stay clear),
``cipher`` (the AES-CTR ``cenc`` scheme), ``boxes`` (``sinf``/``tenc``, ``senc``/``saiz``/
``saio``, the W3C ``pssh``), ``asymmetric`` (B.8.2's AsymmetricKeySystemHeaderBox, RSA-OAEP
and HPKE), ``rotation`` (recorder-generated, rotating keys), ``policy`` (a target's
entries → each segment's keys), ``protector`` (one segment's keys and IVs applied to
fragments) and ``reader`` (the inverse, for ``onvif-recorder decrypt``, in
``onvif_recorder.decrypt``).
"""
