"""StorageUri of ObjectStorageS3 (Core "Storage Configuration"): path or subdomain bucket."""

from __future__ import annotations

import pytest

from onvif_recorder.storage.object_store import UploadError
from onvif_recorder.storage.s3 import BucketLocation, parse_bucket_uri


@pytest.mark.parametrize(("uri", "expected"), [
    ("http://127.0.0.1:9000/rec", BucketLocation("http://127.0.0.1:9000", "rec", "path")),
    ("https://s3.example.com/rec/cams/a",
     BucketLocation("https://s3.example.com", "rec", "path", "cams/a")),
    ("https://rec.s3.eu-west-1.amazonaws.com",
     BucketLocation("https://s3.eu-west-1.amazonaws.com", "rec", "virtual")),
    ("https://rec.s3.amazonaws.com/", BucketLocation("https://s3.amazonaws.com", "rec",
                                                     "virtual")),
])
def test_bucket_from_storage_uri(uri: str, expected: BucketLocation) -> None:
    assert parse_bucket_uri(uri) == expected


@pytest.mark.parametrize("uri", ["", "ftp://host/rec", "https://localhost", "rec"])
def test_storage_uri_without_bucket_is_refused(uri: str) -> None:
    with pytest.raises(UploadError):
        parse_bucket_uri(uri)
