"""PullPoint subscriptions (Core "Real-time Pull-Point Notification Interface" and "Pull
Point Lifecycle"): created within MaxPullPoints, each with a termination time that Renew
and PullMessages move, gone once that time has passed or on Unsubscribe.

Pure and clock-free: every operation is given ``now``. Expired pull points are swept when
the limit is reached, and by whoever calls :meth:`SubscriptionManager.sweep` (the app does,
once a second), so an abandoned subscription releases its queue without any client action.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from onvif_recorder.events.errors import (
    PullPointLimit,
    UnacceptableTermination,
    UnknownSubscription,
)
from onvif_recorder.events.filters import EventFilter
from onvif_recorder.service.events import EventBus, Subscriber
from onvif_recorder.settings import Limits

MINIMUM_LIFETIME = timedelta(seconds=1)  # named as MinimumTime when a time is refused


@dataclass(frozen=True, slots=True)
class PullPointLimits:
    max_pull_points: int
    default_termination: timedelta
    max_termination: timedelta

    @classmethod
    def from_limits(cls, limits: Limits) -> PullPointLimits:
        return cls(
            max_pull_points=limits.max_pull_points,
            default_termination=timedelta(seconds=limits.default_subscription_s),
            max_termination=timedelta(seconds=limits.max_subscription_s),
        )


@dataclass(frozen=True, slots=True)
class RequestedTime:
    """wsnt:AbsoluteOrRelativeTimeType: an xs:dateTime or an xs:duration from now."""

    absolute: datetime | None = None
    relative: timedelta | None = None

    def at(self, now: datetime) -> datetime:
        if self.absolute is not None:
            return self.absolute
        return now + (self.relative or timedelta(0))


@dataclass(eq=False)
class PullPoint:
    id: str
    subscriber: Subscriber
    termination: datetime
    pulling: bool = False  # a PullMessages is waiting on it

    def keep_alive(self, now: datetime, timeout: timedelta) -> None:
        """Core: after PullMessages the pull point lives at least its Timeout longer."""
        self.termination = max(self.termination, now + timeout)


def new_pull_point_id() -> str:
    """Unguessable: the id is the only handle on a subscription besides the caller's rights."""
    return secrets.token_hex(16)


class SubscriptionManager:
    def __init__(
        self,
        bus: EventBus,
        limits: PullPointLimits,
        new_id: Callable[[], str] = new_pull_point_id,
    ) -> None:
        self._bus = bus
        self.limits = limits
        self._new_id = new_id
        self._pull_points: dict[str, PullPoint] = {}

    def __len__(self) -> int:
        return len(self._pull_points)

    def create(
        self, event_filter: EventFilter, requested: RequestedTime | None, now: datetime
    ) -> PullPoint:
        if len(self._pull_points) >= self.limits.max_pull_points:
            self.sweep(now)  # expired ones may still hold a place
        if len(self._pull_points) >= self.limits.max_pull_points:
            raise PullPointLimit(f"{self.limits.max_pull_points} pull points exist already")
        termination = self._termination(requested, now)
        subscriber = self._bus.subscribe(event_filter.accepts)
        pull_point = PullPoint(self._new_id(), subscriber, termination)
        self._pull_points[pull_point.id] = pull_point
        return pull_point

    def get(self, pull_point_id: str, now: datetime) -> PullPoint:
        pull_point = self._pull_points.get(pull_point_id)
        if pull_point is not None and pull_point.termination < now:
            self._remove(pull_point)
            pull_point = None
        if pull_point is None:
            raise UnknownSubscription("no such subscription, or it has expired")
        return pull_point

    def renew(
        self, pull_point_id: str, requested: RequestedTime | None, now: datetime
    ) -> datetime:
        """A new termination time; None (a nil TerminationTime) means the default one."""
        pull_point = self.get(pull_point_id, now)
        pull_point.termination = self._termination(requested, now)
        return pull_point.termination

    def unsubscribe(self, pull_point_id: str, now: datetime) -> None:
        self._remove(self.get(pull_point_id, now))

    def close(self) -> None:
        """Remove every pull point: the recorder stops, and waiting pulls answer at once."""
        for pull_point in list(self._pull_points.values()):
            self._remove(pull_point)

    def sweep(self, now: datetime) -> int:
        """Remove every expired pull point; return how many."""
        expired = [p for p in self._pull_points.values() if p.termination < now]
        for pull_point in expired:
            self._remove(pull_point)
        return len(expired)

    def _remove(self, pull_point: PullPoint) -> None:
        self._pull_points.pop(pull_point.id, None)
        self._bus.unsubscribe(pull_point.subscriber)

    def _termination(self, requested: RequestedTime | None, now: datetime) -> datetime:
        if requested is None:
            return now + self.limits.default_termination
        termination = requested.at(now)
        latest = now + self.limits.max_termination
        if termination <= now or termination > latest:
            raise UnacceptableTermination(
                f"the termination time must be after now and at most "
                f"{int(self.limits.max_termination.total_seconds())} s from now",
                now + MINIMUM_LIFETIME,
                latest,
            )
        return termination
