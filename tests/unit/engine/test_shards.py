"""Which worker process records what (``engine.workers.shards``): pure placement rules."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    RecordingJob,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    Receiver,
    ReceiverConfiguration,
    ReceiverMode,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import Recording, RecordingConfiguration, RecordingSource
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.engine.workers.shards import ShardMap, components, shard_state
from onvif_recorder.service.state import RecorderState


def state(recordings: list[str], receivers: list[str],
          jobs: Mapping[str, tuple[str, tuple[str, ...]]]) -> RecorderState:
    """``jobs``: job token → (recording, receivers it names)."""
    result = RecorderState()
    source = RecordingSource("id", "name", "", "", "")
    result.recordings = {t: Recording(t, RecordingConfiguration(source, "", XsDuration.parse(
        "PT0S"))) for t in recordings}
    result.receivers = {t: Receiver(t, ReceiverConfiguration(
        ReceiverMode.AUTO_CONNECT, "rtsp://camera/x", StreamType.RTP_UNICAST,
        Transport(TransportProtocol.RTSP))) for t in receivers}
    result.jobs = {t: RecordingJob(t, RecordingJobConfiguration(
        recording, JobMode.ACTIVE, 1, tuple(JobSource(SourceReference(r)) for r in names)))
        for t, (recording, names) in jobs.items()}
    return result


COMPONENTS = [
    # recordings, receivers, jobs, expected components (as sorted token tuples)
    (["R1", "R2"], ["C1", "C2"], {"J1": ("R1", ("C1",)), "J2": ("R2", ("C2",))},
     [("C1", "R1"), ("C2", "R2")]),
    (["R1", "R2"], ["C1"], {"J1": ("R1", ("C1",)), "J2": ("R2", ("C1",))},
     [("C1", "R1", "R2")]),
    (["R1", "R2"], ["C1", "C2"], {"J1": ("R1", ("C1", "C2")), "J2": ("R2", ("C2",))},
     [("C1", "C2", "R1", "R2")]),
    (["R1"], ["C1", "C9"], {"J1": ("R1", ("C1",))}, [("C1", "R1"), ("C9",)]),
    (["R1", "R2"], [], {"J1": ("R1", ()), "J2": ("R1", ())}, [("R1",), ("R2",)]),
]


@pytest.mark.parametrize(("recordings", "receivers", "jobs", "expected"), COMPONENTS)
def test_components_join_recordings_and_the_receivers_their_jobs_name(
        recordings: list[str], receivers: list[str],
        jobs: dict[str, tuple[str, tuple[str, ...]]], expected: list[tuple[str, ...]]) -> None:
    found = sorted(tuple(sorted(token for _, token in group))
                   for group in components(state(recordings, receivers, jobs)))
    assert found == sorted(expected)


def test_new_components_go_to_the_least_loaded_worker() -> None:
    placed = ShardMap(2).place(state(
        ["R1", "R2", "R3"], ["C1", "C2", "C3"],
        {f"J{n}": (f"R{n}", (f"C{n}",)) for n in (1, 2, 3)}))
    sizes = sorted(len(shard.recordings) for shard in placed.shards)
    assert sizes == [1, 2]
    for shard in placed.shards:  # each recording with its own receiver
        assert {r.replace("R", "C") for r in shard.recordings} == set(shard.receivers)
    assert placed.moves == {}


def test_placement_is_sticky_when_recordings_come_and_go() -> None:
    shards = ShardMap(2)
    jobs = {f"J{n}": (f"R{n}", (f"C{n}",)) for n in (1, 2, 3, 4)}
    first = shards.place(state(["R1", "R2", "R3", "R4"], ["C1", "C2", "C3", "C4"], jobs))
    owner = {r: n for n, shard in enumerate(first.shards) for r in shard.recordings}
    del jobs["J2"]
    second = shards.place(state(["R1", "R3", "R4"], ["C1", "C3", "C4"], jobs))
    assert {r: n for n, shard in enumerate(second.shards) for r in shard.recordings} == {
        r: n for r, n in owner.items() if r != "R2"}
    jobs["J5"] = ("R5", ("C5",))
    third = shards.place(state(["R1", "R3", "R4", "R5"], ["C1", "C3", "C4", "C5"], jobs))
    assert "R5" in third.shards[owner["R2"]].recordings  # the freed worker is the emptier
    assert third.moves == {}


def test_joined_components_move_to_where_most_of_them_are() -> None:
    shards = ShardMap(2)
    jobs = {"J1": ("R1", ("C1",)), "J2": ("R2", ("C2",)), "J3": ("R3", ("C1",))}
    first = shards.place(state(["R1", "R2", "R3"], ["C1", "C2"], jobs))
    big = next(n for n, s in enumerate(first.shards) if "R1" in s.recordings)
    assert first.shards[big].recordings == {"R1", "R3"}
    jobs["J4"] = ("R2", ("C1",))  # R2 now also records C1: one component
    second = shards.place(state(["R1", "R2", "R3"], ["C1", "C2"], jobs))
    assert second.shards[big].recordings == {"R1", "R2", "R3"}
    assert second.moves == {("recording", "R2"): (1 - big, big),
                            ("receiver", "C2"): (1 - big, big)}


def test_a_worker_is_shown_its_recordings_jobs_and_receivers_only() -> None:
    whole = state(["R1", "R2"], ["C1", "C2"],
                  {"J1": ("R1", ("C1",)), "J2": ("R2", ("C2",))})
    whole.users = {"admin": User("admin", "x", UserLevel.ADMINISTRATOR)}
    placed = ShardMap(2).place(whole)
    shard = next(s for s in placed.shards if "R1" in s.recordings)
    shown = shard_state(whole, shard)
    assert (set(shown.recordings), set(shown.jobs), set(shown.receivers)) == (
        {"R1"}, {"J1"}, {"C1"})
    assert shown.users == {}
    held = shard_state(whole, shard, {("recording", "R1")})
    assert (set(held.recordings), set(held.jobs), set(held.receivers)) == (set(), set(), {"C1"})


def test_there_is_at_least_one_worker() -> None:
    with pytest.raises(ValueError):
        ShardMap(0)
