"""``RemoteFlow``: the front end's MediaFlow over what worker processes report."""

from __future__ import annotations

import asyncio

import pytest

from onvif_recorder.engine.workers import remote_flow
from onvif_recorder.engine.workers.messages import FlowChanged
from onvif_recorder.engine.workers.remote_flow import LOST_MESSAGE, RemoteFlow

A = ("RecordingJob_1", "Receiver_1", "VIDEO001")
B = ("RecordingJob_2", "Receiver_2", "VIDEO001")


def test_the_union_of_every_worker_answers_and_changes_are_told_once() -> None:
    told: list[int] = []
    flow = RemoteFlow(lambda: told.append(1))
    flow.update(0, FlowChanged(frozenset({A}), {}))
    flow.update(1, FlowChanged(frozenset(), {B: "Source lost: refused"}))
    assert flow.flowing(*A) and not flow.flowing(*B)
    assert flow.errors() == {B: "Source lost: refused"}
    flow.update(0, FlowChanged(frozenset({A}), {}))  # the same again: nothing to tell
    assert len(told) == 2


def test_a_dead_workers_tracks_are_errors_until_reported_again() -> None:
    failing = ("RecordingJob_3", "Receiver_3", "VIDEO001")
    flow = RemoteFlow()
    flow.update(0, FlowChanged(frozenset({A}), {failing: "Source lost: refused"}))
    flow.update(1, FlowChanged(frozenset({B}), {}))
    flow.worker_lost(0)
    assert not flow.flowing(*A) and flow.flowing(*B)
    assert flow.errors() == {A: LOST_MESSAGE, failing: LOST_MESSAGE}
    flow.update(0, FlowChanged(frozenset(), {failing: "Source lost: refused"}))
    assert flow.errors() == {A: LOST_MESSAGE, failing: "Source lost: refused"}
    flow.update(0, FlowChanged(frozenset({A}), {}))  # the replacement records A again
    assert flow.flowing(*A) and flow.errors() == {}


def test_a_lost_track_nobody_records_again_stops_being_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_flow, "LOST_FOR", 0.01)

    async def scenario() -> None:
        flow = RemoteFlow()
        flow.update(0, FlowChanged(frozenset({A}), {}))
        flow.worker_lost(0)
        flow.replacement_started()
        assert flow.errors() == {A: LOST_MESSAGE}
        await asyncio.sleep(0.05)
        assert flow.errors() == {}

    asyncio.run(scenario())
