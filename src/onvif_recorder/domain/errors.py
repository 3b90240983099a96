"""Domain errors, each carrying the SOAP 1.2 fault it maps to.

Every ONVIF fault is a code (``env:Sender`` or ``env:Receiver``) followed by a
chain of ``ter:`` subcodes (ONVIF Core, "Error handling"). The service layer
raises these; ``soap/faults.py`` is the only place that turns them into XML.
"""

from __future__ import annotations

from enum import Enum


class FaultCode(Enum):
    SENDER = "Sender"
    RECEIVER = "Receiver"


class OnvifError(Exception):
    """Base of every error that becomes a SOAP fault."""

    code: FaultCode = FaultCode.SENDER
    subcodes: tuple[str, ...] = ("InvalidArgVal",)
    http_status: int = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SenderFault(OnvifError):
    """A fault caused by the request: ``env:Sender``, HTTP 400."""

    code = FaultCode.SENDER
    http_status = 400


class ReceiverFault(OnvifError):
    """A fault on the device side: ``env:Receiver``, HTTP 500."""

    code = FaultCode.RECEIVER
    http_status = 500


# Generic faults (ONVIF Core, "Generic faults").


class WellFormed(SenderFault):
    subcodes = ("WellFormed",)


class TagMismatch(SenderFault):
    subcodes = ("TagMismatch",)


class InvalidArgs(SenderFault):
    subcodes = ("InvalidArgs",)


class InvalidArgVal(SenderFault):
    subcodes = ("InvalidArgVal",)


class UnknownAction(SenderFault):
    subcodes = ("UnknownAction",)


class NotAuthorized(SenderFault):
    subcodes = ("NotAuthorized",)


class ActionNotSupported(ReceiverFault):
    subcodes = ("ActionNotSupported",)


class NotImplementedFault(ReceiverFault):
    subcodes = ("ActionNotSupported", "NotImplemented")


class OutOfMemory(ReceiverFault):
    subcodes = ("OutofMemory",)


class CriticalError(ReceiverFault):
    subcodes = ("CriticalError",)


# Recording Control (RC §5.4-5.24).


class NoRecording(SenderFault):
    subcodes = ("InvalidArgVal", "NoRecording")


class InvalidStreamSetup(SenderFault):
    """Replay GetReplayUri: the StreamSetup is not supported."""

    subcodes = ("InvalidArgVal", "InvalidStreamSetup")


class NoTrack(SenderFault):
    subcodes = ("InvalidArgVal", "NoTrack")


class NoRecordingJob(SenderFault):
    subcodes = ("InvalidArgVal", "NoRecordingJob")


class BadConfiguration(SenderFault):
    subcodes = ("InvalidArgVal", "BadConfiguration")


class AmbiguousConfiguration(SenderFault):
    subcodes = ("InvalidArgVal", "AmbiguousConfiguration")


class BadMode(SenderFault):
    subcodes = ("InvalidArgVal", "BadMode")


class BadDuration(SenderFault):
    subcodes = ("InvalidArgVal", "BadDuration")


class MaxRecordings(ReceiverFault):
    subcodes = ("Action", "MaxRecordings")


class MaxTracks(ReceiverFault):
    subcodes = ("Action", "MaxTracks")


class MaxRecordingJobs(ReceiverFault):
    subcodes = ("Action", "MaxRecordingJobs")


class CannotDelete(ReceiverFault):
    subcodes = ("Action", "CannotDelete")


# RC 26.06: StorageStrategy and the segment operations (§5.3.1, §5.26-5.28).


class NoLocalRecording(ReceiverFault):
    """Local recording not possible (e.g. missing medium)."""

    subcodes = ("Action", "NoLocalRecording")


class UnsupportedStorageStrategy(ReceiverFault):
    subcodes = ("Action", "UnsupportedStorageStrategy")


class NoStorage(SenderFault):
    """ListRecordedSegments: the Target names no existing storage configuration."""

    subcodes = ("InvalidArgVal", "NoStorage")


class NoOperation(SenderFault):
    """StopExportRecordedSegments: the operation token names no operation."""

    subcodes = ("InvalidArgVal", "NoOperation")


# Receiver service.


class UnknownToken(SenderFault):
    subcodes = ("InvalidArgVal", "UnknownToken")


class MaxReceivers(ReceiverFault):
    subcodes = ("Action", "MaxReceivers")


class CannotDeleteReceiver(ReceiverFault):
    subcodes = ("Action", "CannotDeleteReceiver")


# Device service (Core: user handling, storage configuration).


class UsernameClash(SenderFault):
    subcodes = ("OperationProhibited", "UsernameClash")


class PasswordTooLong(SenderFault):
    subcodes = ("OperationProhibited", "PasswordTooLong")


class UsernameTooLong(SenderFault):
    subcodes = ("OperationProhibited", "UsernameTooLong")


class PasswordTooWeak(SenderFault):
    subcodes = ("OperationProhibited", "PasswordTooWeak")


class TooManyUsers(ReceiverFault):
    subcodes = ("Action", "TooManyUsers")


class AnonymousNotAllowed(SenderFault):
    subcodes = ("OperationProhibited", "AnonymousNotAllowed")


class UsernameTooShort(SenderFault):
    subcodes = ("OperationProhibited", "UsernameTooShort")


