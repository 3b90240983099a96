"""Persistence adapter: SQLite (WAL, explicit transactions, versioned schema)."""
