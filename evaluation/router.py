"""A stand-in for Alexa's NLU, independent of the skill's own matcher (`skill.tools.nlu`).

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
   `OUT_OF_DOMAIN` (phrases of no intent). At 0.45 at most `MAX_OFF_DOMAIN_ADMITTED` of those 24 phrases
   get in and at most `MAX_SAMPLES_BELOW` of the samples fall below it; tests/test_understanding.py
   holds the en-US model to both bounds, so a model change that breaks them fails there.
4. Carrier frames. Alexa's custom slots are open: a phrasing that says every literal word of a slot
   carrier (at least `FRAME_WORDS` of them) around other words ("does it work for knee pain") goes to
   that carrier's intent, the most specific frame first (most literal words; ties by intent score),
   when it is above the threshold at all.
5. Slots. When the winning intent's nearest sample has no slot, every slot is sent empty. Otherwise
   the slot is tagged against each of the intent's slot carriers (the matched frame only, in step 4),
   roughly as Alexa's slot tagger, a sequence model trained on the samples filled with the catalogue's
   values, would: every span of the phrasing is scored by how well the words around it follow the
   carrier's literal words in order, where function words and words the model's samples use (context)
   cost nothing and other words cost `UNEXPLAINED`, plus `LISTED_BONUS` a word when the span is a value
   or synonym; context words at its edges are left out of the slot ("bum what about that" is "bum").
   The best carrier and span give the slot value, sent as heard. Both weights were chosen by accuracy on
   a synthetic set made from the model alone (`synthetic_slot_cases`: samples filled with listed and
   unlisted words and said with words added around them), never on the evaluation set; a test holds the
   tagger to that accuracy. A carrier with several slots is aligned word by word (difflib). As Alexa's
   entity resolution does, the value resolves (ER_SUCCESS_MATCH, with the id) only when the heard words
   are one of the type's values or synonyms, once normalised; otherwise it is ER_SUCCESS_NO_MATCH with
   the raw words, never a listed value found inside them. Every slot of the intent is sent, empty when
   unheard.
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
from skill.tools.envelopes import SlotFill

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "interaction_models"
FALLBACK = "AMAZON.FallbackIntent"

EXPANSION_CAP = 24
K = 2
FRAME_WORDS = 2
THRESHOLD = 0.45
# What `--calibrate` shows for THRESHOLD on the en-US model (a test holds the model to both).
MAX_OFF_DOMAIN_ADMITTED = 2
MAX_SAMPLES_BELOW = 0.025

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
# Function words, which stand around a slot value as context (with every sample's words; see `Lexicon`).
_FUNCTION_WORDS = frozenset(
    {"and", "so", "what", "about", "that", "this", "is", "it", "are", "can", "they", "you", "a", "an", "of",
     "do", "does", "how", "i", "me", "there", "any", "well", "okay", "oh", "with", "to", "for", "in", "on"}
)  # fmt: skip
# The tagger's weights (see `_tag_one`), chosen by accuracy on the synthetic calibration set only
# (`synthetic_slot_cases`); UNEXPLAINED above LISTED_BONUS, so words around a listed value stay in the slot.
LISTED_BONUS = 1
UNEXPLAINED = 3
_SLOT = re.compile(r"\{(\w+)\}")
_SLOT_WORDS = r"(\S+(?: \S+)*)"


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
class Carrier:
    """One sample of the model, split once into its literal words and its `{slot}` tokens."""

    intent: str
    text: str
    tokens: tuple[str, ...]
    pattern: re.Pattern[str]
    """The sample's words in order, each slot open to one or more words (a group per slot)."""

    @classmethod
    def parse(cls, text: str, intent: str = "") -> Carrier:
        tokens: list[str] = []
        for i, part in enumerate(_SLOT.split(text)):
            tokens.extend([f"{{{part}}}"] if i % 2 else _words(part))
        regex = " ".join(_SLOT_WORDS if _SLOT.fullmatch(t) else re.escape(t) for t in tokens)
        return cls(intent, text, tuple(tokens), re.compile(regex))

    @functools.cached_property
    def slots(self) -> tuple[str, ...]:
        return tuple(t[1:-1] for t in self.tokens if _SLOT.fullmatch(t))

    @functools.cached_property
    def literal(self) -> int:
        return len(self.tokens) - len(self.slots)

    def match(self, words: Sequence[str]) -> dict[str, str] | None:
        """The words at each slot when the phrase says exactly this sample's literal words, else None."""
        found = self.pattern.fullmatch(" ".join(words))
        return dict(zip(self.slots, found.groups(), strict=True)) if found else None

    def align(self, phrase: Sequence[str]) -> tuple[int, dict[str, list[str]]]:
        """How many literal words the phrase follows in order (less those it misses), and the words at
        each slot."""
        matcher = difflib.SequenceMatcher(None, list(phrase), list(self.tokens), autojunk=False)
        blocks = [b for b in matcher.get_matching_blocks() if b.size]
        matched = sum(b.size for b in blocks)
        spans: dict[str, list[str]] = {}
        for position, token in enumerate(self.tokens):
            if not _SLOT.fullmatch(token):
                continue
            before = [b for b in blocks if b.b + b.size <= position]
            after = [b for b in blocks if b.b > position]
            start = before[-1].a + before[-1].size if before else 0
            end = after[0].a if after else len(phrase)
            spans[token[1:-1]] = list(phrase[start:end]) if end > start else []
        return 2 * matched - self.literal, spans


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


