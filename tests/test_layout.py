"""The folder tree is the architecture: the runtime that ships to Lambda stands on its own."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "skill" / "runtime"

# What Lambda's zip provides besides the standard library.
SHIPPED = {"skill", "ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime"}
FORBIDDEN = (["skill", "web"], ["skill", "tools"])


def package_of(path: Path) -> str:
    """The dotted package a file's relative imports start from (for __init__.py, the package itself)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1])


def imported_modules_in(source: str, package: str) -> set[str]:
    """Every module a source names, relative imports resolved, `from a import b` also counted as `a.b`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def imported_modules(path: Path) -> set[str]:
    return imported_modules_in(path.read_text(encoding="utf-8"), package_of(path))


def forbidden(names: set[str]) -> set[str]:
    return {name for name in names if name.split(".")[:2] in FORBIDDEN}


def test_runtime_imports_neither_the_web_service_nor_the_tools() -> None:
    offending = {
        f"{path.relative_to(RUNTIME)}: {name}"
        for path in RUNTIME.rglob("*.py")
        for name in forbidden(imported_modules(path))
    }
    assert not offending


def test_relative_and_from_package_imports_of_the_web_or_tools_are_caught() -> None:
    """A sneaky `from ..web import x` or `from skill import tools` must not slip past the layout check."""
    source = "from ..web import service\nfrom skill import tools\nfrom . import speech\nimport json\n"
    names = imported_modules_in(source, "skill.runtime")
    assert forbidden(names) == {"skill.web", "skill.web.service", "skill.tools"}
    assert "skill.runtime.speech" in names
    assert package_of(RUNTIME / "__init__.py") == "skill.runtime"
    assert package_of(RUNTIME / "handlers.py") == "skill.runtime"


def test_runtime_needs_only_what_the_lambda_zip_carries() -> None:
    third_party = {
        f"{path.relative_to(RUNTIME)}: {name}"
        for path in RUNTIME.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] not in SHIPPED and name.split(".")[0] not in sys.stdlib_module_names
    }
    assert not third_party
