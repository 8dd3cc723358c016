"""Plays each phrasing of the evaluation set through the skill and judges the answer it got.

Each phrasing is routed by `evaluation.router` (never by the skill's own matcher), wrapped in a real
request envelope and sent in-process to `skill.runtime.app.create_skill`, as the first question after a launch
in a fresh session on a device with a screen, unless the entry says it follows another phrasing
(`after:`). The skill names what it answered in the session attribute `answered`; that key is compared
with the entry's `expect`.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ask_sdk_core.skill import CustomSkill

from evaluation.router import FALLBACK, Router, router_for
from evaluation.terms import quantities_in, terms_in
from skill.tools.envelopes import SlotFill
from skill.tools.local import Conversation, Turn

PHRASINGS = Path(__file__).resolve().parent / "phrasings.yaml"
CONTENT = Path(__file__).resolve().parent.parent / "skill" / "runtime" / "data" / "content.json"
LEAFLET = Path(__file__).resolve().parent.parent / "skill" / "data" / "leaflet.txt"
UNKNOWN = "unknown"
LEAFLET_ANSWERS = ("topic:", "more:", "fact:", "part:")
NOT_IN_LEAFLET = ("not_covered", "unknown_part")

# Words a patient's question may bring that the echo check passes over: they say nothing about the patient.
STOPWORDS = frozenset(
    {
        "the", "and", "for", "you", "your", "are", "was", "were", "but", "not", "with", "this", "that",
        "have", "has", "had", "what", "about", "from", "can", "all", "any", "how", "why", "who", "when",
        "where", "does", "did", "get", "got", "will", "would", "could", "should", "there", "they",
        "them", "then", "than", "some", "also", "just", "very", "much", "into", "out", "our",
    }
)  # fmt: skip

# Keys of content.json whose text the skill says or shows (all of `phrases`, not-covered `subjects` and
# the locale `spellings` are too); ids, intent names, IPA, mention keys and notes are never said.
SAYABLE = frozenset(
    {"skill_name", "title", "label", "button", "offer", "speech", "more", "reprompt", "sources", "named",
     "unnamed", "suggestion", "phrases", "subjects", "spellings"}
)  # fmt: skip

# Another spelling or a short form of a leaflet term names the same thing: the skill spells "anesthetic"
# for American listeners, and a steroid in the leaflet's sense is its "corticosteroid".
SAME_AS = {
    "anesthetic": "anaesthetic",
    "anesthesia": "anaesthesia",
    "muscle fiber": "muscle fibre",
    "steroid": "corticosteroid",
}


@dataclass(frozen=True)
class Entry:
    say: str
    locale: str
    expect: tuple[str, ...]
    after: str | None = None


@dataclass
class Outcome:
    entry: Entry
    answered: str
    intent: str
    slots: dict[str, tuple[str | None, str | None]]
    echoed: tuple[str, ...] = ()
    invented: tuple[str, ...] = ()

    @property
    def right(self) -> bool:
        return self.answered in self.entry.expect

    @property
    def leaflet_expected(self) -> bool:
        return any(e.startswith(LEAFLET_ANSWERS) for e in self.entry.expect)

    @property
    def fell_back(self) -> bool:
        return not self.right and self.answered == "fallback" and self.leaflet_expected

    @property
    def false_not_in_leaflet(self) -> bool:
        return not self.right and self.leaflet_expected and self.answered.startswith(NOT_IN_LEAFLET)

    @property
    def unknown(self) -> bool:
        return self.answered == UNKNOWN

    @property
    def wrong(self) -> bool:
        return not (self.right or self.fell_back or self.false_not_in_leaflet or self.unknown)


@dataclass(frozen=True)
class EvaluationSet:
    version: int
    entries: tuple[Entry, ...]


def load_set(path: Path = PHRASINGS) -> EvaluationSet:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = []
    for raw in data["phrasings"]:
        expect = raw["expect"]
        entries.append(
            Entry(
                say=str(raw["say"]),
                locale=str(raw.get("locale", "en-US")),
                expect=tuple(expect) if isinstance(expect, list) else (str(expect),),
                after=str(raw["after"]) if raw.get("after") else None,
            )
        )
    return EvaluationSet(int(data["version"]), tuple(entries))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _sayable(value: Any) -> Iterator[str]:
    """The strings under SAYABLE keys of content.json, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item) if key in SAYABLE else _sayable(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sayable(item)


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3 and w not in STOPWORDS}


