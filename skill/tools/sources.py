"""The reviewed sources in `skill/data/`: the leaflet, `content.yaml` and `model.yaml`.

Only the build and the tests read them; the runtime reads `content.json`, compiled from them here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from skill.runtime.content import COMPILED, RUNTIME_DATA, check_references, parse_content

SOURCES = Path(__file__).resolve().parents[1] / "data"
CONTENT_SOURCE = "content.yaml"


def read_source(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


def parse_yaml(text: str) -> Any:
    """Safe-load YAML with libyaml's parser when PyYAML has it (its wheels do): the same data ten times
    faster, and `tpi-skill ask` parses the model and the content at every start."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def content_source() -> dict[str, Any]:
    """`content.yaml` parsed once per build (only the build needs PyYAML)."""
    parsed: dict[str, Any] = parse_yaml(read_source(CONTENT_SOURCE))
    return parsed


def compile_content(mentions: dict[str, str]) -> str:
    """`content.yaml` as the JSON text the skill loads, with the `mentions` table the model builder
    derives from the slot types."""
    raw = {**content_source(), "mentions": dict(sorted(mentions.items()))}
    check_references(parse_content(raw))  # a malformed source fails here, not on a patient's request
    note = f"Generated from {CONTENT_SOURCE} by `tpi-skill build-models`: edit that file, not this one."
    return json.dumps({"_generated": note, **raw}, ensure_ascii=False, indent=1) + "\n"


def source_phrases() -> dict[str, str]:
    """The phrases of `content.yaml` itself (for the model builder, which runs before compiling)."""
    phrases: dict[str, str] = content_source()["phrases"]
    return phrases


def compiled_path() -> Path:
    return RUNTIME_DATA / COMPILED


@functools.cache
def leaflet_text() -> str:
    """The shipped leaflet, the only source of truth."""
    return read_source("leaflet.txt")
