"""Resolves typed text against a locale's compiled index, in order of trust.

0. while Alexa listens for one slot (after Dialog.ElicitSlot), that slot's own samples ("my {bodyPart}")
   come first, unless the text is exactly another intent's sample ("stop", "help");
1. the text equals a sample, with greetings and thanks kept ("ok thanks") or, failing that, stripped;
2. it matches a sample with slots, and every captured slot value resolves to a slot-type value or
   synonym (Alexa's ER_SUCCESS_MATCH);
3. a conservative fuzzy match: IDF-weighted word overlap, where words that appear in many intents
   ("injection", "what") count little, and words the model never uses count against the match;
4. a slot sample whose captured value resolves to nothing ("biceps": ER_SUCCESS_NO_MATCH), when there
   is a sign the words were meant as that slot (a topical word in the sample, or a word of the slot
   type or of its `resolver_type_hints`), so "what's the weather" is not an unknown muscle;
5. during a re-ask, the slot's samples with words that do not resolve but look like the slot's type;
6. otherwise AMAZON.FallbackIntent, as Alexa does for out-of-domain speech.

Slot samples never count outside a re-ask: a sample that is nothing but the slot would catch any phrase.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from skill.tools.nlu.index import Entry, Index, Pattern, compiled, index_for, type_token
from skill.tools.nlu.text import (
    DETERMINERS,
    GENERIC,
    clean_tokens,
    content_words,
    is_launch_phrase,
    spoken_key,
    strip_fillers,
)

FALLBACK_INTENT = "AMAZON.FallbackIntent"

# Fuzzy matches below this weighted-overlap score go to the fallback intent. Tuned against
# tests/test_nlu.py: paraphrases of every topic score above it, small talk and other domains below.
FUZZY_THRESHOLD = 0.55
# Share of the fuzzy score given to how much of the text the intent's whole vocabulary covers, next to
# the overlap with its single closest sample.
COVERAGE_SHARE = 0.3
# How much better the reading with slot values replaced by their type must score to beat the plain one:
# "could it help my shoulder pain" is about the shoulders, "what are the benefits" is BenefitsIntent.
TAGGED_MARGIN = 0.2
QUESTION_WORDS = frozenset({"what", "how", "where", "which", "who", "why", "when"})
# A slot sample whose value resolves to nothing still counts (step 4) only when the captured text is short
# enough to be a name rather than a sentence, and only with some evidence that the text is about the
# skill's subject (see Pattern.topical): otherwise "what's the weather" would be an unknown muscle.
MAX_UNRESOLVED_CAPTURE_WORDS = 4
MAX_BARE_SLOT_WORDS = 2
# Unknown words shorter than this are not spelling-corrected: too many short words are near each other.
MIN_CORRECTABLE_LENGTH = 5
CORRECTION_CUTOFF = 0.84


@dataclass(frozen=True)
class SlotValue:
    """One filled slot, shaped like Alexa's: what was said and, if it matched, the slot-type value."""

    name: str
    value: str
    resolved_id: str | None  # None means entity resolution found no match (ER_SUCCESS_NO_MATCH)
    resolved_name: str | None


@dataclass(frozen=True)
class IntentMatch:
    """The intent typed text resolves to; `slots` holds only the slots the text filled."""

    intent: str
    slots: dict[str, SlotValue] = field(default_factory=dict)


@functools.lru_cache(maxsize=4096)
def _correct(word: str, locale: str) -> str:
    index = index_for(locale)
    close = difflib.get_close_matches(word, index.vocabulary, n=1, cutoff=CORRECTION_CUTOFF)
    return close[0] if close else word


def _resolve_value(index: Index, slot_type: str, tokens: Sequence[str]) -> tuple[str, str, int] | None:
    """The (id, name) a slot's words resolve to, and how many words the value found has."""
    keys = index.values.get(slot_type, {})
    candidates = [list(tokens)]
    while candidates[-1] and candidates[-1][0] in DETERMINERS:
        candidates.append(candidates[-1][1:])
    for words in list(candidates):
        if len(words) > 1 and words[-1] in ("muscle", "muscles"):
            candidates.append(words[:-1])
    for words in candidates:
        found = keys.get(" ".join(words)) or keys.get(spoken_key(words))
        if found:
            return found[0], found[1], len(words)
    return None


