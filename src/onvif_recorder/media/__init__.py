"""The codec table: one definition per codec the recorder knows (pure, no I/O).

Each module here (``h264``, ``h265``, ``aac``, ``g711``, ``metadata``) is one codec: how an
SDP announces it, which depacketizer reads it, the sample entry type and RFC 6381
``codecs=`` string it is stored with, its sample entry writer, how its access units
become samples and what their durations are. ``table`` lists them and answers lookups
by encoding name and by depacketizer config. The layers below (``codecs`` bitstream
facts, ``rtp``, ``mp4``) never import this package; the muxer reaches a codec only
through ``mp4.model.Codec``.
"""