@dataclass(frozen=True)
class Confusion:
    sample: Sample
    routed: str
    neighbour: Sample
    score: float


def load_interaction_model(locale: str) -> Mapping[str, Any]:
    path = MODELS / f"{locale}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    language_model: dict[str, Any] = data["interactionModel"]["languageModel"]
    return language_model


def resolver_only_phrases() -> dict[str, list[str]]:
    """Phrases for built-in intents, which Alexa knows and the exported model leaves out."""
    from skill.tools.model_builder import load_source

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
        texts: dict[str, list[str]] = defaultdict(list)
        for intent in model["intents"]:
            name = intent["name"]
            self.slot_types[name] = {s["name"]: s["type"] for s in intent.get("slots", []) or []}
            texts[name].extend(intent.get("samples", []))
        for name, phrases in built_in.items():
            self.slot_types.setdefault(name, {})
            texts[name].extend(p for p in phrases if p not in texts[name])
        self.carriers = {
            name: tuple(Carrier.parse(text, name) for text in phrases) for name, phrases in texts.items()
        }
        samples: list[Sample] = []
        for intent_name, carriers in self.carriers.items():
            for carrier in carriers:
                for text in _expand(carrier.text, self.slot_types[intent_name], self.types):
                    samples.append(Sample(text, intent_name, carrier.text))
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
        self._frames = [
            carrier
            for name, carriers in self.carriers.items()
            if self.slot_types[name]
            for carrier in carriers
            if carrier.slots and carrier.literal >= FRAME_WORDS
        ]
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
        best_intent = max(scores, key=lambda name: scores[name])
        rows = self._intent_rows[best_intent]
        return best_intent, float(sims.max()), int(rows[int(np.argmax(sims[rows]))])

    def route(self, phrase: str) -> Route:
        text = normalise(phrase)
        words = _words(text)
        vector = self._embedder.embed([text])[0]
        similarities: Vectors = self._matrix @ vector
        top = float(similarities.max())
        if top < self.threshold:
            return Route(FALLBACK, top)
        framed = self._frame_match(words)
        if framed:
            scores = self._scores(similarities)
            carrier = max(framed, key=lambda c: scores.get(c.intent, -np.inf))
            return Route(carrier.intent, top, self.fill_slots(carrier.intent, words, [carrier]))
        intent, _, row = self._choose(similarities)
        nearest = self.samples[row].carrier
        carriers = [c for c in self.carriers[intent] if c.slots]
        if not any(c.text == nearest for c in carriers):
            carriers = []  # the nearest sample has no slot: every slot is sent empty
        return Route(intent, top, self.fill_slots(intent, words, carriers))

    def _frame_match(self, words: Sequence[str]) -> list[Carrier]:
        """The slot carriers whose literal words the phrasing says exactly, around any slot words: the
        most specific ones (most literal words, at least `FRAME_WORDS`). An open slot takes any words."""
        found = [carrier for carrier in self._frames if carrier.match(words) is not None]
        most = max((c.literal for c in found), default=0)
        return [c for c in found if c.literal == most]

    # -- slots -------------------------------------------------------------------------------------------

    def fill_slots(
        self, intent: str, words: Sequence[str], carriers: Sequence[Carrier]
    ) -> dict[str, SlotFill]:
        """Every slot of the intent, filled with the words the best-followed carrier puts there."""
        slot_types = self.slot_types.get(intent, {})
        slots = {name: SlotFill(None, slot_type=slot_types[name]) for name in slot_types}
        for name, heard in best_tagging(words, carriers, self._lexicon(intent)).items():
            if name in slots:
                slots[name] = self.resolve(slot_types[name], heard)
        return slots

    @functools.cached_property
    def _all_carriers(self) -> tuple[Carrier, ...]:
        return tuple(c for carriers in self.carriers.values() for c in carriers)

    @functools.cache  # noqa: B019 - one lexicon per intent, for the router's (process-long) life
    def _lexicon(self, intent: str) -> Lexicon:
        """What the tagger knows of the intent's slots: each one's spoken values, and the words it takes
        for context (function words and every sample's literal words) on either side of a value."""
        carrier_words = {t for c in self._all_carriers for t in c.tokens if not _SLOT.fullmatch(t)}
        values: dict[str, frozenset[str]] = {}
        context: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for slot, slot_type in self.slot_types.get(intent, {}).items():
            spoken = [s.replace(".", "").split() for v in self.types.get(slot_type, []) for s in v.spoken]
            values[slot] = frozenset(" ".join(words) for words in spoken if words)
            first = {words[0] for words in spoken if words}
            last = {words[-1] for words in spoken if words}
            context[slot] = (
                frozenset(_FUNCTION_WORDS | _EDGE_FILLERS | (carrier_words - first)),
                frozenset(_FUNCTION_WORDS | _EDGE_FILLERS | (carrier_words - last)),
            )
        return Lexicon(values, context)

    def resolve(self, slot_type: str, words: Sequence[str]) -> SlotFill:
        """The heard words as Alexa sends them: resolved only when they are a value or synonym."""
        heard = " ".join(_trim(list(words)))
        if not heard:
            return SlotFill(None, slot_type=slot_type)
        value = self._listed(slot_type, heard)
        if value is None:
            return SlotFill(heard, None, None, slot_type)
        return SlotFill(heard, value.id, value.name, slot_type)

    def _listed(self, slot_type: str, words: str) -> SlotValue | None:
        plain = words.replace(".", "")
        for value in self.types.get(slot_type, []):
            if any(plain == spoken.replace(".", "") for spoken in value.spoken):
                return value
        return None

    def copies_a_sample(self, phrase: str) -> bool:
        """Whether the phrasing is a sample, or a slot sample filled with any listed value or synonym
        (past the expansion cap too), once normalised."""
        words = _words(phrase)
        for intent, carriers in self.carriers.items():
            slot_types = self.slot_types.get(intent, {})
            for carrier in carriers:
                found = carrier.match(words)
                if found is not None and all(
                    self._listed(slot_types.get(name, ""), said) for name, said in found.items()
                ):
                    return True
        return False

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
                found.append(Confusion(sample, routed, self.samples[row], top))
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


