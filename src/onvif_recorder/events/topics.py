"""Every topic the recorder emits, its message description, and each domain event's message.

The descriptions are the ones RC §5.26 and the Receiver spec ("Events") print, with one
deliberate difference: the JobState ``State`` item is ``xs:string``, as the Recording
Control test specification checks, not the spec's misspelt ``xs:String``. The Receiver
``MediaUri`` item keeps the spec's ``tt:MediaUri`` type; its value is the URI text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from onvif_recorder.domain.job import RecordingJobConfiguration, RecordingJobStateInformation
from onvif_recorder.domain.recording import RecordingConfiguration, TrackConfiguration
from onvif_recorder.service.async_operation_events import (
    AsynchronousOperationStatus,
    FileProgressStatus,
    OperationError,
    progress_text,
)
from onvif_recorder.service.events import (
    CameraEvent,
    DomainEvent,
    JobConfigurationChanged,
    JobStateChanged,
    KeyStatusChanged,
    PropertyOperation,
    ReceiverConnectionFailed,
    ReceiverStateChanged,
    RecordingConfigurationChanged,
    RecordingCreated,
    RecordingDeleted,
    RecordingHistoryState,
    ScheduleChanged,
    ScheduleStateChanged,
    SpecialDaysChanged,
    TrackAudioParameters,
    TrackConfigurationChanged,
    TrackCreated,
    TrackDataDeleted,
    TrackDeleted,
    TrackHistoryState,
    TrackVideoParameters,
    VideoRateControl,
)

TOPIC_NAMESPACE = "http://www.onvif.org/ver10/topics"
TOPIC_PREFIX = "tns1"

ElementValue = (
    RecordingConfiguration
    | TrackConfiguration
    | RecordingJobConfiguration
    | RecordingJobStateInformation
    | FileProgressStatus
    | OperationError
    | VideoRateControl
)


DataItems = tuple[tuple[str, str | ElementValue], ...]
"""(Name, Value) pairs; a string is a SimpleItem's Value, anything else an ElementItem's."""


@dataclass(frozen=True, slots=True)
class Item:
    """A tt:SimpleItemDescription, or a tt:ElementItemDescription when ``element``."""

    name: str
    type: str  # a QName with the tt: or xs: prefix
    element: bool = False


@dataclass(frozen=True, slots=True)
class Topic:
    path: tuple[str, ...]  # in the ONVIF topic namespace, root first
    is_property: bool
    source: tuple[Item, ...]
    data: tuple[Item, ...] = ()

    @property
    def text(self) -> str:
        """The topic as a ConcreteSet expression, e.g. ``tns1:RecordingConfig/JobState``."""
        return f"{TOPIC_PREFIX}:" + "/".join(self.path)


def _recording_config(name: str, *source: Item, data: tuple[Item, ...] = ()) -> Topic:
    return Topic(("RecordingConfig", name), False, source, data)


_RECORDING = Item("RecordingToken", "tt:RecordingReference")
_TRACK = Item("TrackToken", "tt:TrackReference")
_JOB = Item("RecordingJobToken", "tt:RecordingJobReference")
_RECEIVER = Item("ReceiverToken", "tt:ReferenceToken")

JOB_STATE = Topic(
    ("RecordingConfig", "JobState"),
    True,
    (_JOB,),
    (
        Item("State", "xs:string"),
        Item("Information", "tt:RecordingJobStateInformation", element=True),
    ),
)
RECORDING_CONFIGURATION = _recording_config(
    "RecordingConfiguration",
    _RECORDING,
    data=(Item("Configuration", "tt:RecordingConfiguration", element=True),),
)
TRACK_CONFIGURATION = _recording_config(
    "TrackConfiguration",
    _RECORDING,
    _TRACK,
    data=(Item("Configuration", "tt:TrackConfiguration", element=True),),
)
JOB_CONFIGURATION = _recording_config(
    "RecordingJobConfiguration",
    _JOB,
    data=(Item("Configuration", "tt:RecordingJobConfiguration", element=True),),
)
CREATE_RECORDING = _recording_config("CreateRecording", _RECORDING)
DELETE_RECORDING = _recording_config("DeleteRecording", _RECORDING)
CREATE_TRACK = _recording_config("CreateTrack", _RECORDING, _TRACK)
DELETE_TRACK = _recording_config("DeleteTrack", _RECORDING, _TRACK)
DELETE_TRACK_DATA = _recording_config(
    "DeleteTrackData",
    _RECORDING,
    _TRACK,
    data=(Item("StartTime", "xs:dateTime"), Item("EndTime", "xs:dateTime")),
)
RECEIVER_CHANGE_STATE = Topic(
    ("Receiver", "ChangeState"),
    False,
    (_RECEIVER,),
    (Item("NewState", "tt:ReceiverState"), Item("MediaUri", "tt:MediaUri")),
)
RECEIVER_CONNECTION_FAILED = Topic(
    ("Receiver", "ConnectionFailed"), False, (_RECEIVER,), (Item("MediaUri", "tt:MediaUri"),)
)

_SCHEDULE = Item("ScheduleToken", "pt:ReferenceToken")
SCHEDULE_STATE = Topic(
    ("Schedule", "State", "Active"),
    True,
    (_SCHEDULE, Item("Name", "xs:string")),
    (Item("Active", "xs:boolean"), Item("SpecialDay", "xs:boolean")),
)
SCHEDULE_CHANGED = Topic(("Configuration", "Schedule", "Changed"), False, (_SCHEDULE,))
SCHEDULE_REMOVED = Topic(("Configuration", "Schedule", "Removed"), False, (_SCHEDULE,))
_SPECIAL_DAYS = Item("SpecialDaysToken", "pt:ReferenceToken")
SPECIAL_DAYS_CHANGED = Topic(("Configuration", "SpecialDays", "Changed"), False,
                             (_SPECIAL_DAYS,))
SPECIAL_DAYS_REMOVED = Topic(("Configuration", "SpecialDays", "Removed"), False,
                             (_SPECIAL_DAYS,))

_KEY_STATUS = Item("OldStatus", "tas:KeyStatus"), Item("NewStatus", "tas:KeyStatus")
KEY_STATUS = Topic(("Advancedsecurity", "Keystore", "KeyStatus"), False,
                   (Item("KeyID", "tas:KeyID"),), _KEY_STATUS)
# Search §5.17: published live (service.recording_history) and found by FindEvents in
# what was recorded. Note the Source item RecordingToken, and Track.
RECORDING_HISTORY_STATE = Topic(
    ("RecordingHistory", "Recording", "State"), True,
    (Item("RecordingToken", "tt:ReferenceToken"),), (Item("IsRecording", "xs:boolean"),))
TRACK_HISTORY_STATE = Topic(
    ("RecordingHistory", "Track", "State"), True,
    (Item("RecordingToken", "tt:ReferenceToken"), Item("Track", "tt:ReferenceToken")),
    (Item("IsDataPresent", "xs:boolean"),))
# The optional parameter topics name their Source items Recording and Track (§5.17 as
# printed). VideoRateControl says what was recorded (service.search.parameters).
_PARAMETERS_SOURCE = (Item("Recording", "tt:ReferenceToken"), Item("Track", "tt:ReferenceToken"))
TRACK_VIDEO_PARAMETERS = Topic(
    ("RecordingHistory", "Track", "VideoParameters"), True, _PARAMETERS_SOURCE,
    (Item("VideoEncoding", "tt:VideoEncoding"), Item("VideoWidth", "xs:int"),
     Item("VideoHeight", "xs:int"),
     Item("VideoRateControl", "tt:VideoRateControl", element=True)))
TRACK_AUDIO_PARAMETERS = Topic(
    ("RecordingHistory", "Track", "AudioParameters"), True, _PARAMETERS_SOURCE,
    (Item("AudioEncoding", "tt:AudioEncoding"), Item("AudioSampleRate", "xs:int"),
     Item("AudioBitrate", "xs:int")))
HISTORY_TOPICS: tuple[Topic, ...] = (RECORDING_HISTORY_STATE, TRACK_HISTORY_STATE,
                                     TRACK_VIDEO_PARAMETERS, TRACK_AUDIO_PARAMETERS)
# Core §8.9.7; Alias is Core 26.06's addition.
ASYNCHRONOUS_OPERATION_STATUS = Topic(
    ("Monitoring", "AsynchronousOperationStatus"), True,
    (Item("Token", "tt:ReferenceToken"), Item("OperationName", "xs:string"),
     Item("ServiceName", "xs:string")),
    (Item("Progress", "xs:float"), Item("Alias", "xs:string"),  # simple items first (tt:ItemList)
     Item("FileProgressStatus", "tt:ArrayOfFileProgress", element=True),
     Item("Error", "env:Fault", element=True)))

TOPICS: tuple[Topic, ...] = (
    JOB_STATE,
    RECORDING_CONFIGURATION,
    TRACK_CONFIGURATION,
    JOB_CONFIGURATION,
    CREATE_RECORDING,
    DELETE_RECORDING,
    CREATE_TRACK,
    DELETE_TRACK,
    DELETE_TRACK_DATA,
    RECEIVER_CHANGE_STATE,
    RECEIVER_CONNECTION_FAILED,
    SCHEDULE_STATE,
    SCHEDULE_CHANGED,
    SCHEDULE_REMOVED,
    SPECIAL_DAYS_CHANGED,
    SPECIAL_DAYS_REMOVED,
    KEY_STATUS,
    *HISTORY_TOPICS,
    ASYNCHRONOUS_OPERATION_STATUS,
)
"""In TopicSet order; topics that share a root are adjacent."""



@dataclass(frozen=True, slots=True)
class Message:
    """The content of one tt:Message, before it is written as XML."""

    topic: Topic
    source: tuple[tuple[str, str], ...]
    data: DataItems = ()
    operation: PropertyOperation | None = None

    def simple_items(self) -> Iterator[tuple[str, str]]:
        """(Name, Value) of every SimpleItem, Source first."""
        yield from self.source
        for name, value in self.data:
            if isinstance(value, str):
                yield name, value

    def element_item_names(self) -> Iterator[str]:
        return (name for name, value in self.data if not isinstance(value, str))


def utc_text(moment: datetime) -> str:
    """xs:dateTime in UTC with the 'Z' indicator and milliseconds (Core: all event times)."""
    utc = moment.astimezone(UTC)  # %Y is not zero-padded below year 1000: format it here
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _tracks_differ(state: RecordingJobStateInformation) -> bool:
    return len({track.state for source in state.sources for track in source.tracks}) > 1


def _job_state_message(event: JobStateChanged) -> Message:
    source = (("RecordingJobToken", event.job_token),)
    if event.state is None:  # Deleted: the property is gone, so is its data (Core example)
        return Message(JOB_STATE, source, (), event.operation)
    data: list[tuple[str, str | ElementValue]] = [("State", event.state.state.value)]
    # RC §5.26.1: Information is needed whenever the tracks' states are not all the same.
    if _tracks_differ(event.state):
        data.append(("Information", event.state))
    return Message(JOB_STATE, source, tuple(data), event.operation)


class _LastMessage:
    """The bus asks every subscriber's filter about the same event in turn: remember the
    last message built (one tuple, so a reader on another thread never sees a torn pair)."""

    pair: tuple[DomainEvent, Message] | None = None


def message_of(event: DomainEvent) -> Message:
    last = _LastMessage.pair
    if last is not None and last[0] is event:
        return last[1]
    message = _message(event)
    _LastMessage.pair = (event, message)
    return message


def _message(event: DomainEvent) -> Message:
    match event:
        case JobStateChanged():
            return _job_state_message(event)
        case RecordingConfigurationChanged(token, configuration):
            return Message(
                RECORDING_CONFIGURATION,
                (("RecordingToken", token),),
                (("Configuration", configuration),),
            )
        case TrackConfigurationChanged(recording, track, configuration):
            source = (("RecordingToken", recording), ("TrackToken", track))
            return Message(TRACK_CONFIGURATION, source, (("Configuration", configuration),))
        case JobConfigurationChanged(token, configuration):
            job = (("RecordingJobToken", token),)
            return Message(JOB_CONFIGURATION, job, (("Configuration", configuration),))
        case RecordingCreated(token):
            return Message(CREATE_RECORDING, (("RecordingToken", token),))
        case RecordingDeleted(token):
            return Message(DELETE_RECORDING, (("RecordingToken", token),))
        case TrackCreated(recording, track):
            return Message(CREATE_TRACK, (("RecordingToken", recording), ("TrackToken", track)))
        case TrackDeleted(recording, track):
            return Message(DELETE_TRACK, (("RecordingToken", recording), ("TrackToken", track)))
        case TrackDataDeleted():
            return _track_data_message(event)
        case RecordingHistoryState(token, is_recording, operation):
            return Message(RECORDING_HISTORY_STATE, (("RecordingToken", token),),
                           (("IsRecording", _boolean(is_recording)),), operation)
        case TrackHistoryState(recording, track, present, operation):
            source = (("RecordingToken", recording), ("Track", track))
            return Message(TRACK_HISTORY_STATE, source,
                           (("IsDataPresent", _boolean(present)),), operation)
        case TrackVideoParameters():
            return _video_parameters_message(event)
        case TrackAudioParameters():
            return _audio_parameters_message(event)
        case _:
            return _device_message(event)


def _video_parameters_message(event: TrackVideoParameters) -> Message:
    source = (("Recording", event.recording_token), ("Track", event.track_token))
    data: tuple[tuple[str, str | ElementValue], ...] = (
        ("VideoEncoding", event.encoding), ("VideoWidth", str(event.width)),
        ("VideoHeight", str(event.height)))
    if event.rate_control is not None:
        data += (("VideoRateControl", event.rate_control),)
    return Message(TRACK_VIDEO_PARAMETERS, source, data, event.operation)


def _audio_parameters_message(event: TrackAudioParameters) -> Message:
    source = (("Recording", event.recording_token), ("Track", event.track_token))
    data: tuple[tuple[str, str | ElementValue], ...] = (
        ("AudioEncoding", event.encoding), ("AudioSampleRate", str(event.samplerate_khz)))
    if event.bitrate_kbps is not None:
        data += (("AudioBitrate", str(event.bitrate_kbps)),)
    return Message(TRACK_AUDIO_PARAMETERS, source, data, event.operation)


def _device_message(event: DomainEvent) -> Message:
    """Messages of the receiver, schedule, keystore and camera topics."""
    match event:
        case ReceiverStateChanged(token, state, uri):
            data = (("NewState", state.value),) + ((("MediaUri", uri),) if uri else ())
            return Message(RECEIVER_CHANGE_STATE, (("ReceiverToken", token),), data)
        case ReceiverConnectionFailed(token, uri):
            receiver = (("ReceiverToken", token),)
            return Message(RECEIVER_CONNECTION_FAILED, receiver, (("MediaUri", uri),))
        case ScheduleStateChanged():
            return _schedule_state_message(event)
        case CameraEvent():
            return _camera_message(event)
        case ScheduleChanged(token, removed):
            topic = SCHEDULE_REMOVED if removed else SCHEDULE_CHANGED
            return Message(topic, (("ScheduleToken", token),))
        case KeyStatusChanged(key_id, new, old):
            status = ((("OldStatus", old),) if old is not None else ()) + (("NewStatus", new),)
            return Message(KEY_STATUS, (("KeyID", key_id),), status)
        case SpecialDaysChanged(token, removed):
            topic = SPECIAL_DAYS_REMOVED if removed else SPECIAL_DAYS_CHANGED
            return Message(topic, (("SpecialDaysToken", token),))
        case AsynchronousOperationStatus():
            return _operation_status_message(event)
        case _:
            raise TypeError(f"no topic for {type(event).__name__}")


def _camera_message(event: CameraEvent) -> Message:
    """A camera's topic is not one of ``TOPICS``: it is described as the camera sent it."""
    source = (*event.source, ("ReceiverToken", event.receiver_token))
    topic = Topic(event.topic, event.operation is not None,
                  (*(Item(name, "xs:string") for name, _ in event.source), _RECEIVER),
                  tuple(Item(name, "xs:string") for name, _ in event.data))
    return Message(topic, source, event.data, event.operation)


