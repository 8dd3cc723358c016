"""The skill's words: a clinician reviews and edits `skill/data/content.yaml`; the skill reads its compiled
copy `skill/runtime/data/content.json` (see `skill.tools.sources`), because importing PyYAML alone
cost a Lambda cold start 15 ms.

`tpi-skill build-models` recompiles it, and CI fails when the copy is out of date.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from skill.runtime.mentions import UNKNOWN_PART, VAGUE

RUNTIME_DATA = Path(__file__).resolve().parent / "data"
"""What the skill reads while answering; the Lambda zip carries this folder."""
COMPILED = "content.json"

DEFAULT_PRONUNCIATION_LOCALE = "en-US"

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
class Fact:
    """A narrow question with its own answer in the leaflet; `topic` is the broad topic it belongs to."""

    id: str
    intent: str
    title: str
    topic: str
    speech: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class BodyPart:
    """A muscle or region the leaflet mentions, as patients name it; `topic` is offered next."""

    id: str
    title: str
    topic: str
    speech: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class UnknownPart:
    title: str
    speech: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NotCovered:
    title: str
    named: str
    unnamed: str
    suggestion: str
    suggested_topics: tuple[str, ...]
    answered_by_topic: dict[str, str]
    subject_intents: dict[str, str]
    subjects: dict[str, str]


@dataclass(frozen=True)
class Social:
    intent: str
    title: str
    speech: str
    reprompt: str


@dataclass(frozen=True)
class SpeechRates:
    levels: tuple[str, ...]
    normal: int


@dataclass(frozen=True)
class Content:
    skill_name: str
    pronunciations: dict[str, dict[str, str]]
    spellings: dict[str, dict[str, str]]
    speech_rates: SpeechRates
    phrases: dict[str, str]
    topics: tuple[Topic, ...]
    facts: tuple[Fact, ...]
    body_parts: tuple[BodyPart, ...]
    unknown_part: UnknownPart
    not_covered: NotCovered
    social: dict[str, Social]
    mentions: dict[str, str]
    """Words a patient may use for a subject (from the slot types of model.yaml), each with the id it
    stands for: lets an unresolved slot's words still find the answer they ask for."""

    @functools.cached_property
    def topic_by_id(self) -> dict[str, Topic]:
        return {topic.id: topic for topic in self.topics}

    @functools.cached_property
    def topic_ids(self) -> frozenset[str]:
        return frozenset(self.topic_by_id)

    @functools.cached_property
    def topic_by_intent(self) -> dict[str, Topic]:
        return {topic.intent: topic for topic in self.topics}

    @functools.cached_property
    def _pronunciation_pairs(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {locale: tuple(sorted(words.items())) for locale, words in self.pronunciations.items()}

    def pronunciation_pairs(self, locale: str | None) -> tuple[tuple[str, str], ...]:
        """(word, IPA) pairs for the locale's voice; American ones for a locale the content lacks."""
        pairs = self._pronunciation_pairs
        return pairs.get(locale or "", pairs[DEFAULT_PRONUNCIATION_LOCALE])

    @functools.cached_property
    def fact_by_id(self) -> dict[str, Fact]:
        return {fact.id: fact for fact in self.facts}

    @functools.cached_property
    def fact_by_intent(self) -> dict[str, Fact]:
        return {fact.intent: fact for fact in self.facts}

    @functools.cached_property
    def social_by_intent(self) -> dict[str, str]:
        return {social.intent: key for key, social in self.social.items()}

    @functools.cached_property
    def body_part_meanings(self) -> frozenset[str]:
        """What a body-part slot's words can mean: a part, or one the leaflet lacks or leaves vague."""
        return frozenset(self.body_part_by_id) | {UNKNOWN_PART, VAGUE}

    @functools.cached_property
    def body_part_by_id(self) -> dict[str, BodyPart]:
        return {part.id: part for part in self.body_parts}

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
        pronunciations={locale: dict(words) for locale, words in raw["pronunciations"].items()},
        spellings={locale: dict(words) for locale, words in raw["spellings"].items()},
        speech_rates=_record(SpeechRates, raw["speech_rates"]),
        phrases=dict(raw["phrases"]),
        topics=tuple(_record(Topic, item) for item in raw["topics"]),
        facts=tuple(_record(Fact, item) for item in raw["facts"]),
        body_parts=tuple(_record(BodyPart, item) for item in raw["body_parts"]),
        unknown_part=_record(UnknownPart, raw["unknown_part"]),
        not_covered=_record(NotCovered, raw["not_covered"]),
        social={key: _record(Social, item) for key, item in raw["social"].items()},
        mentions=dict(raw["mentions"]),
    )


def check_references(content: Content) -> None:
    """Every topic an answer offers, and every intent, must exist once: refuse the build otherwise,
    rather than offer a patient a topic the skill cannot give."""
    topics = content.topic_by_id
    offered = {
        **{f"topic {t.id} next": t.next for t in content.topics if t.next},
        **{f"fact {f.id}": f.topic for f in content.facts},
        **{f"body part {p.id}": p.topic for p in content.body_parts},
        **{f"not covered {k}": v for k, v in content.not_covered.answered_by_topic.items()},
        **{f"suggested {t}": t for t in content.not_covered.suggested_topics},
    }
    missing = {where: topic for where, topic in offered.items() if topic not in topics}
    unknown_subjects = set(content.not_covered.subject_intents.values()) - set(content.not_covered.subjects)
    intents = [t.intent for t in content.topics] + [f.intent for f in content.facts]
    intents += [s.intent for s in content.social.values()] + list(content.not_covered.subject_intents)
    repeated = sorted({name for name in intents if intents.count(name) > 1})
    if missing or unknown_subjects or repeated:
        raise ValueError(
            f"content: unknown topics {missing}, unknown subjects {sorted(unknown_subjects)}, "
            f"intents answered twice {repeated}"
        )


def read_data_file(name: str) -> str:
    return (RUNTIME_DATA / name).read_text(encoding="utf-8")


@functools.cache
def load_content() -> Content:
    """The skill's content, parsed once per process."""
    return parse_content(json.loads(read_data_file(COMPILED)))
