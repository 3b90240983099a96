"""Storage configurations (ONVIF Core, "Storage configuration"): where recordings may go."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class StorageType(Enum):
    NFS = "NFS"
    CIFS = "CIFS"
    CDMI = "CDMI"
    FTP = "FTP"
    OBJECT_STORAGE_S3 = "ObjectStorageS3"
    OBJECT_STORAGE_AZURE = "ObjectStorageAzure"


OBJECT_STORAGE_TYPES = frozenset({StorageType.OBJECT_STORAGE_S3.value,
                                  StorageType.OBJECT_STORAGE_AZURE.value})

@dataclass(frozen=True, slots=True)
class UserCredential:
    """Credentials of a storage: stored for the uploader, never returned to clients."""

    username: str
    password: str | None = None
    token: str | None = None  # Core: session token for temporary (STS) credentials


@dataclass(frozen=True, slots=True)
class ConfigurationRenewal:
    renewal_endpoint: str
    authorization_server: str
    cert_path_validation_policy_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StorageConfigurationData:
    type: str  # tds:StorageType values or a vendor string, kept as written
    local_path: str | None = None
    storage_uri: str | None = None
    user: UserCredential | None = None
    region: str | None = None
    cert_path_validation_policy_id: str | None = None
    configuration_renewal: ConfigurationRenewal | None = None

    @property
    def is_object_storage(self) -> bool:
        """S3 or Azure Blob: the StorageUri is the HTTP(S) endpoint of a bucket or container
        (Core, "Storage Configuration - Authentication"), and recordings upload there
        (RC Annex B)."""
        return self.type in OBJECT_STORAGE_TYPES

    @property
    def effective_region(self) -> str:
        """Core: for ObjectStorageS3 the Region defaults to us-east-1."""
        return self.region or "us-east-1"


@dataclass(frozen=True, slots=True)
class StorageConfiguration:
    token: str
    data: StorageConfigurationData
