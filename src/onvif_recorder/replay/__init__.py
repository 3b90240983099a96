"""Replay, sans-IO: what DESCRIBE answers for a recording (``media``), which recorded
samples a PLAY sends and with which ONVIF extension bits (``playback`` forward,
``reverse`` for Scale < 0)."""
