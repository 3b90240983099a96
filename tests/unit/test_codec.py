"""persistence.codec: domain dataclasses ⇄ JSON values, driven by their type hints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    StreamType,
    Transport,
    TransportProtocol,
)
from onvif_recorder.domain.recording import (
    AsymmetricEncryption,
    Recording,
    RecordingConfiguration,
    RecordingEncryption,
    RecordingSource,
    RecordingTarget,
    SegmentDurationOverride,
    Track,
    TrackConfiguration,
    TrackType,
)
from onvif_recorder.domain.storage import (
    ConfigurationRenewal,
    StorageConfiguration,
    StorageConfigurationData,
    UserCredential,
)
from onvif_recorder.domain.users import User, UserLevel
from onvif_recorder.persistence.codec import from_json, to_json


class Colour(Enum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True)
class Leaf:
    colour: Colour
    amount: Decimal
    note: str | None = None


@dataclass(frozen=True)
class Node:
    name: str
    leaves: tuple[Leaf, ...] = ()
    child: Node | None = None
    flag: bool | None = None
    count: int = 0


def through_json(value: object) -> Any:
    """to_json, then a real JSON text round trip (as the store does)."""
    return json.loads(json.dumps(to_json(value)))


def full_recording() -> Recording:
    target = RecordingTarget(
        storage="Storage_1",
        format="MP4",
        segment_duration=XsDuration.parse("PT10S"),
        prefix="cams/",
        postfix=".seg",
        span_duration=XsDuration.parse("P1DT2H"),
        encryption=(
            RecordingEncryption("CENC", kid="kid-1", key="00ff", tracks=("VIDEO001", "AUDIO001")),
            RecordingEncryption(
                "CBCS",
                asymmetric=AsymmetricEncryption(("cert-1", "cert-2"), XsDuration.parse("PT1H")),
            ),
        ),
        segment_duration_override=SegmentDurationOverride(
            XsDuration.parse("PT2.5S"), XsDuration.parse("PT30M")
        ),
    )
    configuration = RecordingConfiguration(
        source=RecordingSource("urn:uuid:1", "Cam", "Hall", "Entrance", "http://192.0.2.1/"),
        content="Content",
        maximum_retention_time=XsDuration.parse("P7D"),
        target=target,
    )
    tracks = (
        Track("VIDEO001", TrackConfiguration(TrackType.VIDEO, "main")),
        Track("META001", TrackConfiguration(TrackType.METADATA, "")),
    )
    return Recording("Recording_1", configuration, tracks)


def test_nested_dataclasses_with_enums_tuples_and_optionals_round_trip() -> None:
    leaves = (Leaf(Colour.RED, Decimal("1.50")), Leaf(Colour.GREEN, Decimal("-2"), note="n"))
    value = Node("root", leaves, child=Node("kid", flag=False, count=3), flag=True)
    assert from_json(Node, through_json(value)) == value


def test_json_shape_is_plain() -> None:
    data = to_json(Node("n", (Leaf(Colour.RED, Decimal("0.1")),)))
    assert data == {
        "name": "n",
        "leaves": [{"colour": "red", "amount": "0.1", "note": None}],
        "child": None,
        "flag": None,
        "count": 0,
    }


def test_decoded_sequences_are_tuples_and_enums_are_members() -> None:
    decoded = from_json(Node, through_json(Node("n", (Leaf(Colour.GREEN, Decimal(1)),))))
    assert isinstance(decoded.leaves, tuple)
    assert decoded.leaves[0].colour is Colour.GREEN
    assert isinstance(decoded.leaves[0].amount, Decimal)


@pytest.mark.parametrize(
    "lexical", ["PT0S", "P0D", "PT1.5S", "PT0.000001S", "-P1Y2M3DT4H5M6.789S", "PT36H"]
)
def test_xs_duration_round_trip_keeps_lexical_and_decimal_seconds(lexical: str) -> None:
    duration = XsDuration.parse(lexical)
    decoded = from_json(XsDuration, through_json(duration))
    assert decoded == duration
    assert decoded.lexical == lexical
    assert isinstance(decoded.seconds, Decimal)
    assert decoded.seconds == duration.seconds


def test_decimal_seconds_are_stored_exactly_as_text() -> None:
    duration = XsDuration.parse("PT0.1S")
    assert to_json(duration) == {"lexical": "PT0.1S", "seconds": "0.1"}
    assert from_json(XsDuration, to_json(duration)).seconds == Decimal("0.1")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**12),
                   max_value=10**12))
def test_any_finite_decimal_round_trips(amount: Decimal) -> None:
    leaf = Leaf(Colour.RED, amount)
    decoded = from_json(Leaf, through_json(leaf))
    assert decoded == leaf and str(decoded.amount) == str(amount)


def test_optional_fields_absent_from_old_documents_take_their_defaults() -> None:
    """A field added later needs no migration: documents without it decode."""
    assert from_json(Node, {"name": "old"}) == Node("old")
    old_receiver = {"token": "R1", "configuration": to_json(_receiver().configuration)}
    assert from_json(Receiver, old_receiver).auto_created is False


def test_unknown_extra_keys_are_ignored() -> None:
    data = through_json(Node("n", (Leaf(Colour.RED, Decimal(1)),)))
    data["removed_field"] = {"anything": [1, 2]}
    data["leaves"][0]["future"] = "x"
    assert from_json(Node, data) == Node("n", (Leaf(Colour.RED, Decimal(1)),))


def test_unknown_keys_in_domain_documents_are_ignored() -> None:
    data = through_json(full_recording())
    data["configuration"]["target"]["unknown"] = 1
    data["tracks"][0]["configuration"]["extra"] = None
    assert from_json(Recording, data) == full_recording()


def _receiver() -> Receiver:
    tunnel = Transport(TransportProtocol.TCP, Transport(TransportProtocol.RTSP,
                                                        Transport(TransportProtocol.HTTP)))
    configuration = ReceiverConfiguration(
        ReceiverMode.ALWAYS_CONNECT, "rtsp://192.0.2.1/s", StreamType.RTP_MULTICAST, tunnel
    )
    return Receiver("Receiver_1", configuration, auto_created=True)


def _job() -> RecordingJob:
    sources = (
        JobSource(SourceReference("Receiver_1"), (JobTrack("video", "VIDEO001"),)),
        JobSource(SourceReference("Receiver_2", "http://www.onvif.org/ver10/schema/Receiver"),
                  auto_create_receiver=True),
        JobSource(None),
    )
    return RecordingJob("RecordingJob_1",
                        RecordingJobConfiguration("Recording_1", JobMode.ACTIVE, 7, sources))


def _storage() -> StorageConfiguration:
    data = StorageConfigurationData(
        type="ObjectStorageS3",
        storage_uri="https://bucket.example/",
        user=UserCredential("key-id", "secret"),
        region="eu-west-1",
        cert_path_validation_policy_id="policy",
        configuration_renewal=ConfigurationRenewal("https://renew/", "https://auth/", None, "e"),
    )
    return StorageConfiguration("Storage_1", data)


@pytest.mark.parametrize(
    "value",
    [
        full_recording(),
        Recording("Recording_2", RecordingConfiguration(
            RecordingSource("", "", "", "", ""), "", XsDuration.parse("PT0S"))),
        _receiver(),
        _job(),
        _storage(),
        StorageConfiguration("Storage_2", StorageConfigurationData("NFS", local_path="/mnt")),
        User("operator", "pässwörd", UserLevel.OPERATOR),
    ],
    ids=lambda v: type(v).__name__,
)
def test_every_domain_type_round_trips(value: object) -> None:
    assert from_json(type(value), through_json(value)) == value
