"""The skill's words: a clinician reviews and edits `data/content.yaml`; the skill reads its compiled
copy `data/content.json`, because importing PyYAML alone cost a Lambda cold start 15 ms.

`tpi-skill build-models` recompiles it, and CI fails when the copy is out of date.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

SOURCE = "content.yaml"
COMPILED = "content.json"

_Record = TypeVar("_Record")


@dataclass(frozen=True)
class Topic:
    """One leaflet topic: a first answer, an optional follow-up part, and where it comes from."""

    id: str
    intent: str
    title: str
    label: str
    button: str
    offer: str
    speech: str
    sources: tuple[str, ...]
    more: str | None = None
    next: str | None = None


@dataclass(frozen=True)
class Muscle:
    id: str
    name: str
    speech: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class UnknownMuscle:
    heard: str
    unheard: str
    title: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NotCovered:
    title: str
    named: str
    unnamed: str
    suggestion: str
    suggested_topics: tuple[str, ...]
    subjects: dict[str, str]


@dataclass(frozen=True)
class SpeechRates:
    levels: tuple[str, ...]
    normal: int


@dataclass(frozen=True)
class Content:
    skill_name: str
    pronunciations: dict[str, str]
    spellings: dict[str, dict[str, str]]
    speech_rates: SpeechRates
    phrases: dict[str, str]
    topics: tuple[Topic, ...]
    muscles: tuple[Muscle, ...]
    unknown_muscle: UnknownMuscle
    not_covered: NotCovered

    @functools.cached_property
    def topic_by_id(self) -> dict[str, Topic]:
        return {topic.id: topic for topic in self.topics}

    @functools.cached_property
    def topic_by_intent(self) -> dict[str, Topic]:
        return {topic.intent: topic for topic in self.topics}

    @functools.cached_property
    def pronunciation_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.pronunciations.items()))

    @functools.cached_property
    def muscle_by_id(self) -> dict[str, Muscle]:
        return {muscle.id: muscle for muscle in self.muscles}

    def phrase(self, key: str, **values: str) -> str:
        """A reviewed phrase with its `{placeholders}` filled in."""
        return self.phrases[key].format(**values) if values else self.phrases[key]


def _record(cls: type[_Record], raw: dict[str, Any]) -> _Record:
    """One YAML mapping as a typed record: lists become tuples, and a missing or misspelt key fails
    loudly (at build time, when `tpi-skill build-models` compiles the file)."""
    return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()})


def parse_content(raw: dict[str, Any]) -> Content:
    """Turn the content document into typed content."""
    return Content(
        skill_name=raw["skill_name"],
        pronunciations=dict(raw["pronunciations"]),
        spellings={locale: dict(words) for locale, words in raw["spellings"].items()},
        speech_rates=_record(SpeechRates, raw["speech_rates"]),
        phrases=dict(raw["phrases"]),
        topics=tuple(_record(Topic, item) for item in raw["topics"]),
        muscles=tuple(_record(Muscle, item) for item in raw["muscles"]),
        unknown_muscle=_record(UnknownMuscle, raw["unknown_muscle"]),
        not_covered=_record(NotCovered, raw["not_covered"]),
    )


def read_data_file(name: str) -> str:
    """Text of a file shipped in `skill/data`, wherever the package is installed (zip, wheel, tree)."""
    return resources.files("skill").joinpath("data", name).read_text(encoding="utf-8")


@functools.cache
def load_content() -> Content:
    """The skill's content, parsed once per process."""
    return parse_content(json.loads(read_data_file(COMPILED)))


def compile_content() -> str:
    """`content.yaml` as the JSON text the skill loads (only the build needs PyYAML)."""
    import yaml

    raw = yaml.safe_load(read_data_file(SOURCE))
    parse_content(raw)  # a malformed source fails here, at build time, not on a patient's request
    note = f"Generated from {SOURCE} by `tpi-skill build-models`: edit that file, not this one."
    return json.dumps({"_generated": note, **raw}, ensure_ascii=False, indent=1) + "\n"


def compiled_path() -> Path:
    return Path(str(resources.files("skill").joinpath("data", COMPILED)))


@functools.cache
def leaflet_text() -> str:
    """The shipped leaflet, the only source of truth."""
    return read_data_file("leaflet.txt")
