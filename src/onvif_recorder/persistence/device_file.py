"""The device's own settings as one JSON document, ``DATA_DIR/device.json``.

A file beside the database rather than a table in it: the identity (endpoint reference,
serial number) must outlive a hard factory default, which removes the database, and the
document needs no schema migration (``persistence.codec`` reads missing fields as their
defaults). Written to a temporary file, fsynced and renamed: a crash leaves the old
document or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from pathlib import Path

from onvif_recorder.domain.device import DeviceConfig, DeviceIdentity
from onvif_recorder.persistence.codec import from_json, to_json

FILE_NAME = "device.json"


def new_identity() -> DeviceIdentity:
    return DeviceIdentity(
        endpoint_reference=uuid.uuid4().urn,
        serial_number=secrets.token_hex(8).upper(),
    )


class DeviceFile:
    """Implements ``service.device.DeviceConfigStore``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME

    def load(self) -> DeviceConfig:
        """The stored settings; on the first run a new identity, stored at once."""
        if self.path.exists():
            return from_json(DeviceConfig, json.loads(self.path.read_text(encoding="utf-8")))
        config = DeviceConfig(new_identity())
        self.save(config)
        return config

    def save(self, config: DeviceConfig) -> None:
        temporary = self.path.with_suffix(".tmp")
        data = json.dumps(to_json(config), indent=1).encode()
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
