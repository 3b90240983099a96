"""storage/object_key.py, spans.py and object_store.py stay pure: no I/O or adapter imports.

(The storage package as a whole will hold I/O targets, so it is not in the
architecture test's sans-IO list; these modules are checked here.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import onvif_recorder
from tests.architecture.test_sans_io_imports import FORBIDDEN_TOP_LEVEL, imported_names

PACKAGE = Path(onvif_recorder.__file__).parent
PURE = [PACKAGE / "storage" / name for name in ("object_key.py", "spans.py", "object_store.py")]
ALLOWED_OWN = ("onvif_recorder.storage.object_key", "onvif_recorder.mp4.",
               "onvif_recorder.codecs.", "onvif_recorder.domain.")


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.name)
def test_pure_storage_module_imports(path: Path) -> None:
    for name in imported_names(path):
        assert name.split(".")[0] not in FORBIDDEN_TOP_LEVEL | {"os", "io", "pathlib"}, name
        if name.startswith("onvif_recorder"):
            assert name.startswith(ALLOWED_OWN), f"{path.name} imports {name}"
