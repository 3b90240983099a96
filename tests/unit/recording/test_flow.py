"""FlowTracker (the job-state MediaFlow) on a fake clock: Active while samples are written
within the timeout, Idle after, the error strings and when they are cleared."""

from __future__ import annotations

from onvif_recorder.recording.flow import FlowTracker

JOB, SOURCE = "Job_1", "Receiver_1"
FEED = (JOB, SOURCE)
VIDEO, AUDIO, META = (*FEED, "VIDEO001"), (*FEED, "AUDIO001"), (*FEED, "META001")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tracker() -> tuple[FlowTracker, Clock, list[int]]:
    clock, changes = Clock(), [0]

    def changed() -> None:
        changes[0] += 1

    return FlowTracker(changed, timeout=3.0, clock=clock), clock, changes


def playing(flow: FlowTracker) -> None:
    flow.session_started(FEED, ["VIDEO001", "AUDIO001", "META001"], ["META001"], [])


def test_tracks_turn_active_together_and_idle_after_the_timeout() -> None:
    flow, clock, changes = tracker()
    playing(flow)
    flow.written(VIDEO)
    assert not flow.flowing(*VIDEO)  # audio has not written yet: not settled
    flow.written(AUDIO)
    assert all(flow.flowing(*key) for key in (VIDEO, AUDIO, META))  # sparse META too
    active_changes = changes[0]
    clock.now += 2.9
    flow.refresh()
    assert flow.flowing(*VIDEO) and changes[0] == active_changes  # within the window
    clock.now += 0.2
    flow.refresh()
    assert not any(flow.flowing(*key) for key in (VIDEO, AUDIO, META))
    assert changes[0] == active_changes + 1  # one change for the transition to Idle


def test_a_missing_track_stays_idle_after_settling() -> None:
    flow, clock, _ = tracker()
    playing(flow)
    flow.written(VIDEO)
    clock.now += flow.settle
    flow.written(VIDEO)
    assert flow.flowing(*VIDEO) and not flow.flowing(*AUDIO)  # PartiallyActive


def test_source_lost_error_until_the_next_session() -> None:
    flow, _, changes = tracker()
    playing(flow)
    flow.written(VIDEO)
    flow.written(AUDIO)
    before = changes[0]
    flow.session_ended(FEED, "connection reset", ["AUDIO001", "VIDEO001"])
    assert flow.errors() == {AUDIO: "Source lost: connection reset",
                             VIDEO: "Source lost: connection reset"}
    assert not flow.flowing(*VIDEO) and changes[0] == before + 1
    playing(flow)
    assert flow.errors() == {}


def test_orderly_end_is_idle_without_error() -> None:
    flow, _, _ = tracker()
    playing(flow)
    flow.written(VIDEO)
    flow.session_ended(FEED, None, ["VIDEO001"])
    assert flow.errors() == {} and not flow.flowing(*VIDEO)


def test_incompatible_stream_survives_restarts_until_forgotten() -> None:
    flow, _, changes = tracker()
    playing(flow)
    before = changes[0]
    flow.set_error(VIDEO, "Incompatible Stream")
    flow.set_error(AUDIO, "Storage error: disk full")
    flow.set_error(AUDIO, "Storage error: disk full")  # the same error: no new change
    assert changes[0] == before + 2
    flow.clear_errors(FEED)  # the writer restarted
    assert flow.errors() == {VIDEO: "Incompatible Stream"}
    playing(flow)  # a new session does not clear it either
    assert flow.errors() == {VIDEO: "Incompatible Stream"}
    flow.forget(FEED)  # job idle or deleted
    assert flow.errors() == {} and not flow.flowing(*VIDEO)