@functools.cache
def router_for(locale: str) -> Router:
    """The locale's router over its generated model, built once per process and shared."""
    return Router(locale)


@dataclass(frozen=True)
class Calibration:
    """The similarities behind THRESHOLD: of each sample left out, and of each off-domain phrase."""

    threshold: float
    samples: tuple[float, ...]
    off_domain: tuple[float, ...]

    @property
    def off_domain_admitted(self) -> int:
        return sum(s >= self.threshold for s in self.off_domain)

    @property
    def samples_below(self) -> float:
        return sum(s < self.threshold for s in self.samples) / len(self.samples)


def calibrate(router: Router) -> Calibration:
    return Calibration(
        router.threshold, tuple(router.leave_one_out_best()), tuple(router.best_similarities(OUT_OF_DOMAIN))
    )


def _trim(words: list[str]) -> list[str]:
    while words and words[0] in _EDGE_FILLERS:
        words = words[1:]
    while words and words[-1] in _EDGE_FILLERS:
        words = words[:-1]
    return words


@dataclass(frozen=True)
class Lexicon:
    """Per slot: its values and synonyms (normalised, no periods), and the words a tagger learns, from the
    samples and the catalogue, to take as context before a value and after one: function words and every
    sample's literal words, less (before) the words that begin a value and (after) those that end one."""

    values: Mapping[str, frozenset[str]]
    context: Mapping[str, tuple[frozenset[str], frozenset[str]]]


