"""Sans-IO RTSP 1.0 client (RFC 2326, with RFC 7826 clarifications): bytes in, events out."""
