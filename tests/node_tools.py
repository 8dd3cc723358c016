"""Runs the pinned npm tools in tools/alexa, failing (never skipping) when they are not installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

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


NODE_TIMEOUT_S = 300


def run_json_tool(script: Path, package: str, payload: object, *arguments: str) -> dict[str, Any]:
    """Pipe `payload` as JSON through a tool that reports in JSON and exits 0 (all good) or 1 (failures
    found); anything else, such as 2 for bad input, fails the test with the tool's stderr."""
    done = subprocess.run(
        node_command(script, package, *arguments),
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    assert done.returncode in (0, 1), f"{script.name} failed to run ({done.returncode}):\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report
