"""Sans-IO RTP/RTCP: packets, sequencing, timing, reports and depacketizers."""
