"""Plays each phrasing of the evaluation set through the skill and judges the answer it got.

Each phrasing is routed by `evaluation.router` (never by the skill's own matcher), wrapped in a real
request envelope and sent in-process to `skill.app.create_skill`, as the first question after a launch
in a fresh session on a device with a screen, unless the entry says it follows another phrasing
(`after:`). The skill names what it answered in the session attribute `answered`; that key is compared
with the entry's `expect`.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from ask_sdk_core.skill import CustomSkill

from evaluation.router import FALLBACK, Router
from skill.local import Conversation, Turn

PHRASINGS = Path(__file__).resolve().parent / "phrasings.yaml"
CONTENT = Path(__file__).resolve().parent.parent / "skill" / "data" / "content.json"
LEAFLET = Path(__file__).resolve().parent.parent / "skill" / "data" / "leaflet.txt"
UNKNOWN = "unknown"
LEAFLET_ANSWERS = ("topic:", "more:", "fact:", "part:")
NOT_IN_LEAFLET = ("not_covered", "unknown_part")

# Medical terms a patient might hear, both ones the leaflet uses and ones it deliberately does not: an
# answer naming a term the leaflet lacks has invented it. Matched at word starts ("palpat" covers
# "palpating"), case-insensitively.
MEDICAL_TERMS = (
    # in the leaflet
    "trapezius", "levator scapulae", "gluteus medius", "quadratus lumborum", "piriformis", "sciatic",
    "myofascial", "corticosteroid", "steroid", "anaesthetic", "anesthetic", "twitch", "referred pain",
    "palpat", "microtrauma", "trauma", "painkiller", "physical therapy", "numbness", "muscle fib",
    "knot", "range of motion", "syndrome", "diagnostic", "therapeutic", "tender", "constrict",
    # not in the leaflet
    "lidocaine", "lignocaine", "bupivacaine", "procaine", "cortisone", "botox", "botulinum", "saline",
    "dry needling", "acupuncture", "nerve block", "epidural", "ultrasound", "x-ray", "mri", "scan",
    "spine", "spinal", "disc", "vertebra", "headache", "migraine", "fibromyalgia", "arthritis",
    "tingling", "inflammation", "infection", "bleeding", "bruising", "swelling", "allerg", "nausea",
    "dizziness", "fainting", "pneumothorax", "ibuprofen", "paracetamol", "acetaminophen", "opioid",
    "codeine", "massage", "chiropract", "osteopath", "sedation", "anticoagulant", "blood thinner",
)  # fmt: skip


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


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4}


@cache
def reviewed_words() -> frozenset[str]:
    """Every word of 4+ letters the skill's reviewed content can say (an answer may use these freely)."""
    return frozenset(_content_words(" ".join(_strings(json.loads(CONTENT.read_text(encoding="utf-8"))))))


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z]){re.escape(term)}", re.IGNORECASE)


# Another spelling or a short form of a leaflet term names the same thing: the skill spells "anesthetic"
# for American listeners, and a steroid in the leaflet's sense is its "corticosteroid".
SAME_AS = {"anesthetic": "anaesthetic", "steroid": "corticosteroid"}


def terms_in(text: str) -> set[str]:
    """The MEDICAL_TERMS a text names, each as the leaflet's own word when it has one."""
    flat = " ".join(text.split())
    return {SAME_AS.get(term, term) for term in MEDICAL_TERMS if _term_pattern(term).search(flat)}


@cache
def leaflet_terms() -> frozenset[str]:
    return frozenset(terms_in(LEAFLET.read_text(encoding="utf-8")))


def response_text(turn: Turn) -> str:
    """Everything the listener hears, reads on the card or sees on the screen, as plain text."""
    parts = [turn.speech or "", turn.reprompt or "", turn.card_title or "", turn.card_text or ""]
    for directive in turn.directives:
        parts.extend(_strings(directive.get("datasources") or {}))
    return re.sub(r"<[^>]+>", " ", " ".join(parts))


def echoed_words(turn: Turn, unmatched: Iterable[str]) -> tuple[str, ...]:
    """Words of a NO_MATCH slot the answer repeats although the reviewed content never uses them."""
    said = _content_words(response_text(turn))
    heard = set().union(*(_content_words(v) for v in unmatched)) if unmatched else set()
    return tuple(sorted((heard - reviewed_words()) & said))


def invented_terms(turn: Turn) -> tuple[str, ...]:
    return tuple(sorted(terms_in(response_text(turn)) - leaflet_terms()))


@dataclass
class Player:
    """Routes and plays phrasings; one router per locale, one skill for all (both built once)."""

    skill: CustomSkill
    routers: dict[str, Router] = field(default_factory=dict)

    def router(self, locale: str) -> Router:
        if locale not in self.routers:
            self.routers[locale] = Router(locale)
        return self.routers[locale]

    def _say(self, conversation: Conversation, phrase: str) -> tuple[Turn, str, dict[str, Any]]:
        route = self.router(conversation.locale).route(phrase)
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
        from skill.app import create_skill

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
        slots = ", ".join(f"{k}={v!r}/{i}" for k, (v, i) in o.slots.items() if v)
        after = f" (after {o.entry.after!r})" if o.entry.after else ""
        extra = (f" ECHO {list(o.echoed)}" if o.echoed else "") + (
            f" INVENTED {list(o.invented)}" if o.invented else ""
        )
        lines.append(
            f"  [{o.entry.locale}] {o.entry.say!r}{after}: got {o.answered} via {o.intent}"
            f"{' ' + slots if slots else ''}; expected {' | '.join(o.entry.expect)}{extra}"
        )
    return "\n".join(lines)


def confusion_report(router: Router, limit: int = 0) -> str:
    """Model samples the embedding routes to another intent with themselves left out, by intent pair."""
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in router.confusions():
        near = f" ~ {c.neighbour.text!r}" if c.neighbour and c.routed != FALLBACK else ""
        pairs[(c.sample.intent, c.routed)].append(f"{c.sample.text!r}{near} ({c.score:.2f})")
    counts = Counter({pair: len(items) for pair, items in pairs.items()})
    total = sum(counts.values())
    lines = [f"Leave-one-out confusions ({router.locale}): {total} of {len(router.samples)} samples"]
    for (source, target), n in counts.most_common(limit or None):
        lines.append(f"  {source} -> {target}: {n}")
        lines.extend(f"      {item}" for item in pairs[(source, target)])
    return "\n".join(lines)


def copies_of_samples(entries: Iterable[Entry]) -> list[Entry]:
    """Entries whose words are those of a model sample of their locale (slots filled from the lists)."""
    routers: dict[str, Router] = {}
    copied = []
    for entry in entries:
        router = routers.get(entry.locale) or routers.setdefault(entry.locale, Router(entry.locale))
        if router.copies_a_sample(entry.say):
            copied.append(entry)
    return copied
