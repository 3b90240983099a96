"""The operator's web page: sessions, pages, live state, actions and playback."""