def _slot_value(index: Index, name: str, slot_type: str, spoken: str) -> tuple[SlotValue, int]:
    """The filled slot, and how many words the value it resolved to has (0 if none)."""
    found = _resolve_value(index, slot_type, spoken.split())
    if found is None:
        return SlotValue(name, spoken, None, None), 0
    return SlotValue(name, spoken, found[0], found[1]), found[2]


def _match_patterns(
    index: Index, text: str, patterns: Sequence[Pattern]
) -> tuple[IntentMatch | None, IntentMatch | None]:
    """Return the best slot-sample match whose values all resolve, and the best one that does not."""
    resolved: tuple[tuple[int, int], IntentMatch] | None = None
    unresolved: tuple[int, IntentMatch] | None = None
    for pattern in patterns:
        found = pattern.regex.fullmatch(text)
        if not found:
            continue
        filled = [_slot_value(index, name, t, found.group(name)) for name, t in pattern.slot_types]
        slots = {slot.name: slot for slot, _ in filled}
        match = IntentMatch(pattern.intent, slots)
        if all(s.resolved_id for s in slots.values()):
            # The longest value wins ("what is the hip muscle": the hip muscle, not the hip), then the
            # sample with the most fixed words.
            rank = (sum(words for _, words in filled), pattern.literal_words)
            if resolved is None or rank > resolved[0]:
                resolved = (rank, match)
        elif _plausible(index, pattern, slots) and (
            unresolved is None or pattern.literal_words > unresolved[0]
        ):
            unresolved = (pattern.literal_words, match)
    return (resolved[1] if resolved else None), (unresolved[1] if unresolved else None)


def _plausible(index: Index, pattern: Pattern, slots: Mapping[str, SlotValue]) -> bool:
    """Whether an unresolved slot match is about the skill's subject rather than any old sentence."""
    # A sample that is only a slot ("{bodyPart}") captures the whole text: accept only a name-sized one.
    longest = MAX_UNRESOLVED_CAPTURE_WORDS if pattern.literal_words else MAX_BARE_SLOT_WORDS
    if any(len(s.value.split()) > longest for s in slots.values()):
        return False
    if pattern.topical:
        return True
    types = dict(pattern.slot_types)
    return any(
        content_words(s.value.split()) & index.type_words.get(types[n], frozenset()) for n, s in slots.items()
    )


def _names_the_type(index: Index, match: IntentMatch) -> bool:
    """Whether every unresolved slot holds a hint word of its type ("knee" for BODY_PART): words the
    leaflet does not know, so no other reading of the text would find them a value."""
    types = index.slots.get(match.intent, {})
    return all(
        slot.resolved_id is not None
        or bool(content_words(slot.value.split()) & index.hint_words.get(types.get(name, ""), frozenset()))
        for name, slot in match.slots.items()
    )


def _tag_entities(index: Index, text: str) -> tuple[str, dict[str, str]]:
    """Replace slot values found anywhere in the text by their type token; return what was found."""
    found: dict[str, str] = {}
    for slot_type, source in index.entity_regex.items():
        regex = compiled(source)
        hit = regex.search(text)
        if hit:
            found[slot_type] = hit.group(0)
            text = regex.sub(type_token(slot_type), text)
    return text, found


def _fuzzy(index: Index, tokens: Sequence[str], tagged: str) -> tuple[str, float]:
    """Best intent by weighted word overlap with its closest sample, blended with how much of the text
    the intent's vocabulary covers (so "what muscles do they usually inject" counts "muscles" as well as
    "inject"). Text is scored as typed (`tokens`) and with slot values replaced by their type (`tagged`);
    the typed reading wins only when clearly better (TAGGED_MARGIN), because many slot values name a
    subject an intent of its own answers ("benefits", "causes")."""
    plain, typed = content_words(tokens), content_words(tagged.split())
    best_intent, best_score = _fuzzy_words(index, plain, tokens)
    if typed != plain:
        intent, score = _fuzzy_words(index, typed, tagged.split())
        if score > best_score + TAGGED_MARGIN or (best_score < FUZZY_THRESHOLD <= score):
            best_intent, best_score = intent, score
    return best_intent, best_score


def _asks_otherwise(text: frozenset[str], sample: frozenset[str]) -> bool:
    """Whether the text asks with a question word the sample does not use: then one shared word alone
    does not make them the same question ("what time is it" is not "do i need time off")."""
    asked = text & QUESTION_WORDS
    return bool(asked) and not asked & sample


