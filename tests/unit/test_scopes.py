"""Scope list rules of Core 25.12 GetScopes/SetScopes/AddScopes/RemoveScopes."""

from __future__ import annotations

import pytest

from onvif_recorder.domain import errors
from onvif_recorder.service.scopes import (
    Scopes,
    add_scopes,
    fixed_scopes,
    remove_scopes,
    set_scopes,
)

ON = "onvif://www.onvif.org/"
FIXED = fixed_scopes("onvif-recorder", "A1B2")
START = Scopes(FIXED, (ON + "location/unknown",))


def test_fixed_scopes_name_profile_type_hardware_and_name() -> None:
    assert FIXED == (ON + "Profile/G", ON + "type/Network_Video_Storage",
                     ON + "hardware/onvif-recorder", ON + "name/onvif-recorder-A1B2")
    assert fixed_scopes("my model/2", "X")[2] == ON + "hardware/my_model_2"


def test_set_replaces_configurable_and_keeps_order() -> None:
    assert set_scopes(START, [ON + "name/b", ON + "name/a", ON + "name/b"], 32) == (
        ON + "name/b", ON + "name/a")
    assert set_scopes(START, [], 32) == ()


def test_add_appends_only_new_ones() -> None:
    assert add_scopes(START, [ON + "name/x", ON + "location/unknown", FIXED[0]], 32) == (
        ON + "location/unknown", ON + "name/x")


def test_remove_all_or_nothing() -> None:
    assert remove_scopes(START, [ON + "location/unknown"]) == ()
    with pytest.raises(errors.FixedScope):
        remove_scopes(START, [FIXED[0]])
    with pytest.raises(errors.NoScope):
        remove_scopes(START, [ON + "location/unknown", ON + "name/none"])


def test_limits_and_invalid_uris() -> None:
    with pytest.raises(errors.TooManyScopes):
        set_scopes(START, [f"{ON}x/{i}" for i in range(5)], len(FIXED) + 4)
    with pytest.raises(errors.TooManyScopes):
        add_scopes(START, [f"{ON}x/{i}" for i in range(4)], len(FIXED) + 4)
    with pytest.raises(errors.ScopeOverwrite):
        set_scopes(START, [FIXED[1]], 32)
    for bad in ("relative/path", "onvif://a b", "x:" + "y" * 300, ""):
        with pytest.raises(errors.InvalidArgVal):
            add_scopes(START, [bad], 32)
