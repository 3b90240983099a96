"""Ingest without I/O: what a receiver delivers, which media it sets up, how it retries.

``items`` (sessions and samples), ``media`` (SDP media selection and the per-session
path from packets to samples), ``errors`` (failures that end a connection attempt),
``backoff`` (reconnect and retry delays). The asyncio shell is ``engine``.
"""