def _fuzzy_words(index: Index, words: frozenset[str], tokens: Sequence[str]) -> tuple[str, float]:
    if not words:
        return FALLBACK_INTENT, 0.0
    weight = sum(index.idf.get(w, index.unknown_weight) for w in words)
    closest: dict[str, float] = {}  # intent -> dice overlap with its closest sample
    candidates: dict[str, list[Entry]] = {}
    for i in {i for w in words for i in index.postings.get(w, ())}:
        entry = index.entries[i]
        shared = words & entry.words
        if shared <= GENERIC:
            continue  # "who is the president" shares only "who" with "who is it for"
        if len(shared - GENERIC) == 1 and _asks_otherwise(words, entry.words):
            continue  # "what time is it" is not "how many times can i have it"
        dice = round(2 * sum(index.idf[w] for w in shared) / (weight + entry.weight), 9)
        closest[entry.intent] = max(closest.get(entry.intent, 0.0), dice)
        candidates.setdefault(entry.intent, []).append(entry)
    if not closest:
        return FALLBACK_INTENT, 0.0
    scores = {
        intent: round(
            (1 - COVERAGE_SHARE) * dice
            + COVERAGE_SHARE * sum(index.idf[w] for w in words & index.intent_words[intent]) / weight,
            9,
        )
        for intent, dice in closest.items()
    }
    best = max(scores.values())
    tied = [intent for intent, score in scores.items() if score == best]
    if len(tied) == 1:
        return tied[0], best

    # Equal scores ("you're speaking too slowly": "speak slowly" or "talking too slowly"?) go to the
    # intent with a sample most like the text word for word; only they pay for the comparison.
    def likeness(intent: str) -> float:
        return max(
            difflib.SequenceMatcher(None, tokens, entry.tokens, autojunk=False).ratio()
            for entry in candidates[intent]
        )

    return max(tied, key=lambda intent: (likeness(intent), intent)), best


def _words_of(index: Index, text: str) -> list[str]:
    return strip_fillers(clean_tokens(text), index.invocation)


def is_launch(text: str, locale: str = "en-US") -> bool:
    """Whether `text` only opens the skill ("Alexa, open trigger point guide"), as Alexa would launch it."""
    return is_launch_phrase(clean_tokens(text), index_for(locale).invocation)


def normalise(text: str, locale: str = "en-US") -> str:
    """The text as the resolver compares it: lowercase words, no punctuation, fillers and wake word gone."""
    return " ".join(_words_of(index_for(locale), text))


def resolve(text: str, locale: str = "en-US", eliciting: tuple[str, str] | None = None) -> IntentMatch:
    """Resolve typed text to the intent and slots Alexa would most likely send for it in `locale`;
    `eliciting` is the (intent, slot) Alexa was asked to listen for by the previous response."""
    index = index_for(locale)
    written = clean_tokens(text)
    tokens = [
        _correct(t, locale) if len(t) >= MIN_CORRECTABLE_LENGTH and t not in index.known else t
        for t in strip_fillers(written, index.invocation)
    ]
    if not tokens:
        return IntentMatch(FALLBACK_INTENT)
    text = " ".join(tokens)

    # Greetings and thanks kept first: "ok thanks" is ThanksIntent, while "um, ok" is a plain "ok".
    social = strip_fillers(written, index.invocation, keep_social=True)
    intent = index.exact.get(" ".join(social)) or index.exact.get(text)
    if intent:
        return IntentMatch(intent)
    elicited_unresolved = None
    if eliciting is not None:
        elicited, elicited_unresolved = _match_patterns(index, text, index.elicitation.get(eliciting, ()))
        if elicited:
            return elicited
    resolved, unresolved = _match_patterns(index, text, index.patterns)
    if resolved:
        return resolved
    if unresolved is not None and _names_the_type(index, unresolved):
        return unresolved  # "my knee hurts": a body part the leaflet does not know, not a "hurts" question

    tagged, entities = _tag_entities(index, text)
    intent, score = _fuzzy(index, tokens, tagged)
    if score >= FUZZY_THRESHOLD:
        if unresolved is not None and unresolved.intent == intent and not entities:
            return unresolved  # keep the words the slot sample captured ("allergies"), as Alexa would
        slots = {
            name: _slot_value(index, name, slot_type, entities[slot_type])[0]
            for name, slot_type in index.slots.get(intent, {}).items()
            if slot_type in entities
        }
        return IntentMatch(intent, slots)
    if unresolved:
        return unresolved
    if elicited_unresolved:
        return elicited_unresolved
    return IntentMatch(FALLBACK_INTENT)
