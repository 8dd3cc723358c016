"""A stand-in for Alexa's NLU, independent of the skill's own matcher (`skill.nlu`).

It reads the generated interaction model of one locale (`interaction_models/<locale>.json`) plus the
phrases model.yaml keeps for built-in intents (`resolver_only`), and nothing else: no intent, slot or
value is named here, so the tool follows the model as it changes.

How a phrasing is routed:

1. Expansion. Every sample is kept as a *carrier*; a carrier with slots is filled with the values and
   synonyms of each slot's type (values first, then the synonyms in turns, so every id appears), at most
   `EXPANSION_CAP` fillings per carrier. Each expansion is embedded with all-MiniLM-L6-v2 (int8 ONNX).
2. Intent. Cosine similarity to every expansion. Each carrier counts once, by its best expansion; an
   intent scores the mean of its `K` best carriers (k-nearest neighbours per intent: an intent with one
   lucky near-duplicate does not beat one with several good matches, and a slot carrier filled with
   many values does not outvote the rest), and the best-scoring intent wins.
3. Fallback. When the single best similarity is below `THRESHOLD`, the phrasing goes to
   AMAZON.FallbackIntent, as Alexa does with out-of-domain speech (the model's sensitivity is MEDIUM).
   The threshold was calibrated with `python -m evaluation --calibrate`, never on the evaluation set:
   the best similarity of each of the model's own samples with itself left out, against that of
   `OUT_OF_DOMAIN` (phrases of no intent). With the model of November 2026, 0.45 keeps 23 of those 24
   phrases out (the next highest scores 0.43; between 0.44 and 0.50 the same one gets in) while 2% of
   the samples fall below it; at 0.50, 4% do.
4. Carrier frames. Alexa's custom slots are open: a phrasing that says every literal word of a slot
   carrier (at least `FRAME_WORDS` of them) around other words ("does it work for knee pain") goes to
   that carrier's intent, the most specific frame first (most literal words; ties by intent score),
   when it is above the threshold at all.
5. Slots. When the winning intent's nearest sample has no slot, every slot is sent empty. Otherwise
   the phrasing is aligned word by word (difflib) with each of the intent's slot carriers, the carrier
   whose literal words it follows best is taken, and the words standing where its `{slot}` stands are
   the slot value. That value resolves by normalised exact match against the
   type's values and synonyms (ER_SUCCESS_MATCH with the id); failing that, when it (or else the whole
   phrasing) contains a listed value or synonym, the longest such entry (Alexa's slot model favours its
   catalogue); else ER_SUCCESS_NO_MATCH with the raw words. Every slot of the intent is sent, empty
   when unheard.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.embedding import Embedder, Vectors, shared_embedder
from skill.envelopes import SlotFill

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "interaction_models"
FALLBACK = "AMAZON.FallbackIntent"

EXPANSION_CAP = 24
K = 2
FRAME_WORDS = 2
THRESHOLD = 0.45

# Speech that belongs to no intent of the skill, for calibrating THRESHOLD only (the evaluation set has
# its own, different off-topic phrasings).
OUT_OF_DOMAIN = (
    "what time is it",
    "set an alarm for seven",
    "play the radio",
    "turn on the lights",
    "what's on tv tonight",
    "how tall is mount everest",
    "order a pizza",
    "call my daughter",
    "what's the capital of france",
    "add milk to my shopping list",
    "who won the football",
    "how do you spell necessary",
    "what day is it today",
    "is it going to snow",
    "recommend a good book",
    "tell me the news",
    "how far away is the moon",
    "what's twelve times eight",
    "sing happy birthday",
    "where did i park my car",
    "how do i cook rice",
    "what's the exchange rate",
    "find me a taxi",
    "who is the prime minister",
)

# Words that a speaker adds around a slot value and Alexa leaves out of it.
_EDGE_FILLERS = frozenset(
    {"please", "um", "uh", "er", "erm", "then", "now", "thanks", "alexa", "like", "just"}
)
_SLOT = re.compile(r"\{(\w+)\}")
_SLOT_WORDS = r"\S+(?: \S+)*"


def normalise(text: str) -> str:
    """Words as Alexa transcribes them: lower case, no punctuation but apostrophes and spoken periods."""
    # Letters said one by one ("QL", "GP") come back from Alexa as "q. l.", "g. p.".
    text = re.sub(r"\b[A-Z]{2,4}\b", lambda m: " ".join(f"{c}." for c in m.group(0)), text)
    text = text.lower().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"[^\w\s'.]|_", " ", text)
    words = (w if re.fullmatch(r"[a-z]\.", w) else w.replace(".", " ") for w in text.split())
    return " ".join(" ".join(words).split())


def _words(text: str) -> list[str]:
    return normalise(text).replace(".", "").split()


@dataclass(frozen=True)
class SlotValue:
    id: str
    name: str
    spoken: tuple[str, ...]
    """The value and its synonyms, normalised, as Alexa would hear them."""


@dataclass(frozen=True)
class Sample:
    text: str
    intent: str
    carrier: str
    """The model's sample this text was expanded from (itself when it has no slot)."""


