"""Recording-job arbitration and job state: RC §5.3.3 Priority, §5.19 Table 3, Annex A."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from onvif_recorder.domain.job import (
    PROFILE_SOURCE_TYPE,
    RECEIVER_SOURCE_TYPE,
    JobMode,
    JobSource,
    JobState,
    JobTrack,
    RecordingJob,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.service.arbitration import (
    Arbitration,
    arbitrate,
    changed_jobs,
    configured_tracks,
    job_state,
)

ACTIVE, IDLE = JobMode.ACTIVE, JobMode.IDLE
ALL_TRACKS = ("VIDEO001", "AUDIO001", "META001")
PROFILE = SourceReference("Profile1", PROFILE_SOURCE_TYPE)


def make_job(
    token: str,
    priority: int,
    mode: JobMode = ACTIVE,
    tracks: tuple[str, ...] = ALL_TRACKS,
    recording: str = "Recording1",
    source: SourceReference = PROFILE,
) -> RecordingJob:
    job_tracks = tuple(JobTrack(source_tag=f"tag-{t}", destination=t) for t in tracks)
    config = RecordingJobConfiguration(
        recording_token=recording,
        mode=mode,
        priority=priority,
        sources=(JobSource(source_token=source, tracks=job_tracks),),
    )
    return RecordingJob(token=token, configuration=config)


def states(jobs: list[RecordingJob]) -> dict[str, JobState]:
    arbitration = arbitrate(jobs)
    return {job.token: job_state(job, arbitration).state for job in jobs}


def track_states(job: RecordingJob, arbitration: Arbitration) -> dict[str, JobState]:
    info = job_state(job, arbitration)
    return {t.destination: t.state for s in info.sources for t in s.tracks}


# --- RC Annex A ------------------------------------------------------------------------------


def test_annex_a_scenario_step_by_step() -> None:
    j1 = make_job("J1", 2, ACTIVE)
    j2 = make_job("J2", 4, IDLE)
    j3 = make_job("J3", 3, ACTIVE)

    # Step 1: J1 (priority 2) created Active.
    assert states([j1]) == {"J1": JobState.ACTIVE}
    # Step 2: J2 (priority 4) created Idle: an Idle job never takes a track.
    assert states([j1, j2]) == {"J1": JobState.ACTIVE, "J2": JobState.IDLE}
    # Step 3: J3 (priority 3) created Active: it takes precedence over J1.
    assert states([j1, j2, j3]) == {
        "J1": JobState.IDLE,
        "J2": JobState.IDLE,
        "J3": JobState.ACTIVE,
    }
    # Step 4: J3 deleted: J1 is the Active job with the highest priority again.
    assert states([j1, j2]) == {"J1": JobState.ACTIVE, "J2": JobState.IDLE}


def test_annex_a_track_states_and_owners() -> None:
    j1, j2, j3 = make_job("J1", 2), make_job("J2", 4, IDLE), make_job("J3", 3)
    arbitration = arbitrate([j1, j2, j3])
    for track in ALL_TRACKS:
        assert arbitration.track_owner("Recording1", track) == "J3"
    assert arbitration.job_tracks("J3") == {("Recording1", t) for t in ALL_TRACKS}
    assert arbitration.job_tracks("J1") == frozenset()
    assert arbitration.job_tracks("J2") == frozenset()
    assert set(track_states(j1, arbitration).values()) == {JobState.IDLE}
    assert set(track_states(j3, arbitration).values()) == {JobState.ACTIVE}


def test_annex_a_changed_jobs_between_steps() -> None:
    j1, j2, j3 = make_job("J1", 2), make_job("J2", 4, IDLE), make_job("J3", 3)
    step1, step2 = arbitrate([j1]), arbitrate([j1, j2])
    step3, step4 = arbitrate([j1, j2, j3]), arbitrate([j1, j2])
    assert changed_jobs(Arbitration(), step1) == {"J1"}
    assert changed_jobs(step1, step2) == frozenset()
    assert changed_jobs(step2, step3) == {"J1", "J3"}
    assert changed_jobs(step3, step4) == {"J1", "J3"}  # J3 is reported although deleted


# --- per-track arbitration -------------------------------------------------------------------


def test_priority_is_determined_per_track() -> None:
    high = make_job("J_high", 5, tracks=("VIDEO001",))
    low = make_job("J_low", 1, tracks=("VIDEO001", "AUDIO001"))
    arbitration = arbitrate([low, high])
    assert arbitration.track_owner("Recording1", "VIDEO001") == "J_high"
    assert arbitration.track_owner("Recording1", "AUDIO001") == "J_low"
    assert arbitration.track_owner("Recording1", "META001") is None
    assert job_state(high, arbitration).state is JobState.ACTIVE
    low_info = job_state(low, arbitration)
    assert low_info.state is JobState.PARTIALLY_ACTIVE
    assert low_info.sources[0].state is JobState.PARTIALLY_ACTIVE
    assert track_states(low, arbitration) == {
        "VIDEO001": JobState.IDLE,
        "AUDIO001": JobState.ACTIVE,
    }


def test_jobs_on_different_recordings_never_interfere() -> None:
    a = make_job("JA", 1, recording="Recording1")
    b = make_job("JB", 9, recording="Recording2")
    arbitration = arbitrate([a, b])
    assert arbitration.job_tracks("JA") == {("Recording1", t) for t in ALL_TRACKS}
    assert arbitration.job_tracks("JB") == {("Recording2", t) for t in ALL_TRACKS}
    assert states([a, b]) == {"JA": JobState.ACTIVE, "JB": JobState.ACTIVE}


def test_idle_mode_jobs_never_win() -> None:
    idle = make_job("J_idle", 100, IDLE)
    active = make_job("J_active", 0)
    arbitration = arbitrate([idle, active])
    assert arbitration.job_tracks("J_idle") == frozenset()
    assert arbitration.job_tracks("J_active") == {("Recording1", t) for t in ALL_TRACKS}
    assert arbitrate([idle]).winners == {}
    assert job_state(idle, arbitrate([idle])).state is JobState.IDLE


def test_ineligible_jobs_do_not_compete() -> None:
    high = make_job("J_sched", 9)
    low = make_job("J_always", 1)
    arbitration = arbitrate([high, low], eligible=lambda job: job.token != "J_sched")
    assert arbitration.job_tracks("J_always") == {("Recording1", t) for t in ALL_TRACKS}
    assert job_state(high, arbitration).state is JobState.IDLE
    assert job_state(low, arbitration).state is JobState.ACTIVE


def test_equal_priority_first_job_in_creation_order_wins() -> None:
    first, second = make_job("J_first", 3), make_job("J_second", 3)
    assert states([first, second]) == {"J_first": JobState.ACTIVE, "J_second": JobState.IDLE}
    assert states([second, first]) == {"J_second": JobState.ACTIVE, "J_first": JobState.IDLE}


def test_equal_priority_new_job_does_not_take_over() -> None:
    first = make_job("J1", 3)
    before = arbitrate([first])
    after = arbitrate([first, make_job("J2", 3)])
    assert changed_jobs(before, after) == frozenset()


# --- conformance RECORDING-3-1-11 / 3-1-12 ---------------------------------------------------


def test_recording_3_1_11_different_priorities_on_media_profile() -> None:
    j1 = make_job("J1", 1)
    step2 = job_state(j1, arbitrate([j1]))
    assert step2.state in (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)

    j2 = make_job("J2", 2)
    arbitration = arbitrate([j1, j2])
    assert job_state(j1, arbitration).state is JobState.IDLE
    assert job_state(j2, arbitration).state in (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)

    # J2 deleted: J1 returns to exactly the state of step 2.
    assert job_state(j1, arbitrate([j1])) == step2


def test_recording_3_1_12_different_priorities_on_receiver() -> None:
    receiver = SourceReference("ReceiverToken1", RECEIVER_SOURCE_TYPE)
    j1 = make_job("J1", 1, IDLE, source=receiver)
    assert job_state(j1, arbitrate([j1])).state is JobState.IDLE

    j1 = replace(j1, configuration=replace(j1.configuration, mode=ACTIVE))  # SetRecordingJobMode
    step3 = job_state(j1, arbitrate([j1]))
    assert step3.state in (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)

    j2 = make_job("J2", 2, source=receiver)  # same receiver feeds both jobs
    arbitration = arbitrate([j1, j2])
    assert job_state(j1, arbitration).state is JobState.IDLE
    assert job_state(j2, arbitration).state in (JobState.ACTIVE, JobState.PARTIALLY_ACTIVE)

    assert job_state(j1, arbitrate([j1])) == step3


# --- job state structure (RC §5.19, Table 3) -------------------------------------------------


def test_state_structure_mirrors_configuration() -> None:
    job = make_job("J1", 1, tracks=("VIDEO001", "AUDIO001"))
    info = job_state(job, arbitrate([job]))
    assert info.recording_token == "Recording1"
    assert [s.source_token for s in info.sources] == [PROFILE]
    assert [(t.source_tag, t.destination, t.state, t.error) for t in info.sources[0].tracks] == [
        ("tag-VIDEO001", "VIDEO001", JobState.ACTIVE, None),
        ("tag-AUDIO001", "AUDIO001", JobState.ACTIVE, None),
    ]


def test_error_takes_precedence_over_active_and_idle() -> None:
    job = make_job("J1", 1)
    errors = {("J1", "Profile1", "AUDIO001"): "Incompatible Stream"}
    info = job_state(job, arbitrate([job]), errors=errors)
    assert info.state is JobState.ERROR
    assert info.sources[0].state is JobState.ERROR
    audio = [t for t in info.sources[0].tracks if t.destination == "AUDIO001"]
    assert [(t.state, t.error) for t in audio] == [(JobState.ERROR, "Incompatible Stream")]
    others = {t.state for t in info.sources[0].tracks if t.destination != "AUDIO001"}
    assert others == {JobState.ACTIVE}
    # Error also wins over Idle tracks (all other tracks lost to a higher-priority job).
    lost = arbitrate([make_job("J0", 9), job])
    assert job_state(job, lost, errors=errors).state is JobState.ERROR


def test_empty_error_string_gives_error_without_text() -> None:
    job = make_job("J1", 1, tracks=("VIDEO001",))
    info = job_state(job, arbitrate([job]), errors={("J1", "Profile1", "VIDEO001"): ""})
    assert (info.state, info.sources[0].tracks[0].error) == (JobState.ERROR, None)


def test_idle_mode_job_is_idle_even_with_errors() -> None:
    job = make_job("J1", 1, IDLE)
    errors = {("J1", "Profile1", "VIDEO001"): "Incompatible Stream"}
    info = job_state(job, arbitrate([job]), flowing=lambda *_: True, errors=errors)
    assert info.state is JobState.IDLE
    assert {t.state for s in info.sources for t in s.tracks} == {JobState.IDLE}


def test_flowing_false_gives_idle() -> None:
    job = make_job("J1", 1)
    info = job_state(job, arbitrate([job]), flowing=lambda *_: False)
    assert info.state is JobState.IDLE


def test_flowing_on_some_tracks_gives_partially_active() -> None:
    job = make_job("J1", 1)
    seen: list[tuple[str, str, str]] = []

    def flowing(job_token: str, source_token: str, destination: str) -> bool:
        seen.append((job_token, source_token, destination))
        return destination == "VIDEO001"

    info = job_state(job, arbitrate([job]), flowing=flowing)
    assert info.state is JobState.PARTIALLY_ACTIVE
    assert ("J1", "Profile1", "VIDEO001") in seen


def test_flowing_true_does_not_activate_a_lost_track() -> None:
    high, low = make_job("J_high", 2), make_job("J_low", 1)
    arbitration = arbitrate([low, high])
    assert job_state(low, arbitration, flowing=lambda *_: True).state is JobState.IDLE


def test_source_without_tracks_is_idle_and_counts_in_the_aggregate() -> None:
    job = make_job("J1", 1, tracks=("VIDEO001",))
    empty = JobSource(source_token=SourceReference("Profile2", PROFILE_SOURCE_TYPE))
    job = replace(
        job, configuration=replace(job.configuration, sources=(*job.configuration.sources, empty))
    )
    info = job_state(job, arbitrate([job]))
    assert [s.state for s in info.sources] == [JobState.ACTIVE, JobState.IDLE]
    assert info.state is JobState.PARTIALLY_ACTIVE


def test_job_without_sources_is_idle_and_owns_nothing() -> None:
    job = make_job("J1", 1)
    job = replace(job, configuration=replace(job.configuration, sources=()))
    arbitration = arbitrate([job])
    assert arbitration.winners == {}
    assert job_state(job, arbitration).state is JobState.IDLE


# --- Arbitration value semantics -------------------------------------------------------------


def test_arbitration_is_an_immutable_value() -> None:
    winners = {("Recording1", "VIDEO001"): "J1"}
    arbitration = Arbitration(winners)
    winners[("Recording1", "AUDIO001")] = "J2"
    assert arbitration.track_owner("Recording1", "AUDIO001") is None
    assert arbitration == Arbitration({("Recording1", "VIDEO001"): "J1"})
    assert hash(arbitration) == hash(Arbitration({("Recording1", "VIDEO001"): "J1"}))
    assert Arbitration() == Arbitration({})


# --- property --------------------------------------------------------------------------------


@st.composite
def job_sets(draw: st.DrawFn) -> list[RecordingJob]:
    count = draw(st.integers(min_value=0, max_value=6))
    jobs = []
    for index in range(count):
        tracks = draw(st.lists(st.sampled_from(ALL_TRACKS), min_size=0, max_size=3, unique=True))
        jobs.append(
            make_job(
                token=f"J{index}",
                priority=draw(st.integers(min_value=0, max_value=3)),
                mode=draw(st.sampled_from(JobMode)),
                tracks=tuple(tracks),
                recording=draw(st.sampled_from(("Recording1", "Recording2"))),
            )
        )
    return jobs


@given(job_sets())
def test_property_owner_is_a_highest_priority_active_job(jobs: list[RecordingJob]) -> None:
    arbitration = arbitrate(jobs)
    by_token = {job.token: job for job in jobs}
    active = [job for job in jobs if job.configuration.mode is JobMode.ACTIVE]
    wanted = {key for job in active for key in configured_tracks(job)}
    assert set(arbitration.winners) == wanted  # every wanted track has exactly one owner
    for key, owner_token in arbitration.winners.items():
        owner = by_token[owner_token]
        assert owner.configuration.mode is JobMode.ACTIVE
        assert key in configured_tracks(owner)
        rivals = [job for job in active if key in configured_tracks(job)]
        top = max(job.configuration.priority for job in rivals)
        assert owner.configuration.priority == top
        assert owner is next(job for job in rivals if job.configuration.priority == top)
    for job in jobs:
        if job.configuration.mode is JobMode.IDLE:
            assert arbitration.job_tracks(job.token) == frozenset()
            assert job_state(job, arbitration).state is JobState.IDLE


@given(job_sets())
def test_property_track_state_active_exactly_when_won(jobs: list[RecordingJob]) -> None:
    arbitration = arbitrate(jobs)
    for job in jobs:
        won = {track for _, track in arbitration.job_tracks(job.token)}
        assert {t for t, s in track_states(job, arbitration).items() if s is JobState.ACTIVE} == won


@given(job_sets(), job_sets())
def test_property_changed_jobs_matches_job_tracks(
    first: list[RecordingJob], second: list[RecordingJob]
) -> None:
    before, after = arbitrate(first), arbitrate(second)
    tokens = {job.token for job in first + second}
    expected = {t for t in tokens if before.job_tracks(t) != after.job_tracks(t)}
    assert changed_jobs(before, after) == expected
