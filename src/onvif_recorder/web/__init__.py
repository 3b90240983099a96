"""The operator's web page and the HTTP API for browsers: sessions, pages, live state,
actions and playback of recordings (``web.playback``)."""