@cache
def reviewed_words() -> frozenset[str]:
    """Every word of 3+ letters the skill's reviewed content can say or show (an answer may use these)."""
    return frozenset(_content_words(" ".join(_sayable(json.loads(CONTENT.read_text(encoding="utf-8"))))))


def _named(text: str) -> set[str]:
    return {SAME_AS.get(term, term) for term in terms_in(text)}


@cache
def leaflet_terms() -> frozenset[str]:
    """The leaflet's medical terms (as its own words) and quantities: those an answer may name."""
    leaflet = LEAFLET.read_text(encoding="utf-8")
    return frozenset(_named(leaflet) | quantities_in(leaflet))


def response_text(turn: Turn) -> str:
    """Everything the listener hears, reads on the card or sees on the screen, as plain text."""
    parts = [turn.speech or "", turn.reprompt or "", turn.card_title or "", turn.card_text or ""]
    for directive in turn.directives:
        parts.extend(_strings(directive.get("datasources") or {}))
    return re.sub(r"<[^>]+>", " ", " ".join(parts))


def _shown(turn_or_texts: Turn | Iterable[str]) -> str:
    if isinstance(turn_or_texts, Turn):
        return response_text(turn_or_texts)
    return re.sub(r"<[^>]+>", " ", " ".join(turn_or_texts))


def echoed_words(turn_or_texts: Turn | Iterable[str], heard_values: Iterable[str | None]) -> tuple[str, ...]:
    """Words of the heard slot values (3+ letters, not STOPWORDS) that the answer shows or says although
    the reviewed content never does: what the skill read back of a patient's unmatched words.

    `turn_or_texts` is a Turn (its speech, reprompt, card and screen data) or the texts shown (SSML
    tags are dropped); `heard_values` are the slot values as Alexa sent them (None is skipped)."""
    shown = _content_words(_shown(turn_or_texts))
    heard = set().union(*(_content_words(v) for v in heard_values if v))
    return tuple(sorted((heard - reviewed_words()) & shown))


def invented_terms(turn_or_texts: Turn | Iterable[str]) -> tuple[str, ...]:
    """Medical terms and quantities (figures, number and duration words) the answer names and the
    leaflet does not."""
    text = _shown(turn_or_texts)
    return tuple(sorted((_named(text) | quantities_in(text)) - leaflet_terms()))


@dataclass
class Player:
    """Routes and plays phrasings with each locale's shared router (`router_for`), through one skill."""

    skill: CustomSkill

    def _say(self, conversation: Conversation, phrase: str) -> tuple[Turn, str, dict[str, SlotFill]]:
        route = router_for(conversation.locale).route(phrase)
        turn = conversation.intent(route.intent, route.slots or None)
        return turn, route.intent, route.slots

    def play(self, entry: Entry) -> Outcome:
        conversation = Conversation(skill=self.skill, locale=entry.locale, screen=True)
        conversation.launch()
        if entry.after:
            self._say(conversation, entry.after)
        turn, intent, slots = self._say(conversation, entry.say)
        attributes = turn.raw.get("sessionAttributes") or {}
        answered = attributes.get("answered")
        unmatched = [s.value for s in slots.values() if s.value and s.resolved_id is None]
        return Outcome(
            entry=entry,
            answered=answered if isinstance(answered, str) and answered else UNKNOWN,
            intent=intent,
            slots={name: (s.value, s.resolved_id) for name, s in slots.items()},
            echoed=echoed_words(turn, unmatched),
            invented=invented_terms(turn),
        )


