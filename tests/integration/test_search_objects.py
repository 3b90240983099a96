"""Search over an object-storage recording after its segments were uploaded and left the
spool: GetMediaAttributes and FindMetadata/FindPTZPosition answer from the summaries
the segment index keeps (storage.search_summary), not from files that are gone.

The real camera's ``/meta`` stream (H.264 + one ONVIF metadata document a second with a
PTZ status and an event) records through moto S3; zeep from search.wsdl, XSD-validated.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.camera import Camera
from tests.integration.helpers import auto_receiver_job, client, recording_configuration
from tests.integration.recording_support import configure_receiver, engine_recorder, wait_until
from tests.integration.test_object_storage import drained
from tests.integration.test_search_recorded import find_metadata, find_ptz, job_state
from tests.integration.test_segment_index_objects import index_rows
from tests.object_peers import MotoS3
from tests.onvif_client import validate_body

pytestmark = pytest.mark.slow


def test_uploaded_recording_has_media_attributes_and_searchable_metadata(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MotoS3() as s3, Camera() as camera, \
            engine_recorder(data, segment_duration=1.0) as recorder:
        tds, _ = client(recorder, "device")
        trc, _ = client(recorder, "recording")
        trv, _ = client(recorder, "receiver")
        tse, rec = client(recorder, "search")
        storage = tds.CreateStorageConfiguration(StorageConfiguration=s3.storage_configuration())
        target = {"Storage": storage, "Format": "MP4", "SegmentDuration": "PT1S"}
        recording = trc.CreateRecording(
            RecordingConfiguration=recording_configuration(Target=target))
        job = trc.CreateRecordingJob(JobConfiguration=auto_receiver_job(recording))
        configure_receiver(trv, job.JobConfiguration.Source[0].SourceToken.Token,
                           camera.url("/meta"))
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Active")
        assert wait_until(lambda: job_state(trc, job.JobToken) == "Active", 10.0)
        time.sleep(5.0)
        trc.SetRecordingJobMode(JobToken=job.JobToken, Mode="Idle")
        assert wait_until(lambda: all(r.complete for r in index_rows(data, recording)), 10.0)
        assert drained(data, 20.0)
        assert not list((data / "spool").rglob("*.mp4"))  # the bytes are only in S3 now
        assert any(o.key.endswith(".mp4") for o in s3.objects())

        info = tse.GetRecordingInformation(RecordingToken=recording)
        assert {t.TrackToken for t in info.Track} == {"VIDEO001", "META001"}
        start, end = info.EarliestRecording, info.LatestRecording
        [attributes] = tse.GetMediaAttributes(RecordingTokens=[recording],
                                              Time=start + (end - start) / 2)
        validate_body(rec.last)
        tracks = {t.TrackInformation.TrackToken: t for t in attributes.TrackAttributes}
        video = tracks["VIDEO001"].VideoAttributes
        assert (video.Encoding, video.Width, video.Height) == ("H264", 640, 360)
        assert tracks["META001"].MetadataAttributes.CanContainPTZ is True

        every = 'boolean(//SimpleItem[@Name="Source" and @Value="VideoSource_1"])'
        documents = find_metadata(tse, rec, recording, start.timestamp(), end.timestamp(),
                                  every)
        assert len(documents) >= 3 and {t for _, t in documents} == {"META001"}
        positions = find_ptz(tse, rec, recording, start.timestamp(), end.timestamp(),
                             -1.0, 1.0, False)
        assert [t for t, _ in positions] == [t for t, _ in documents]