def _edge_fit(phrase: Sequence[str], tokens: Sequence[str], context: frozenset[str]) -> list[int]:
    """For each i, the best fit of phrase[:i] to the carrier's literal tokens in order: 2 per word they
    share, `UNEXPLAINED` off per word that is neither shared nor context."""
    rows = [[0] * (len(tokens) + 1)]
    for a, word in enumerate(phrase, 1):
        cost = 0 if word in context else -UNEXPLAINED
        row = [rows[a - 1][0] + cost]
        for b, token in enumerate(tokens, 1):
            best = max(rows[a - 1][b] + cost, row[b - 1])
            if word == token:
                best = max(best, rows[a - 1][b - 1] + 2)
            row.append(best)
        rows.append(row)
    return [row[-1] for row in rows]


def _trim_context(words: Sequence[str], before: frozenset[str], after: frozenset[str]) -> list[str]:
    """The words less the context words at their start (`before` a value) and at their end (`after` it)."""
    start, end = 0, len(words)
    while start < end and words[start] in before:
        start += 1
    while end > start and words[end - 1] in after:
        end -= 1
    return list(words[start:end])


_Ranked = tuple[tuple[bool, int, int], dict[str, list[str]]]


def _tag_one(
    phrase: Sequence[str],
    carrier: Carrier,
    values: frozenset[str],
    before: frozenset[str],
    after: frozenset[str],
) -> _Ranked:
    """The best span of the phrase for a one-slot carrier's slot, scored as a tagger would: how well the
    words around the span follow the carrier's literal words (`_edge_fit`), plus `LISTED_BONUS` a word
    when the span is a listed value, as said or less the fillers or the context words at its edges; a
    span left with words beats an empty one, and among equals the longer span wins (a slot takes all the
    words between the carrier's). The rank and the span's words, less those edge words."""
    position = carrier.tokens.index(f"{{{carrier.slots[0]}}}")
    fit_before = _edge_fit(phrase, carrier.tokens[:position], before)
    fit_after = _edge_fit(phrase[::-1], carrier.tokens[position + 1 :][::-1], after)[::-1]
    best: _Ranked | None = None
    for i in range(len(phrase) + 1):
        for j in range(i, len(phrase) + 1):
            raw = list(phrase[i:j])
            said = (raw, _trim(raw), _trim_context(raw, before, after))
            words = next((w for w in said if " ".join(w).replace(".", "") in values), said[-1])
            listed = bool(words) and " ".join(words).replace(".", "") in values
            score = fit_before[i] + fit_after[j] - carrier.literal + LISTED_BONUS * listed * len(words)
            rank = (bool(words), score, j - i)
            if best is None or rank > best[0]:
                best = (rank, {carrier.slots[0]: words})
    assert best is not None  # the empty span is always a candidate
    return best


def best_tagging(
    phrase: Sequence[str], carriers: Sequence[Carrier], lexicon: Lexicon
) -> dict[str, list[str]]:
    """The slot words of the best-ranked carrier and span: a one-slot carrier is tagged by `_tag_one`,
    any other by its alignment (`_aligned`)."""
    best: _Ranked | None = None
    for carrier in carriers:
        slot = carrier.slots[0] if len(carrier.slots) == 1 else ""
        if slot in lexicon.values:
            found = _tag_one(phrase, carrier, lexicon.values[slot], *lexicon.context[slot])
        else:
            found = _aligned(phrase, carrier)
        if best is None or found[0] > best[0]:
            best = found
    return best[1] if best else {}