def evaluate(entries: Sequence[Entry], skill: CustomSkill | None = None) -> list[Outcome]:
    if skill is None:
        from skill.runtime.app import create_skill

        skill = create_skill()
    player = Player(skill)
    return [player.play(entry) for entry in entries]


@dataclass(frozen=True)
class Totals:
    total: int
    right: int
    wrong: int
    fallback: int
    false_not_in_leaflet: int
    unknown: int
    echoes: int
    invented: int

    @property
    def share_right(self) -> float:
        return self.right / self.total if self.total else 0.0


def totals(outcomes: Sequence[Outcome]) -> Totals:
    return Totals(
        total=len(outcomes),
        right=sum(o.right for o in outcomes),
        wrong=sum(o.wrong for o in outcomes),
        fallback=sum(o.fell_back for o in outcomes),
        false_not_in_leaflet=sum(o.false_not_in_leaflet for o in outcomes),
        unknown=sum(o.unknown for o in outcomes),
        echoes=sum(bool(o.echoed) for o in outcomes),
        invented=sum(bool(o.invented) for o in outcomes),
    )


COLUMNS = ("n", "right", "wrong", "fallback", "false NIL", "unknown", "echo", "invented")


def _row(label: str, t: Totals, width: int) -> str:
    cells = (t.total, t.right, t.wrong, t.fallback, t.false_not_in_leaflet, t.unknown, t.echoes, t.invented)
    return f"{label:<{width}}" + "".join(f"{c:>10}" for c in cells) + f"{100 * t.share_right:>9.1f}%"


def table(outcomes: Sequence[Outcome]) -> str:
    """One row per expected answer (the first listed), then the totals; NIL = 'not in the leaflet'."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.entry.expect[0]].append(outcome)
    width = max([len(k) for k in groups] + [len("expected")]) + 2
    lines = [f"{'expected':<{width}}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'% right':>10}"]
    lines.extend(_row(key, totals(groups[key]), width) for key in sorted(groups))
    lines.append("-" * len(lines[0]))
    lines.append(_row("TOTAL", totals(outcomes), width))
    return "\n".join(lines)


def failures(outcomes: Sequence[Outcome]) -> str:
    lines = []
    for o in outcomes:
        if o.right and not o.echoed and not o.invented:
            continue
        slots = ", ".join(
            f"{k}={v!r} " + (f"ER_SUCCESS_MATCH:{i}" if i else "ER_SUCCESS_NO_MATCH")
            for k, (v, i) in o.slots.items()
            if v
        )
        after = f" (after {o.entry.after!r})" if o.entry.after else ""
        extra = (f" ECHO {list(o.echoed)}" if o.echoed else "") + (
            f" INVENTED {list(o.invented)}" if o.invented else ""
        )
        lines.append(
            f"  [{o.entry.locale}] {o.entry.say!r}{after}: got {o.answered} via {o.intent}"
            f"{' ' + slots if slots else ''}; expected {' | '.join(o.entry.expect)}{extra}"
        )
    return "\n".join(lines)


def confusion_report(router: Router) -> str:
    """Model samples the embedding routes to another intent with themselves left out, by intent pair."""
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in router.confusions():
        near = f" ~ {c.neighbour.text!r}" if c.routed != FALLBACK else ""
        pairs[(c.sample.intent, c.routed)].append(f"{c.sample.text!r}{near} ({c.score:.2f})")
    counts = Counter({pair: len(items) for pair, items in pairs.items()})
    total = sum(counts.values())
    lines = [f"Leave-one-out confusions ({router.locale}): {total} of {len(router.samples)} samples"]
    for (source, target), n in counts.most_common():
        lines.append(f"  {source} -> {target}: {n}")
        lines.extend(f"      {item}" for item in pairs[(source, target)])
    return "\n".join(lines)


def copies_of_samples(entries: Iterable[Entry]) -> list[Entry]:
    """Entries whose words are those of a model sample of their locale (slots filled from the lists)."""
    return [entry for entry in entries if router_for(entry.locale).copies_a_sample(entry.say)]
