"""The recordings list the page shows (``web.view``), from a hand-built state."""

from __future__ import annotations

from onvif_recorder.domain.duration import XsDuration
from onvif_recorder.domain.job import (
    JobMode,
    JobSource,
    JobTrack,
    RecordingJob,
    RecordingJobConfiguration,
    SourceReference,
)
from onvif_recorder.domain.receiver import (
    Receiver,
    ReceiverConfiguration,
    ReceiverMode,
    ReceiverState,
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import (
    Recording,
    RecordingConfiguration,
    RecordingSource,
    Track,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.service.state import RecorderState
from onvif_recorder.storage.segment_index import StoredTotals
from onvif_recorder.web.view import iso_utc, recordings_view


def state() -> RecorderState:
    source = RecordingSource("urn:cam1", "Door", "Hall", "", "")
    configuration = RecordingConfiguration(source, "", XsDuration.parse("PT0S"))
    recorded = Recording("Recording_1", configuration,
                         (Track("VIDEO001", TrackConfiguration(TrackType.VIDEO, "")),))
    empty = Recording("Recording_2", configuration)
    job = RecordingJob("RecordingJob_1", RecordingJobConfiguration(
        "Recording_1", JobMode.ACTIVE, 3,
        (JobSource(SourceReference("Receiver_1"), (JobTrack("Video", "VIDEO001"),)),)))
    receiver = Receiver("Receiver_1", ReceiverConfiguration(
        ReceiverMode.AUTO_CONNECT, "rtsp://user:secret@192.0.2.1/av", StreamType.RTP_UNICAST,
        Transport(TransportProtocol.RTSP)), auto_created=True)
    return RecorderState(recordings={r.token: r for r in (recorded, empty)},
                         jobs={job.token: job}, receivers={receiver.token: receiver})


def test_each_recording_with_its_jobs_receivers_and_what_is_stored() -> None:
    view = recordings_view(state(), {"RecordingJob_1": "Active"},
                           lambda token: ReceiverState.CONNECTED,
                           {"Recording_1": StoredTotals(3, 3000, 2.9996, 1_796_000_000.5)})
    assert view[0] == {
        "token": "Recording_1", "name": "Door", "source": "urn:cam1", "location": "Hall",
        "tracks": [{"token": "VIDEO001", "type": "Video"}],
        "jobs": [{"token": "RecordingJob_1", "mode": "Active", "priority": 3,
                  "state": "Active"}],
        "receivers": [{"token": "Receiver_1", "uri": "rtsp://192.0.2.1/av",  # no password
                       "mode": "AutoConnect", "state": "Connected"}],
        "segments": 3, "bytes": 3000, "seconds": 3.0,
        "last_segment_end": "2026-11-30T00:53:20.500Z",
    }
    assert view[1]["jobs"] == [] and view[1]["receivers"] == []
    assert (view[1]["bytes"], view[1]["last_segment_end"]) == (0, None)


def test_times_are_iso_8601_utc_with_milliseconds() -> None:
    assert iso_utc(0.0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(None) is None
