"""The searchFilter dialect (Search §5.18): expressions from the spec, the test tool and
real clients, each with the recordings it must match; malformed ones with their fault."""

from __future__ import annotations

import pytest

from onvif_recorder.domain.errors import InvalidFilterFault
from onvif_recorder.service.search.xpath import Node, parse_filter


def recording(name: str, location: str, *tracks: tuple[str, str]) -> Node:
    root = Node("RecordingInformation")
    root.add("RecordingToken", name)
    source = root.add("Source")
    source.add("Name", f"Camera {name}")
    source.add("Location", location)
    root.add("Content", "lobby entrance")
    for token, kind in tracks:
        track = root.add("Track")
        track.add("TrackToken", token)
        track.add("TrackType", kind)
        track.add("DataFrom", "2026-05-28T20:26:40.000Z")
    root.add("RecordingStatus", "Stopped")
    return root


def metadata(right: str) -> Node:
    root = Node("MetadataStream")
    frame = root.add("VideoAnalytics").add("Frame")
    shape = frame.add("Object", ObjectId="1").add("Appearance").add("Shape")
    shape.add("BoundingBox", left="0.1", right=right, top="0.2", bottom="0.9")
    return root


RECORDINGS = {
    "A": recording("A", "Basement", ("VIDEO001", "Video"), ("AUDIO001", "Audio")),
    "B": recording("B", "Roof", ("VIDEO001", "Video"), ("META001", "Metadata")),
    "C": recording("C", "Basement", ("AUDIO001", "Audio")),
    "D": recording("D", "Garage"),
}

MATCHES = {
    'boolean(//Track[TrackType = "Video"])': "AB",
    'boolean(//Track[TrackType = "Audio"])': "AC",
    'boolean(//Track[TrackType = "Metadata"])': "B",
    'boolean(//Track[TrackType = "Video"]) and boolean(//Track[TrackType = "Audio"])': "A",
    'boolean(//Track[TrackType = "Video"]) and boolean(//Track[TrackType = "Metadata"])': "B",
    'boolean(//Source[Location = "Basement"]) and boolean(//Track[TrackType = "Video"])': "A",
    'boolean(//Track[TrackToken = "NonExistingToken"])': "",  # SEARCH-5-1-5
    "boolean(//Track[TrackType = 'Video'])": "AB",  # single quotes, as clients send
    'boolean(//tt:Track[tt:TrackType="Video"])': "AB",  # prefixes are ignored
    'not(boolean(//Track[TrackType = "Video"]))': "CD",
    '(boolean(//Track[TrackType = "Video"]) or boolean(//Track)) and '
    'not(boolean(//Source[Location != "Basement"]))': "AC",
    'contains(//Source/Name, "B")': "B",
    'contains(/RecordingInformation/Content, "lobby")': "ABCD",
    'boolean(/RecordingInformation[RecordingStatus = "Stopped"])': "ABCD",
    'boolean(//Track[TrackType = "Video" and TrackToken = "VIDEO001"])': "AB",
    'boolean(//Track[DataFrom >= "2026-01-01T00:00:00Z"])': "ABC",
    'boolean(//Track)': "ABC",
}


@pytest.mark.parametrize(("expression", "expected"), MATCHES.items())
def test_expression_matches(expression: str, expected: str) -> None:
    test = parse_filter(expression)
    assert "".join(name for name, node in RECORDINGS.items() if test(node)) == expected


def test_attribute_comparisons_on_metadata_are_numeric() -> None:
    test = parse_filter('boolean(//Object/Appearance/Shape/BoundingBox[@right > "0.5"])')
    assert test(metadata("0.75")) and not test(metadata("0.25"))
    assert parse_filter('boolean(//BoundingBox[@right > "0.5" and @left < "0.2"])')(
        metadata("0.9"))
    assert not parse_filter('boolean(//BoundingBox[@nothing = "1"])')(metadata("0.9"))


@pytest.mark.parametrize("expression", [
    "",
    "boolean(//Track[",
    'boolean(//Track[TrackType = "Video"]',
    'boolean(//Track[TrackType == "Video"])',
    'boolean(//Track[TrackType = Video])',
    'count(//Track) > 1',
    'boolean(Track[TrackType = "Video"])',
    'boolean(//Track[TrackType = "Video"]) xor boolean(//Track)',
    'contains(//Source/Name, 5)',
    'boolean(//Track[TrackType = "Video"]) and',
    "not boolean(//Track)",
    "boolean(//Track) $",
    "(" * 40 + "boolean(//Track)" + ")" * 40,
    "boolean(//Track)" + " or boolean(//Track)" * 400,
])
def test_malformed_expressions_are_invalid_filter_faults(expression: str) -> None:
    with pytest.raises(InvalidFilterFault):
        parse_filter(expression)
