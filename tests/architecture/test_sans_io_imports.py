"""The sans-IO packages import no I/O framework and no adapter (exemplars.md §8.1, §9).

Every module under rtsp/, rtp/, codecs/, mp4/ and media/ is parsed (not imported) and
each import checked, so the rule also holds for modules no test happens to load. The
codec table (media/) sits above rtp/ and mp4/: they reach a codec only through their
own protocols, never by importing the table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import onvif_recorder

PACKAGE = Path(onvif_recorder.__file__).parent
SANS_IO = ("rtsp", "rtp", "codecs", "mp4", "media")
BELOW_THE_CODEC_TABLE = ("rtsp", "rtp", "codecs", "mp4")
FORBIDDEN_TOP_LEVEL = {"asyncio", "aiohttp", "lxml", "sqlite3", "socket", "aiobotocore",
                       "azure", "selectors", "ssl", "threading", "subprocess", "trio"}
FORBIDDEN_OWN = ("onvif_recorder.soap", "onvif_recorder.persistence", "onvif_recorder.service")
MODULES = sorted(p for name in SANS_IO for p in (PACKAGE / name).rglob("*.py"))


def imported_names(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: use absolute imports")
            names.append(node.module or "")
    return names


def test_the_sans_io_packages_exist() -> None:
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_io_imports(path: Path) -> None:
    for name in imported_names(path):
        assert name.split(".")[0] not in FORBIDDEN_TOP_LEVEL, f"{path.name} imports {name}"
        assert not name.startswith(FORBIDDEN_OWN), f"{path.name} imports {name}"
        if name.startswith("onvif_recorder."):
            assert name.split(".")[1] in SANS_IO, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.relative_to(PACKAGE).parts[0]
                                  in BELOW_THE_CODEC_TABLE],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_below_the_codec_table_do_not_import_it(path: Path) -> None:
    for name in imported_names(path):
        assert not name.startswith("onvif_recorder.media"), f"{path.name} imports {name}"
