"""Core's Default Access Policy: every access class against every user level."""

from __future__ import annotations

import pytest

from onvif_recorder.domain.errors import NotAuthorized
from onvif_recorder.domain.users import UserLevel
from onvif_recorder.soap.security.access import AccessClass, is_allowed, require_access

A = AccessClass
ADMIN, OPERATOR, USER, ANON = "Administrator", "Operator", "User", "Anonymous"

# Transcribed from Core table "Default Access Policy Definition" (an "X" per level).
CORE_TABLE: dict[AccessClass, set[str]] = {
    A.PRE_AUTH: {ADMIN, OPERATOR, USER, ANON},
    A.READ_SYSTEM: {ADMIN, OPERATOR, USER},
    A.READ_SYSTEM_SENSITIVE: {ADMIN, OPERATOR},
    A.READ_SYSTEM_SECRET: {ADMIN},
    A.WRITE_SYSTEM: {ADMIN},
    A.UNRECOVERABLE: {ADMIN},
    A.READ_MEDIA: {ADMIN, OPERATOR, USER},
    A.ACTUATE: {ADMIN, OPERATOR},
}

FIXED_LEVELS = [UserLevel.ADMINISTRATOR, UserLevel.OPERATOR, UserLevel.USER, UserLevel.ANONYMOUS]


def test_table_covers_every_access_class() -> None:
    assert set(CORE_TABLE) == set(AccessClass)


@pytest.mark.parametrize("access", list(AccessClass))
@pytest.mark.parametrize("level", FIXED_LEVELS)
def test_fixed_levels_follow_core_table(level: UserLevel, access: AccessClass) -> None:
    assert is_allowed(level, access) is (level.value in CORE_TABLE[access])


@pytest.mark.parametrize("access", list(AccessClass))
def test_unauthenticated_is_anonymous(access: AccessClass) -> None:
    assert is_allowed(None, access) is (ANON in CORE_TABLE[access])
    assert is_allowed(None, access) is is_allowed(UserLevel.ANONYMOUS, access)


@pytest.mark.parametrize("access", list(AccessClass))
def test_extended_without_roles_gets_pre_auth_only(access: AccessClass) -> None:
    assert is_allowed(UserLevel.EXTENDED, access) is (access is A.PRE_AUTH)


def test_recording_control_consequences() -> None:
    # conformance.md §4.4: User may read media but not actuate; Operator may do both.
    assert is_allowed(UserLevel.USER, A.READ_MEDIA)
    assert not is_allowed(UserLevel.USER, A.ACTUATE)
    assert is_allowed(UserLevel.OPERATOR, A.ACTUATE)
    assert not is_allowed(None, A.READ_MEDIA)


def test_require_access_raises_not_authorized() -> None:
    require_access(UserLevel.ADMINISTRATOR, A.UNRECOVERABLE)
    require_access(None, A.PRE_AUTH)
    with pytest.raises(NotAuthorized, match=r"User may not call .* ACTUATE"):
        require_access(UserLevel.USER, A.ACTUATE)
    with pytest.raises(NotAuthorized, match="unauthenticated"):
        require_access(None, A.READ_SYSTEM)