@dataclass
class Route:
    intent: str
    score: float
    """The best cosine similarity of any sample: what the fallback threshold compares."""
    slots: dict[str, SlotFill] = field(default_factory=dict)
    neighbour: Sample | None = None


@dataclass(frozen=True)
class Confusion:
    sample: Sample
    routed: str
    neighbour: Sample | None
    score: float


def load_interaction_model(locale: str) -> Mapping[str, Any]:
    path = MODELS / f"{locale}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    language_model: dict[str, Any] = data["interactionModel"]["languageModel"]
    return language_model


def resolver_only_phrases() -> dict[str, list[str]]:
    """Phrases for built-in intents, which Alexa knows and the exported model leaves out."""
    from skill.model_builder import load_source

    raw = load_source().get("resolver_only") or {}
    return {str(name): [str(p) for p in phrases] for name, phrases in raw.items()}


def _round_robin(values: Sequence[SlotValue]) -> list[str]:
    ordered: list[str] = []
    depth = max((len(v.spoken) for v in values), default=0)
    for i in range(depth):
        ordered.extend(v.spoken[i] for v in values if i < len(v.spoken))
    return ordered


def _expand(carrier: str, slot_types: Mapping[str, str], types: Mapping[str, list[SlotValue]]) -> list[str]:
    names = _SLOT.findall(carrier)
    if not names:
        return [normalise(carrier)]
    fills = {name: _round_robin(types.get(slot_types.get(name, ""), [])) for name in names}
    if any(not f for f in fills.values()):
        return []  # a built-in slot type: no catalogue to fill it from
    longest = max(len(f) for f in fills.values())
    texts = []
    for i in range(min(longest, EXPANSION_CAP)):
        text = carrier
        for name, values in fills.items():
            text = text.replace(f"{{{name}}}", values[i % len(values)])
        texts.append(normalise(text))
    return texts


