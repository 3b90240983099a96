"""Access classes and ONVIF Core's Default Access Policy (Core, "User-based access control").

Core defines the policy for the four fixed user levels only. An *Extended* user's rights
come from the roles configured in its ``Extension`` element ("authorization will depend on
the information configured in the corresponding Extension field"); an Extended user holding
the ``onvif:User`` role is equivalent to a User, and so on. This device's user model carries
no roles, so an Extended user holds no role and is granted only what needs no
authentication (PRE_AUTH): the policy fails closed rather than guessing a level.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import UserLevel


class AccessClass(Enum):
    """The impact class of a service request (Core, "Access classes for service requests")."""

    PRE_AUTH = "PRE_AUTH"
    READ_SYSTEM = "READ_SYSTEM"
    READ_SYSTEM_SENSITIVE = "READ_SYSTEM_SENSITIVE"
    READ_SYSTEM_SECRET = "READ_SYSTEM_SECRET"
    WRITE_SYSTEM = "WRITE_SYSTEM"
    UNRECOVERABLE = "UNRECOVERABLE"
    READ_MEDIA = "READ_MEDIA"
    ACTUATE = "ACTUATE"


_ADMIN = UserLevel.ADMINISTRATOR
_OPERATOR = UserLevel.OPERATOR
_USER = UserLevel.USER
_ANONYMOUS = UserLevel.ANONYMOUS

# Core table "Default Access Policy Definition": the levels with an "X" in each row.
DEFAULT_ACCESS_POLICY: Mapping[AccessClass, frozenset[UserLevel]] = MappingProxyType(
    {
        AccessClass.PRE_AUTH: frozenset({_ADMIN, _OPERATOR, _USER, _ANONYMOUS}),
        AccessClass.READ_SYSTEM: frozenset({_ADMIN, _OPERATOR, _USER}),
        AccessClass.READ_SYSTEM_SENSITIVE: frozenset({_ADMIN, _OPERATOR}),
        AccessClass.READ_SYSTEM_SECRET: frozenset({_ADMIN}),
        AccessClass.WRITE_SYSTEM: frozenset({_ADMIN}),
        AccessClass.UNRECOVERABLE: frozenset({_ADMIN}),
        AccessClass.READ_MEDIA: frozenset({_ADMIN, _OPERATOR, _USER}),
        AccessClass.ACTUATE: frozenset({_ADMIN, _OPERATOR}),
    }
)


def is_allowed(level: UserLevel | None, access: AccessClass) -> bool:
    """Whether a caller of ``level`` may invoke an operation of class ``access``.

    ``None`` means an unauthenticated caller, who counts as Anonymous. An Extended user
    (no roles in this model) gets PRE_AUTH only; see the module docstring.
    """
    if access is AccessClass.PRE_AUTH:
        return True
    if level is None or level is UserLevel.EXTENDED:
        return False
    return level in DEFAULT_ACCESS_POLICY[access]


def require_access(level: UserLevel | None, access: AccessClass) -> None:
    """Raise NotAuthorized unless ``is_allowed(level, access)``."""
    if not is_allowed(level, access):
        who = "an unauthenticated caller" if level is None else f"user level {level.value}"
        raise NotAuthorized(f"{who} may not call an operation of access class {access.value}")
