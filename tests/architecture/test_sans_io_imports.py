"""The layers below the asyncio shell import no I/O framework (exemplars.md §8.1, §9).

Every module is parsed (not imported), so the rules also hold for modules no test happens
to load, and imports inside functions count as much as those at the top. The rules follow
each module's own imports *transitively* through the package: a pure module that imports
a module which imports ``asyncio`` is not pure.

* The protocol and format cores (``rtsp``, ``rtp``, ``codecs``, ``mp4``, ``replay``, Common
  Encryption ``cenc``, and the codec table ``media``) import only each other and no I/O
  or threading. The codec table sits
  above ``rtp`` and ``mp4``: they reach a codec through their own protocols, never by
  importing the table.
* ``domain``, ``service``, ``ingest``, ``recording`` and the pure parts of ``storage``
  (Annex B keys, span attributes, segment facts, the object-store interface) import no
  I/O framework and no adapter (``soap``, ``persistence``, ``engine``). ``service`` may
  take a ``threading`` lock: the event bus is published to from the engine's threads. The
  pure storage modules work on bytes and values only: not even ``os``, ``io`` or
  ``pathlib``.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import onvif_recorder

PACKAGE = Path(onvif_recorder.__file__).parent
CORES = ("rtsp", "rtp", "codecs", "mp4", "cenc", "media", "replay")
CODEC_TABLE = ("media",)
PURE_LAYERS = ("domain", "service", "ingest", "recording")
PURE_STORAGE = ("storage.object_key", "storage.spans", "storage.segment_scan",
                "storage.object_store")
IO_FRAMEWORKS = {"asyncio", "aiohttp", "lxml", "sqlite3", "socket", "aiobotocore", "azure",
                 "selectors", "ssl", "subprocess", "trio", "boto3", "botocore"}
ADAPTERS = ("soap", "persistence", "engine", "events", "web")
FILE_ACCESS = {"os", "io", "pathlib", "shutil"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def direct_imports(module: str) -> tuple[str, ...]:
    path = MODULES[module]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: use absolute imports")
            base = node.module or ""
            names.append(base)
            # ``from onvif_recorder.mp4 import boxes`` imports the submodule boxes.
            names += [f"{base}.{alias.name}" for alias in node.names
                      if f"{base}.{alias.name}".removeprefix("onvif_recorder.") in MODULES]
    return tuple(names)


def own(name: str) -> str | None:
    if name == "onvif_recorder" or not name.startswith("onvif_recorder."):
        return None
    inner = name.removeprefix("onvif_recorder.")
    return inner if inner in MODULES else None


def closure(module: str) -> dict[str, str]:
    """Every module ``module`` reaches through imports, with the module that imports it."""
    reached: dict[str, str] = {}
    pending = [module]
    while pending:
        current = pending.pop()
        for name in direct_imports(current):
            inner = own(name)
            if inner is not None and inner not in reached and inner != module:
                reached[inner] = current
                pending.append(inner)
    return reached


def external(module: str) -> set[str]:
    return {name.split(".")[0] for name in direct_imports(module) if own(name) is None}


def chain(module: str, target: str, reached: dict[str, str]) -> str:
    path = [target]
    while path[-1] != module and path[-1] in reached:
        path.append(reached[path[-1]])
    return " <- ".join(path)


def in_layer(module: str, layers: tuple[str, ...]) -> bool:
    return any(module == layer or module.startswith(layer + ".") for layer in layers)


CORE_MODULES = sorted(m for m in MODULES if in_layer(m, CORES))
PURE_MODULES = sorted(m for m in MODULES if in_layer(m, PURE_LAYERS) or m in PURE_STORAGE)


def test_the_layers_exist() -> None:
    assert len(CORE_MODULES) > 20
    assert len(PURE_MODULES) > 20
    assert all(m in MODULES for m in PURE_STORAGE)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_protocol_cores_import_only_each_other(module: str) -> None:
    reached = closure(module)
    for inner in [module, *reached]:
        forbidden = external(inner) & (IO_FRAMEWORKS | {"threading"})
        assert not forbidden, f"{chain(module, inner, reached)} imports {forbidden}"
        assert in_layer(inner, CORES), f"{chain(module, inner, reached)} leaves the cores"


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_layers_import_no_io(module: str) -> None:
    reached = closure(module)
    for inner in [module, *reached]:
        allowed_threading = in_layer(inner, ("service",))
        forbidden = external(inner) & (IO_FRAMEWORKS | (set() if allowed_threading
                                                        else {"threading"}))
        if module in PURE_STORAGE:
            forbidden |= external(inner) & FILE_ACCESS
        assert not forbidden, f"{chain(module, inner, reached)} imports {forbidden}"
        assert not in_layer(inner, ADAPTERS), f"{chain(module, inner, reached)} is an adapter"


@pytest.mark.parametrize("module", [m for m in CORE_MODULES if not in_layer(m, CODEC_TABLE)])
def test_cores_below_the_codec_table_do_not_reach_it(module: str) -> None:
    reached = closure(module)
    for inner in reached:
        assert not in_layer(inner, CODEC_TABLE), f"{chain(module, inner, reached)} is the table"
