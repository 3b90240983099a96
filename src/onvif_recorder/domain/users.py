"""Device users and their levels (ONVIF Core, "User handling")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class UserLevel(Enum):
    ADMINISTRATOR = "Administrator"
    OPERATOR = "Operator"
    USER = "User"
    ANONYMOUS = "Anonymous"
    EXTENDED = "Extended"


@dataclass(frozen=True, slots=True)
class User:
    """A device user. The password is kept because both WS-UsernameToken digest and
    HTTP Digest need the shared secret; it is never returned by GetUsers."""

    username: str
    password: str
    level: UserLevel