class Router:
    """Routes typed phrasings for one locale the way Alexa's NLU would, roughly."""

    def __init__(
        self,
        locale: str,
        *,
        threshold: float = THRESHOLD,
        model: Mapping[str, Any] | None = None,
        built_in: Mapping[str, Sequence[str]] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        """`model` (an ASK languageModel) and `built_in` (phrases per built-in intent) default to the
        locale's generated interaction model and model.yaml's `resolver_only`; tests pass their own."""
        self.locale = locale
        self.threshold = threshold
        self._embedder = embedder or shared_embedder()
        if model is None:
            model = load_interaction_model(locale)
        if built_in is None:
            built_in = resolver_only_phrases()
        self.types: dict[str, list[SlotValue]] = {}
        for slot_type in model.get("types", []):
            values = []
            for entry in slot_type.get("values", []):
                name = entry["name"]
                spoken = (name["value"], *name.get("synonyms", []))
                spoken_forms = tuple(normalise(s) for s in spoken)
                values.append(SlotValue(entry.get("id") or name["value"], name["value"], spoken_forms))
            self.types[slot_type["name"]] = values
        self.slot_types: dict[str, dict[str, str]] = {}
        carriers: dict[str, list[str]] = defaultdict(list)
        for intent in model["intents"]:
            name = intent["name"]
            self.slot_types[name] = {s["name"]: s["type"] for s in intent.get("slots", []) or []}
            carriers[name].extend(intent.get("samples", []))
        for name, phrases in built_in.items():
            self.slot_types.setdefault(name, {})
            carriers[name].extend(p for p in phrases if p not in carriers[name])
        self.carriers = dict(carriers)
        samples: list[Sample] = []
        for intent_name, texts in self.carriers.items():
            for carrier in texts:
                for text in _expand(carrier, self.slot_types[intent_name], self.types):
                    samples.append(Sample(text, intent_name, carrier))
        self.samples = samples
        self.intents = sorted({s.intent for s in samples})
        self._intent_rows = {
            name: np.array([i for i, s in enumerate(samples) if s.intent == name]) for name in self.intents
        }
        carrier_ids: dict[tuple[str, str], int] = {}
        for sample in samples:
            carrier_ids.setdefault((sample.intent, sample.carrier), len(carrier_ids))
        self._carrier_of = np.array([carrier_ids[(s.intent, s.carrier)] for s in samples])
        self._carrier_intent = [intent for intent, _ in carrier_ids]
        self._frames = []
        for intent_name, texts in self.carriers.items():
            for carrier in texts:
                parts = _SLOT.split(carrier)
                literal = [w for i, part in enumerate(parts) if i % 2 == 0 for w in _words(part)]
                if len(parts) > 1 and len(literal) >= FRAME_WORDS and self.slot_types[intent_name]:
                    tokens = [
                        _SLOT_WORDS if i % 2 else re.escape(w)
                        for i, p in enumerate(parts)
                        for w in _pieces(i, p)
                    ]
                    regex = " ".join(tokens)
                    self._frames.append((intent_name, carrier, re.compile(regex), len(literal)))
        self._intent_carriers = {
            name: np.array([c for c, intent in enumerate(self._carrier_intent) if intent == name])
            for name in self.intents
        }

    @functools.cached_property
    def _matrix(self) -> Vectors:
        """Every expansion's vector, made on first use (listing samples needs no model)."""
        return self._embedder.embed([s.text for s in self.samples])

    # -- intent ------------------------------------------------------------------------------------------

    def _scores(self, sims: Vectors) -> dict[str, float]:
        """Each intent's score: the mean of its K best carriers, each carrier by its best expansion."""
        per_carrier = np.full(len(self._carrier_intent), -np.inf, dtype=np.float32)
        np.maximum.at(per_carrier, self._carrier_of, sims)
        scores = {}
        for name, carriers in self._intent_carriers.items():
            values = per_carrier[carriers]
            values = values[np.isfinite(values)]
            if values.size:
                scores[name] = float(np.sort(values)[-K:].mean())
        return scores

    def _choose(self, similarities: Vectors, excluded: np.ndarray | None = None) -> tuple[str, float, int]:
        """The winning intent, the best similarity of any sample, and that intent's nearest sample."""
        sims = similarities.copy()
        if excluded is not None:
            sims[excluded] = -np.inf
        scores = self._scores(sims)
        if not scores:
            return FALLBACK, float(sims.max()), -1
        best_intent = max(scores, key=lambda name: scores[name])
        rows = self._intent_rows[best_intent]
        return best_intent, float(sims.max()), int(rows[int(np.argmax(sims[rows]))])

    def route(self, phrase: str) -> Route:
        text = normalise(phrase)
        vector = self._embedder.embed([text])[0]
        similarities: Vectors = self._matrix @ vector
        framed = self._frame_match(text)
        if framed and float(similarities.max()) >= self.threshold:
            scores = self._scores(similarities)
            intent, carrier = max(framed, key=lambda f: scores.get(f[0], -np.inf))
            top = float(similarities.max())
            slot_types = self.slot_types[intent]
            slots = {name: SlotFill(None, slot_type=slot_types[name]) for name in slot_types}
            for name, words in align(_words(text), carrier)[1].items():
                slots[name] = self.resolve(slot_types[name], words)
            return Route(intent, top, slots, Sample(text, intent, carrier))
        intent, top, row = self._choose(similarities)
        neighbour = self.samples[row] if row >= 0 else None
        if top < self.threshold or neighbour is None:
            return Route(FALLBACK, top, {}, neighbour)
        return Route(intent, top, self.fill_slots(intent, text, neighbour), neighbour)

    def _frame_match(self, text: str) -> list[tuple[str, str]]:
        """The slot carriers whose literal words the phrasing says exactly, around any slot words: the
        most specific ones (most literal words, at least `FRAME_WORDS`). An open slot takes any words."""
        phrase = " ".join(_words(text))
        found: list[tuple[int, str, str]] = []
        for intent, carrier, pattern, literal in self._frames:
            if pattern.fullmatch(phrase):
                found.append((literal, intent, carrier))
        if not found:
            return []
        most = max(f[0] for f in found)
        return [(intent, carrier) for literal, intent, carrier in found if literal == most]

    # -- slots -------------------------------------------------------------------------------------------

    def fill_slots(self, intent: str, phrase: str, neighbour: Sample) -> dict[str, SlotFill]:
        slot_types = self.slot_types.get(intent, {})
        slots = {name: SlotFill(None, slot_type=slot_types[name]) for name in slot_types}
        if not slot_types or not _SLOT.search(neighbour.carrier):
            return slots
        spans = best_alignment(_words(phrase), [c for c in self.carriers[intent] if _SLOT.search(c)])
        for name, words in spans.items():
            if name in slots:
                fill = self.resolve(slot_types[name], words)
                if fill.resolved_id is None:
                    # The carrier was misread, but a listed value was said: Alexa's slot model finds it.
                    mentioned = self.resolve(slot_types[name], _words(phrase))
                    fill = mentioned if mentioned.resolved_id is not None else fill
                slots[name] = fill
        return slots

    def resolve(self, slot_type: str, words: Sequence[str]) -> SlotFill:
        heard = " ".join(_trim(list(words)))
        if not heard:
            return SlotFill(None, slot_type=slot_type)
        values = self.types.get(slot_type, [])
        plain = heard.replace(".", "")
        for value in values:
            if plain in (s.replace(".", "") for s in value.spoken):
                return SlotFill(heard, value.id, value.name, slot_type)
        contained = [
            (len(spoken.split()), spoken, value)
            for value in values
            for spoken in value.spoken
            if re.search(rf"(?<!\w){re.escape(spoken.replace('.', ''))}(?!\w)", plain)
        ]
        if contained:
            _, spoken, value = max(contained, key=lambda c: c[0])
            return SlotFill(spoken, value.id, value.name, slot_type)
        return SlotFill(heard, None, None, slot_type)

    def copies_a_sample(self, phrase: str) -> bool:
        """Whether the phrasing is a sample, or a slot sample filled with any listed value or synonym
        (past the expansion cap too), once normalised."""
        said = " ".join(_words(phrase))
        for intent, texts in self.carriers.items():
            slot_types = self.slot_types.get(intent, {})
            for carrier in texts:
                parts = _SLOT.split(carrier)
                pattern = " ".join(
                    f"(?P<s{i}>.+)" if i % 2 else re.escape(w)
                    for i, p in enumerate(parts)
                    for w in _pieces(i, p)
                )
                match = re.fullmatch(pattern, said)
                if match and all(
                    self._listed(slot_types.get(parts[int(group[1:])], ""), value)
                    for group, value in match.groupdict().items()
                ):
                    return True
        return False

    def _listed(self, slot_type: str, words: str) -> bool:
        return any(words == s.replace(".", "") for v in self.types.get(slot_type, []) for s in v.spoken)

    # -- leave-one-out -----------------------------------------------------------------------------------

    def confusions(self) -> list[Confusion]:
        """Each model sample routed with itself (every filling of it) removed, when it lands elsewhere."""
        by_carrier: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, sample in enumerate(self.samples):
            by_carrier[(sample.intent, sample.carrier)].append(i)
        found = []
        for i, sample in enumerate(self.samples):
            if i not in by_carrier[(sample.intent, sample.carrier)][:3]:
                continue  # three fillings per slot carrier are enough to show its confusions
            similarities: Vectors = self._matrix @ self._matrix[i]
            excluded = np.array(by_carrier[(sample.intent, sample.carrier)])
            intent, top, row = self._choose(similarities, excluded)
            routed = FALLBACK if top < self.threshold else intent
            if routed != sample.intent:
                neighbour = self.samples[row] if row >= 0 else None
                found.append(Confusion(sample, routed, neighbour, top))
        return found

    def leave_one_out_best(self) -> list[float]:
        """The best similarity of each carrier's first expansion to the rest of the model (calibration)."""
        seen: set[tuple[str, str]] = set()
        best = []
        for i, sample in enumerate(self.samples):
            if (sample.intent, sample.carrier) in seen:
                continue
            seen.add((sample.intent, sample.carrier))
            similarities = self._matrix @ self._matrix[i]
            similarities[self._carrier_of == self._carrier_of[i]] = -np.inf
            best.append(float(similarities.max()))
        return best

    def best_similarities(self, phrases: Iterable[str]) -> list[float]:
        vectors = self._embedder.embed([normalise(p) for p in phrases])
        return [float((self._matrix @ v).max()) for v in vectors]


def _pieces(index: int, part: str) -> list[str]:
    """A carrier split on its slots: literal parts as words, each slot name as one piece."""
    return [part] if index % 2 else _words(part)


def _trim(words: list[str]) -> list[str]:
    while words and words[0] in _EDGE_FILLERS:
        words = words[1:]
    while words and words[-1] in _EDGE_FILLERS:
        words = words[:-1]
    return words


def align(phrase: Sequence[str], carrier: str) -> tuple[int, dict[str, list[str]]]:
    """How many literal carrier words the phrase follows in order, and the words at each slot."""
    tokens: list[str] = []
    for i, part in enumerate(_SLOT.split(carrier)):
        tokens.extend([f"{{{part}}}"] if i % 2 else _words(part))
    matcher = difflib.SequenceMatcher(None, list(phrase), tokens, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    matched = sum(b.size for b in blocks)
    literal = sum(1 for t in tokens if not t.startswith("{"))
    spans: dict[str, list[str]] = {}
    for position, token in enumerate(tokens):
        slot = re.fullmatch(r"\{(\w+)\}", token)
        if not slot:
            continue
        before = [b for b in blocks if b.b + b.size <= position]
        after = [b for b in blocks if b.b > position]
        start = before[-1].a + before[-1].size if before else 0
        end = after[0].a if after else len(phrase)
        spans[slot.group(1)] = list(phrase[start:end]) if end > start else []
    return 2 * matched - literal, spans


def best_alignment(phrase: Sequence[str], carriers: Sequence[str]) -> dict[str, list[str]]:
    """The slot words under the carrier the phrase follows best: Alexa fills a slot when it can, so a
    carrier that leaves words for every slot beats one that leaves none; then the most literal words
    followed; then the shorter slot value."""
    best: tuple[tuple[bool, int, int], dict[str, list[str]]] | None = None
    for carrier in carriers:
        score, spans = align(phrase, carrier)
        heard = all(_trim(list(w)) for w in spans.values())
        rank = (heard, score, -sum(len(w) for w in spans.values()))
        if best is None or rank > best[0]:
            best = (rank, spans)
    return best[1] if best else {}
