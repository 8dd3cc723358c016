"""Runs the pinned npm tools in tools/alexa, failing (never skipping) when they are not installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "alexa"


def node_command(script: Path, package: str, *arguments: str) -> list[str]:
    """`node <script> <arguments>`, or a test failure saying how to install what is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is not on PATH: the {package} check needs it (Node 18 or later)")
    if not (TOOLS / "node_modules" / package).is_dir():
        pytest.fail(
            f"{TOOLS / 'node_modules'} is missing: run `npm ci --prefix tools/alexa` "
            "(scripts/test.sh does this before pytest)"
        )
    return [node, str(script), *arguments]
