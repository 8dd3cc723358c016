"""Compiles a locale's interaction model into the lookup tables the resolver reads.

Built once per locale and cached, so resolving is a dictionary lookup or a few dozen regular expressions
in the common case rather than a walk over every sample. The index is plain data (regular expressions
kept as their source, compiled on first use: most questions need none of them), so it is also kept on
disk between runs (`skill.tools.nlu.cache`), keyed by the files it is built from.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from skill.tools import sources
from skill.tools.nlu import cache
from skill.tools.nlu.text import (
    GENERIC,
    STOPWORDS,
    clean_tokens,
    content_words,
    spoken_key,
    strip_fillers,
)


@functools.cache
def compiled(source: str) -> re.Pattern[str]:
    """A regular expression of the index, compiled once per process when first needed."""
    return re.compile(source)


@dataclass(frozen=True)
class Pattern:
    intent: str
    source: str  # the regular expression, compiled by `regex` on first use
    slot_types: tuple[tuple[str, str], ...]  # (slot name, slot type) in sample order
    literal_words: int
    topical: bool  # its fixed wording has a word about the subject ("treated", "inject", "leaflet")

    @property
    def regex(self) -> re.Pattern[str]:
        return compiled(self.source)


@dataclass(frozen=True)
class Entry:
    intent: str
    words: frozenset[str]  # content words, stemmed; slots appear as their type token
    weight: float
    tokens: tuple[str, ...]  # the sample's words in order, to break ties between equal overlaps


@dataclass(frozen=True)
class Index:
    invocation: tuple[str, ...]
    exact: Mapping[str, str]  # a sample without slots, fillers stripped but greetings and thanks kept
    patterns: tuple[Pattern, ...]
    elicitation: Mapping[tuple[str, str], tuple[Pattern, ...]]  # (intent, slot) -> its slot samples
    values: Mapping[str, Mapping[str, tuple[str, str]]]  # type -> spoken key -> (id, name)
    entity_regex: Mapping[str, str]  # type -> any synonym as whole words, longest first (for `compiled`)
    type_words: Mapping[str, frozenset[str]]  # type -> words of its values and hints ("muscle", "biceps")
    hint_words: Mapping[str, frozenset[str]]  # type -> words of its hints only ("biceps", "knee")
    entries: tuple[Entry, ...]
    postings: Mapping[str, tuple[int, ...]]  # content word -> entries holding it
    intent_words: Mapping[str, frozenset[str]]  # intent -> content words of all its samples
    idf: Mapping[str, float]
    unknown_weight: float
    vocabulary: tuple[str, ...]
    known: frozenset[str]
    slots: Mapping[str, Mapping[str, str]]  # intent -> slot name -> type


def type_token(slot_type: str) -> str:
    """The word that stands for any value of `slot_type`, so samples and tagged text compare as words."""
    return f"<{slot_type}>"


def _sample_tokens(sample: str, invocation: Sequence[str], keep_social: bool = False) -> list[str]:
    """Normalise a sample the way typed text is normalised, keeping `{slot}` placeholders whole."""
    tokens: list[str] = []
    for i, piece in enumerate(re.split(r"(\{\w+\})", sample)):
        tokens.extend([piece] if i % 2 else clean_tokens(piece))
    return strip_fillers(tokens, invocation, keep_social)


def _pattern(intent: str, tokens: Sequence[str], slots: Mapping[str, str]) -> Pattern:
    """A regular expression for a slot sample's tokens; each `{slot}` captures the words in its place."""
    parts, slot_types = [], []
    for token in tokens:
        if token.startswith("{"):
            name = token[1:-1]
            slot_types.append((name, slots[name]))
            parts.append(f"(?P<{name}>.+?)")
        else:
            parts.append(re.escape(token))
    literal = [t for t in tokens if not t.startswith("{")]
    topical = any(t not in STOPWORDS and t not in GENERIC for t in literal)
    return Pattern(intent, " ".join(parts), tuple(slot_types), len(literal), topical)


CODE = Path(__file__).resolve().parent
BUILT_FROM = ("model.yaml", "content.yaml")
"""The reviewed sources the index is built from (through `model_builder.build_model`)."""
BUILT_BY = (
    *(CODE / name for name in ("index.py", "text.py", "cache.py")),
    *(CODE.parent / name for name in ("model_builder.py", "sources.py")),
)
"""The code that turns them into an index: an edit to any of it must not meet an index built before."""


def _fingerprint(locale: str) -> str | None:
    return cache.fingerprint([*(sources.SOURCES / name for name in BUILT_FROM), *BUILT_BY], locale)


def _build_from_files(locale: str) -> Index:
    """`build_index` from the files as they are now, not from a copy this process parsed earlier (which
    would then be stored under the edited files' key); `cache.load_or_build` checks the key again after
    the build, for an edit made while it ran."""
    from skill.tools import model_builder

    model_builder.forget_parsed()
    return build_index(locale)


@functools.cache
def index_for(locale: str) -> Index:
    """The compiled index for `locale`: from the on-disk cache when it was built from these very files,
    else built (and stored for the next start)."""
    return cache.load_or_build(
        f"nlu-{locale}.pickle", lambda: _fingerprint(locale), lambda: _build_from_files(locale), Index
    )


