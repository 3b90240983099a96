"""tt:PropertyOperation (Core "Property events"), on its own so that an event type defined
outside ``service.events`` (``service.async_operation_events``) can name it without the
two modules importing each other."""

from __future__ import annotations

from enum import Enum


class PropertyOperation(Enum):
    INITIALIZED = "Initialized"
    CHANGED = "Changed"
    DELETED = "Deleted"