def _schedule_state_message(event: ScheduleStateChanged) -> Message:
    source = (("ScheduleToken", event.schedule_token), ("Name", event.name))
    if event.active is None:  # Deleted
        return Message(SCHEDULE_STATE, source, (), event.operation)
    # Sched §6: SpecialDay is always sent (the official test fails without it).
    data = (("Active", _boolean(event.active)), ("SpecialDay", _boolean(event.special_day)))
    return Message(SCHEDULE_STATE, source, data, event.operation)


def _track_data_message(event: TrackDataDeleted) -> Message:
    source = (("RecordingToken", event.recording_token), ("TrackToken", event.track_token))
    data = (("StartTime", utc_text(event.start_time)), ("EndTime", utc_text(event.end_time)))
    return Message(DELETE_TRACK_DATA, source, data)


def _operation_status_message(event: AsynchronousOperationStatus) -> Message:
    source = (("Token", event.token), ("OperationName", event.operation_name),
              ("ServiceName", event.service_name))
    data: list[tuple[str, str | ElementValue]] = [("Progress", progress_text(event.progress))]
    if event.alias is not None:
        data.append(("Alias", event.alias))
    if event.files is not None:
        data.append(("FileProgressStatus", event.files))
    if event.error is not None:
        data.append(("Error", event.error))
    return Message(ASYNCHRONOUS_OPERATION_STATUS, source, tuple(data), event.operation)
