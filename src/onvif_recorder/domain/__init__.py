"""Typed domain model: dataclasses, enums and errors. No I/O, no framework imports."""