def _aligned(phrase: Sequence[str], carrier: Carrier) -> _Ranked:
    score, spans = carrier.align(phrase)
    heard = all(_trim(list(w)) for w in spans.values())
    return (heard, score, -sum(len(w) for w in spans.values())), spans


def best_alignment(phrase: Sequence[str], carriers: Sequence[Carrier]) -> dict[str, list[str]]:
    """The slot words under the carrier the phrase follows best: Alexa fills a slot when it can, so a
    carrier that leaves words for every slot beats one that leaves none; then the most literal words
    followed; then the shorter slot value."""
    best: _Ranked | None = None
    for carrier in carriers:
        found = _aligned(phrase, carrier)
        if best is None or found[0] > best[0]:
            best = found
    return best[1] if best else {}


# -- slot calibration (synthetic, from the interaction model only) ---------------------------------------

# Fillings no catalogue lists, per slot type's role: a made-up word and ordinary words a patient might say.
UNLISTED_FILLS = ("zorbleck", "elbow", "big toe")
# The ways people talk around a sample: words before it, words after it, the slot phrase said first.
PERTURBATIONS: dict[str, str] = {
    "as is": "{sample}",
    "and ...": "and {sample}",
    "um ...": "um {sample}",
    "so ...": "so {sample}",
    "... what about that": "{sample} what about that",
    "... can they help": "{sample} can they help",
    "... please": "{sample} please",
    "... is it": "{sample} is it",
    "X what is that": "{value} what is that",
}
CATALOG_FILLS_PER_CARRIER = 4


@dataclass(frozen=True)
class SlotCase:
    """A phrasing made from a slot sample, with the words its slot truly holds."""

    locale: str
    intent: str
    perturbation: str
    words: tuple[str, ...]
    slot: str
    truth: str
    listed: bool


def synthetic_slot_cases(router: Router) -> list[SlotCase]:
    """Each one-slot sample of the router's model, filled with listed values and synonyms (a different few
    per sample, so all are used) and with `UNLISTED_FILLS`, then said each way of `PERTURBATIONS`."""
    cases: list[SlotCase] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for intent, carriers in router.carriers.items():
        slot_types = router.slot_types.get(intent, {})
        for index, carrier in enumerate(c for c in carriers if len(c.slots) == 1):
            slot = carrier.slots[0]
            spoken = _round_robin(router.types.get(slot_types.get(slot, ""), []))
            if not spoken:
                continue
            start = index * CATALOG_FILLS_PER_CARRIER
            listed = [spoken[(start + i) % len(spoken)] for i in range(CATALOG_FILLS_PER_CARRIER)]
            fills = [(value, True) for value in listed] + [(value, False) for value in UNLISTED_FILLS]
            for value, is_listed in fills:
                sample = carrier.text.replace(f"{{{slot}}}", value)
                for name, form in PERTURBATIONS.items():
                    words = tuple(_words(form.format(sample=sample, value=value)))
                    if (intent, words) in seen:
                        continue
                    seen.add((intent, words))
                    truth = " ".join(_words(value))
                    cases.append(SlotCase(router.locale, intent, name, words, slot, truth, is_listed))
    return cases


def tag_case(router: Router, case: SlotCase) -> str:
    """The slot words the router sends for the case, given its intent: the carriers it would align with are
    the frames the phrasing says (step 4), else every slot carrier of the intent."""
    carriers = [c for c in router._frame_match(case.words) if c.intent == case.intent]
    if not carriers:
        carriers = [c for c in router.carriers[case.intent] if c.slots]
    fill = router.fill_slots(case.intent, case.words, carriers)[case.slot]
    return " ".join(_words(fill.value or ""))


def slot_accuracy(router: Router, cases: Sequence[SlotCase]) -> dict[str, tuple[int, int]]:
    """Exact matches and cases, per perturbation and in all ("all")."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        right = tag_case(router, case) == case.truth
        for key in (case.perturbation, "all", "listed" if case.listed else "unlisted"):
            counts[key][0] += right
            counts[key][1] += 1
    return {key: (r, n) for key, (r, n) in counts.items()}
