"""The recorder's HTTP API for browsers: playback of recordings (``web.playback``)."""
