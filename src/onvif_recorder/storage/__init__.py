"""Where segments go: Annex B object keys and per-object metadata (pure), and targets."""
