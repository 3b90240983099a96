"""Dispatch tables, one module per ONVIF service."""