def build_index(locale: str) -> Index:
    """The compiled index for `locale`, built from the same generated model Alexa is given."""
    from skill.tools import model_builder  # PyYAML and the model checks: only when building

    model = model_builder.build_model(locale)["interactionModel"]["languageModel"]
    invocation = tuple(clean_tokens(model["invocationName"]))

    slots: dict[str, dict[str, str]] = {
        intent["name"]: {s["name"]: s["type"] for s in intent.get("slots", [])} for intent in model["intents"]
    }
    # (intent, phrase, fuzzy): resolver-only phrases are short social words ("sounds good", "no") that
    # only count when said exactly; matched loosely they would turn "good morning" into a yes.
    phrases: list[tuple[str, str, bool]] = [
        (i["name"], s, True) for i in model["intents"] for s in i.get("samples", [])
    ]
    for intent, extra in model_builder.resolver_phrases().items():
        phrases.extend((intent, p, False) for p in extra)

    values: dict[str, dict[str, tuple[str, str]]] = {}
    entity_regex: dict[str, str] = {}
    vocabulary: set[str] = set()
    type_words: dict[str, frozenset[str]] = {}
    hint_words: dict[str, frozenset[str]] = {}
    type_hints = model_builder.resolver_type_hints()
    for slot_type in model.get("types", []):
        keys: dict[str, tuple[str, str]] = {}
        spoken_forms: set[str] = set()
        for value in slot_type["values"]:
            target = (value["id"], value["name"]["value"])
            for spoken in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                tokens = clean_tokens(spoken)
                vocabulary.update(tokens)
                spoken_forms.add(" ".join(tokens))
                keys.setdefault(" ".join(tokens), target)
                keys.setdefault(spoken_key(tokens), target)
        values[slot_type["name"]] = keys
        hints = type_hints.get(slot_type["name"], [])
        vocabulary.update(w for h in hints for w in clean_tokens(h))  # never "correct" infection to injection
        type_words[slot_type["name"]] = content_words(
            w for s in [*spoken_forms, *hints] for w in clean_tokens(s) if w not in GENERIC
        )
        hint_words[slot_type["name"]] = content_words(w for h in hints for w in clean_tokens(h))
        # Longest first ("lower back muscle" before "lower back"); equal lengths in a fixed order, so the
        # index is the same in every process (a set's order changes with each one's string hashing).
        alternatives = "|".join(re.escape(s) for s in sorted(spoken_forms, key=lambda s: (-len(s), s)))
        entity_regex[slot_type["name"]] = rf"(?<!\S)(?:{alternatives})(?!\S)"

    exact: dict[str, str] = {}
    patterns: list[Pattern] = []
    samples: list[tuple[str, list[str]]] = []
    for intent, sample, fuzzy in phrases:
        tokens = _sample_tokens(sample, invocation)
        vocabulary.update(t for t in tokens if not t.startswith("{"))
        if not any(t.startswith("{") for t in tokens):
            # Keyed with greetings and thanks kept: stripped, the sample "ok thanks" would become a plain
            # "ok", YesIntent's, and "um, ok" after "Would you like to hear...?" would get "You're welcome".
            exact.setdefault(" ".join(_sample_tokens(sample, invocation, keep_social=True)), intent)
            if fuzzy:
                samples.append((intent, tokens))
            continue
        patterns.append(_pattern(intent, tokens, slots[intent]))
        samples.append(
            (intent, [type_token(slots[intent][t[1:-1]]) if t.startswith("{") else t for t in tokens])
        )

    # Slot samples (a dialog model's elicitation samples: "{bodyPart}", "my {bodyPart}") only apply while
    # Alexa is listening for that slot after Dialog.ElicitSlot; they are not samples of the intent.
    elicitation: dict[tuple[str, str], tuple[Pattern, ...]] = {}
    for intent in model["intents"]:
        for slot in intent.get("slots", []):
            found = []
            for sample in slot.get("samples", []):
                tokens = _sample_tokens(sample, invocation)
                vocabulary.update(t for t in tokens if not t.startswith("{"))
                found.append(_pattern(intent["name"], tokens, slots[intent["name"]]))
            if found:
                elicitation[(intent["name"], slot["name"])] = tuple(found)

    # Inverse document frequency over intents, not samples: a word spread over many intents says little.
    intents_with_word: dict[str, set[str]] = {}
    for intent, tokens in samples:
        for word in content_words(tokens):
            intents_with_word.setdefault(word, set()).add(intent)
    intent_count = len({intent for intent, _ in samples})
    idf = {w: math.log(1 + intent_count / len(found)) for w, found in intents_with_word.items()}
    unknown_weight = math.log(1 + intent_count)

    entries: list[Entry] = []
    postings: dict[str, list[int]] = {}
    for intent, tokens in samples:
        words = content_words(tokens)
        if not words:
            continue
        for word in words:
            postings.setdefault(word, []).append(len(entries))
        entries.append(Entry(intent, words, sum(idf[w] for w in words), tuple(tokens)))

    return Index(
        invocation=invocation,
        exact=exact,
        patterns=tuple(patterns),
        elicitation=elicitation,
        values=values,
        entity_regex=entity_regex,
        type_words=type_words,
        hint_words=hint_words,
        entries=tuple(entries),
        postings={w: tuple(ids) for w, ids in postings.items()},
        intent_words={
            intent: frozenset(w for e in entries if e.intent == intent for w in e.words)
            for intent in {e.intent for e in entries}
        },
        idf=idf,
        unknown_weight=unknown_weight,
        vocabulary=tuple(sorted(vocabulary)),
        known=frozenset(vocabulary) | STOPWORDS,
        slots=slots,
    )
