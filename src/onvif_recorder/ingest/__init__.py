"""Ingest without I/O: what a receiver delivers, which media it sets up, how it retries.

``items`` (sessions and samples), ``media`` (SDP media selection and the per-session
path from packets to samples), ``errors`` (failures that end a connection attempt),
``backoff`` (reconnect and retry delays), ``transport_plan`` (from a MediaUri and a
StreamSetup to the connection and RTP delivery to use), ``tls`` (which camera
certificates are accepted). The asyncio shell is ``engine``.
"""
