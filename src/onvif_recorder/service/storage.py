"""Storage configurations: ONVIF Core "Storage Configuration" (GetStorageConfigurations,
CreateStorageConfiguration, GetStorageConfiguration, SetStorageConfiguration,
DeleteStorageConfiguration).

Credentials are stored because the recording engine needs them to reach the storage, but
Core forbids returning them; the SOAP mapping leaves ``Password`` out of every answer.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from onvif_recorder.domain import errors
from onvif_recorder.domain.storage import (
    StorageConfiguration,
    StorageConfigurationData,
)
from onvif_recorder.service.state import Changes, StateHolder
from onvif_recorder.settings import Limits


class StorageService:
    def __init__(self, holder: StateHolder, limits: Limits) -> None:
        self.holder = holder
        self.limits = limits

    def storage_configurations(self) -> list[StorageConfiguration]:
        return list(self.holder.state.storage.values())

    def storage_configuration(self, token: str) -> StorageConfiguration:
        found = self.holder.state.storage.get(token)
        if found is None:
            raise errors.NoConfig(f"no storage configuration {token!r}")
        return found

    def create(self, data: StorageConfigurationData) -> StorageConfiguration:
        limit = self.limits.max_storage_configurations
        if len(self.holder.state.storage) >= limit:
            raise errors.MaxStorageConfigurations(f"the device holds {limit} configurations")
        # Core defines no fault for invalid data on create: the generic InvalidArgVal.
        check_data(data, errors.InvalidArgVal)
        changes = Changes()
        token = self.holder.next_token("storage", changes, "Storage_")
        configuration = StorageConfiguration(token, data)
        changes.storage.append(configuration)
        self.holder.commit(changes)
        return configuration

    def set(self, configuration: StorageConfiguration) -> StorageConfiguration:
        old = self.storage_configuration(configuration.token)
        check_data(configuration.data, errors.ConfigModify)
        updated = replace(configuration, data=_keep_password(old.data, configuration.data))
        self.holder.commit(Changes(storage=[updated]))
        return updated

    def delete(self, token: str) -> StorageConfiguration:
        configuration = self.storage_configuration(token)
        users = [
            r.token
            for r in self.holder.state.recordings.values()
            if r.configuration.target is not None and r.configuration.target.storage == token
        ]
        if users:
            # Core defines no fault for a configuration still in use: the generic one.
            raise errors.OperationProhibited(
                f"storage configuration {token!r} is the target of {users}"
            )
        self.holder.commit(Changes(deleted_storage=[token]))
        return configuration


def check_data(data: StorageConfigurationData, error: type[errors.OnvifError]) -> None:
    if not data.type.strip():
        raise error("the storage type is empty")
    if data.is_object_storage:
        uri = urlsplit(data.storage_uri or "")
        if uri.scheme not in ("http", "https") or not uri.netloc:
            raise error(f"{data.type} needs an http(s) StorageUri")


def _keep_password(
    old: StorageConfigurationData, new: StorageConfigurationData
) -> StorageConfigurationData:
    """GetStorageConfiguration never returns the password, so a client that reads, edits
    and writes back a configuration sends none: keep the stored one for the same user.
    An explicit Password (even empty) replaces it."""
    if new.user is None or new.user.password is not None or old.user is None:
        return new
    if new.user.username != old.user.username:
        return new
    token = new.user.token if new.user.token is not None else old.user.token
    return replace(new, user=replace(new.user, password=old.user.password, token=token))
