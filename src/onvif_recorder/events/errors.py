"""Why a subscription request is refused. Pure: the SOAP adapter turns each into the
WS-BaseNotification or WS-ResourceFramework fault that Core names for it."""

from __future__ import annotations

from datetime import datetime


class EventServiceError(Exception):
    """Base of the refusals; the message becomes the fault's Reason and Description."""


class InvalidTopicExpression(EventServiceError):
    """wsnt:InvalidTopicExpressionFault: the expression is not in its dialect's syntax."""


class TopicNotSupported(EventServiceError):
    """wsnt:TopicNotSupportedFault: the expression names no topic this device emits."""


class TopicExpressionDialectUnknown(EventServiceError):
    """wsnt:TopicExpressionDialectUnknownFault."""


class InvalidMessageContent(EventServiceError):
    """wsnt:InvalidMessageContentExpressionFault: not an ItemFilter expression."""


class InvalidFilter(EventServiceError):
    """wsnt:InvalidFilterFault: filter components this device does not understand."""

    def __init__(self, message: str, unknown: tuple[str, ...]) -> None:
        super().__init__(message)
        self.unknown = unknown  # Clark names of the unknown filter elements


class UnrecognizedPolicy(EventServiceError):
    """wsnt:UnrecognizedPolicyRequestFault."""

    def __init__(self, message: str, policies: tuple[str, ...]) -> None:
        super().__init__(message)
        self.policies = policies  # Clark names


class UnknownSubscription(EventServiceError):
    """wsrf-r:ResourceUnknownFault: no such pull point, or it has expired."""


class PullPointLimit(EventServiceError):
    """wsnt:SubscribeCreationFailedFault: MaxPullPoints pull points exist already."""


class PullInProgress(EventServiceError):
    """wsnt:UnableToGetMessagesFault: Core, a PullMessages is already blocking."""


class UnacceptableTermination(EventServiceError):
    """Unacceptable(Initial)TerminationTimeFault, with the range the device accepts."""

    def __init__(self, message: str, minimum: datetime, maximum: datetime) -> None:
        super().__init__(message)
        self.minimum = minimum
        self.maximum = maximum
