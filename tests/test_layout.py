"""The folder tree is the architecture: the runtime that ships to Lambda stands on its own."""

from __future__ import annotations

import ast
from pathlib import Path

RUNTIME = Path(__file__).resolve().parent.parent / "skill" / "runtime"

# What Lambda's zip provides besides the standard library.
SHIPPED = {"skill", "ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime"}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_runtime_imports_neither_the_web_service_nor_the_tools() -> None:
    offending = {
        f"{path.relative_to(RUNTIME)}: {name}"
        for path in RUNTIME.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[:2] in (["skill", "web"], ["skill", "tools"])
    }
    assert not offending


def test_runtime_needs_only_what_the_lambda_zip_carries() -> None:
    import sys

    third_party = {
        f"{path.relative_to(RUNTIME)}: {name}"
        for path in RUNTIME.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] not in SHIPPED and name.split(".")[0] not in sys.stdlib_module_names
    }
    assert not third_party