class UsernameMissing(SenderFault):
    subcodes = ("InvalidArgVal", "UsernameMissing")


class FixedUser(SenderFault):
    subcodes = ("InvalidArgVal", "FixedUser")


class MaxStorageConfigurations(ReceiverFault):
    subcodes = ("OperationProhibited", "MaxStorageConfigurations")


class ConfigModify(SenderFault):
    """Core SetStorageConfiguration: the configuration parameters are not possible to set."""

    subcodes = ("InvalidArgVal", "ConfigModify")


class OperationProhibited(SenderFault):
    """Core generic fault: the requested operation is not permitted by the device."""

    subcodes = ("OperationProhibited",)


class NoSuchService(ReceiverFault):
    """Core GetCapabilities: the requested WSDL service category is not supported."""

    subcodes = ("ActionNotSupported", "NoSuchService")


class NoConfig(SenderFault):
    subcodes = ("InvalidArgVal", "NoConfig")


# Schedule service (Sched §5; PACS faults: ``ter:CapabilityViolated`` is not in Core).


class TooManyItems(SenderFault):
    subcodes = ("InvalidArgs", "TooManyItems")


class InvalidStartReference(SenderFault):
    subcodes = ("InvalidArgVal", "InvalidStartReference")


class NotFound(SenderFault):
    subcodes = ("InvalidArgVal", "NotFound")


class ReferenceNotFound(SenderFault):
    subcodes = ("InvalidArgVal", "ReferenceNotFound")


class ReferenceInUse(SenderFault):
    subcodes = ("InvalidArgVal", "ReferenceInUse")


class MaxSchedules(ReceiverFault):
    subcodes = ("CapabilityViolated", "MaxSchedules")


class MaxSpecialDayGroups(ReceiverFault):
    subcodes = ("CapabilityViolated", "MaxSpecialDayGroups")


class MaxSpecialDaysSchedules(SenderFault):
    subcodes = ("CapabilityViolated", "MaxSpecialDaysSchedules")


class MaxTimePeriodsPerDay(SenderFault):
    subcodes = ("CapabilityViolated", "MaxTimePeriodsPerDay")


class MaxDaysInSpecialDayGroup(SenderFault):
    subcodes = ("CapabilityViolated", "MaxDaysInSpecialDayGroup")


class MissingToken(SenderFault):
    subcodes = ("InvalidArgVal", "MissingToken")


# Advanced Security keystore (ASec §5.2.6; its ``ter:Sender``/``ter:Receiver`` read as env:)
class BadCertificate(SenderFault):
    subcodes = ("InvalidArgVal", "BadCertificate")


class UnsupportedPublicKeyAlgorithm(SenderFault):
    subcodes = ("InvalidArgVal", "UnsupportedPublicKeyAlgorithm")


class NoMatchingPrivateKey(ReceiverFault):
    subcodes = ("Action", "NoMatchingPrivateKey")


class MaximumNumberOfCertificatesReached(ReceiverFault):
    subcodes = ("Action", "MaximumNumberOfCertificatesReached")


class UnknownCertificateID(SenderFault):
    subcodes = ("InvalidArgVal", "CertificateID")


class UnknownKeyID(SenderFault):
    subcodes = ("InvalidArgVal", "KeyID")


class ReferenceExists(SenderFault):
    subcodes = ("InvalidArgVal", "ReferenceExists")
# Recording Search (Search 25.12 §5.5-5.15)


class InvalidToken(SenderFault):
    """Search: unknown recording token, or a search session that does not exist (any more)."""

    subcodes = ("InvalidArgVal", "InvalidToken")


class InvalidSource(SenderFault):
    subcodes = ("InvalidArgVal", "InvalidSource")


class InvalidFilterFault(SenderFault):
    """Search §5.9: the search filter is invalid (also used for FindRecordings' filter)."""

    subcodes = ("InvalidArgVal", "InvalidFilterFault")


class ResourceProblem(ReceiverFault):
    """Search §5.7: the device cannot start another search session now."""

    subcodes = ("Action", "ResourceProblem")


# Device management: scopes, date and time, system (Core 25.12, "Device management").


class NoService(SenderFault):
    """A POST to a path where no service lives (answered 404, never dispatched)."""

    subcodes = ()
    http_status = 404


class TooManyScopes(ReceiverFault):
    subcodes = ("Action", "TooManyScopes")


class FixedScope(SenderFault):
    subcodes = ("OperationProhibited", "FixedScope")


class ScopeOverwrite(SenderFault):
    """Named by Core up to 2.x for SetScopes naming a fixed scope; 25.12 keeps no other."""

    subcodes = ("OperationProhibited", "ScopeOverwrite")


class NoScope(SenderFault):
    subcodes = ("InvalidArgVal", "NoScope")


class InvalidTimeZone(SenderFault):
    subcodes = ("InvalidArgVal", "InvalidTimeZone")


class InvalidDateTime(SenderFault):
    subcodes = ("InvalidArgVal", "InvalidDateTime")


class SystemlogUnavailable(SenderFault):
    subcodes = ("InvalidArgs", "SystemlogUnavailable")


class AccesslogUnavailable(SenderFault):
    subcodes = ("InvalidArgs", "AccesslogUnavailable")
