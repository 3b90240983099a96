"""The pure rules of export: request checks with the faults RC §5.21 names, file names,
progress, RelativePath containment and the EFF box fields."""

from __future__ import annotations

import struct

import pytest

from onvif_recorder.domain.errors import BadConfiguration, BadDuration
from onvif_recorder.domain.export import InvalidStorage, StorageDestination, safe_relative_path
from onvif_recorder.domain.storage import StorageConfiguration, StorageConfigurationData
from onvif_recorder.mp4.export_boxes import cstb, filetime, loci
from onvif_recorder.service.async_operation_events import progress_text
from onvif_recorder.service.exports import ExportRequest, check_request, file_name
from onvif_recorder.service.search.scope import SearchScope
from onvif_recorder.service.state import RecorderState


def state() -> RecorderState:
    found = RecorderState()
    found.storage["nfs"] = StorageConfiguration("nfs", StorageConfigurationData(
        "NFS", local_path="/mnt/evidence"))
    found.storage["ftp"] = StorageConfiguration("ftp", StorageConfigurationData(
        "FTP", storage_uri="ftp://192.0.2.1/"))
    return found


def request(storage: str = "nfs", fmt: str = "ONVIF", start: float | None = None,
            end: float | None = None, path: str = "") -> ExportRequest:
    return ExportRequest(start, end, SearchScope(), fmt, StorageDestination(storage, path))


def test_checks_give_the_named_faults() -> None:
    assert check_request(request(), state()).token == "nfs"
    with pytest.raises(BadConfiguration):
        check_request(request(fmt="AVI"), state())
    with pytest.raises(BadDuration):
        check_request(request(start=10.0, end=5.0), state())
    for bad in (request(storage="none"), request(storage="ftp"), request(path="a/../../x")):
        with pytest.raises(InvalidStorage):
            check_request(bad, state())


def test_relative_paths_stay_inside_the_storage() -> None:
    assert safe_relative_path("cases//7/./") == "cases/7"
    for bad in ("/etc", "..", "a/../..", "a\\..\\b", "a\nb"):
        with pytest.raises(ValueError):
            safe_relative_path(bad)


def test_file_names_and_progress_text() -> None:
    assert file_name("Recording_1", 1_667_920_103.547) == "Recording_1-20221108T150823Z.mp4"
    assert [progress_text(v) for v in (0.0, 0.25, 1.0, 1.5, -1)] == ["0", "0.25", "1", "1", "0"]


def test_cstb_counts_100ns_since_1601_and_loci_holds_the_coordinates() -> None:
    assert filetime(0.0) == 116_444_736_000_000_000  # 1970-01-01 as a Windows FILETIME
    assert cstb(1, 0.0)[8:] == struct.pack(">IIQ", 1, 1, 116_444_736_000_000_000)
    box = loci("52.5,-13.25 gate")
    payload = box[12:]  # after the FullBox header
    name_end = payload.index(b"\0", 2)
    assert payload[2:name_end] == b"52.5,-13.25 gate" and payload[name_end + 1] == 1
    longitude, latitude = struct.unpack_from(">ii", payload, name_end + 2)
    assert (longitude / 65536, latitude / 65536) == (-13.25, 52.5)
