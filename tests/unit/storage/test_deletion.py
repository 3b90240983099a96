"""What DeleteRecording/DeleteTrack leave to delete, from configuration states (pure)."""

from __future__ import annotations

from onvif_recorder.storage.deletion import DataDeletion, changes, leftovers

AV = frozenset({"VIDEO001", "AUDIO001"})


def test_a_deleted_recording_and_a_deleted_track() -> None:
    before = {"R1": AV, "R2": AV}
    after = {"R2": frozenset({"VIDEO001"})}
    assert changes(before, after) == [DataDeletion("R1"),
                                      DataDeletion("R2", frozenset({"AUDIO001"}))]


def test_new_tracks_and_recordings_delete_nothing() -> None:
    assert changes({"R1": AV}, {"R1": AV | {"META001"}, "R2": AV}) == []


def test_leftovers_of_a_crash_or_an_older_recorder() -> None:
    wanted = {"R1": frozenset({"VIDEO001"}), "R3": AV}
    recorded = {"R1": {"VIDEO001", "AUDIO001"}, "R2": {"VIDEO001"}, "R3": set(AV)}
    assert leftovers(wanted, recorded, ["R1", "R4"]) == [
        DataDeletion("R2"), DataDeletion("R4"), DataDeletion("R1", frozenset({"AUDIO001"}))]
