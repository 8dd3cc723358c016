"""Resolves typed text to an intent and slots from the interaction model's own samples.

`tpi-skill ask` and `tpi-skill chat` have no Alexa service to do natural-language understanding, so this
module stands in for it with the same data Alexa is given: the generated model for the locale (plus a
few plain phrases for built-in intents that Alexa knows without samples). In order of trust:

1. the normalised text equals a sample;
2. it matches a sample with slots, and every captured slot value resolves to a slot-type value or
   synonym (Alexa's ER_SUCCESS_MATCH);
3. a conservative fuzzy match: IDF-weighted word overlap, where words that appear in many intents
   ("injection", "what") count little, and words the model never uses count against the match;
4. a slot sample whose captured value resolves to nothing ("biceps": ER_SUCCESS_NO_MATCH), when there
   is a sign the words were meant as that slot (a topical word in the sample, or a word of the slot
   type or of its `resolver_type_hints`), so "what's the weather" is not an unknown muscle;
5. otherwise AMAZON.FallbackIntent, as Alexa does for out-of-domain speech.

Everything is compiled once per locale, so resolving is a dictionary lookup or a few dozen regular
expressions in the common case.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from skill import model_builder

FALLBACK_INTENT = "AMAZON.FallbackIntent"

# Fuzzy matches below this weighted-overlap score go to the fallback intent. Tuned against
# tests/test_nlu.py: paraphrases of every topic score above it, small talk and other domains below.
FUZZY_THRESHOLD = 0.55
# Share of the fuzzy score given to how much of the text the intent's whole vocabulary covers, next to
# the overlap with its single closest sample.
COVERAGE_SHARE = 0.3
# A slot sample whose value resolves to nothing still counts (step 4) only when the captured text is short
# enough to be a name rather than a sentence, and only with some evidence that the text is about the
# skill's subject (see _Pattern.topical): otherwise "what's the weather" would be an unknown muscle.
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


# --- normalisation ------------------------------------------------------------------------------------

_CONTRACTIONS = {
    "what's": "what is",
    "whats": "what is",
    "it's": "it is",
    "that's": "that is",
    "thats": "that is",
    "there's": "there is",
    "where's": "where is",
    "wheres": "where is",
    "who's": "who is",
    "how's": "how is",
    "here's": "here is",
    "he's": "he is",
    "she's": "she is",
    "let's": "let us",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wouldnt": "would not",
    "wont": "will not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
}
_SUFFIX_CONTRACTIONS = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'m", " am"))
_SPELLED_ABBREVIATION = re.compile(r"\b(?:[a-z]\.\s*){2,}")
_NOT_WORD = re.compile(r"[^\w\s']|_")

# Wake words, politeness and preambles that carry no intent; stripped from both ends, longest first.
_LEADING_FILLERS = tuple(
    tuple(p.split())
    for p in sorted(
        [
            "alexa",
            "hey alexa",
            "hey",
            "hi",
            "hello",
            "please",
            "can you",
            "could you",
            "would you",
            "will you",
            "can you please",
            "could you please",
            "so",
            "um",
            "uh",
            "er",
            "i want to know",
            "i would like to know",
            "i was wondering",
            "do you know",
        ],
        key=len,
        reverse=True,
    )
)
_TRAILING_FILLERS = (("thank", "you"), ("thanks",), ("please",), ("alexa",))
_LAUNCH_VERBS = ("ask", "tell", "open", "launch", "start", "use")
_INVOCATION_JOINERS = ("to", "about", "for", "if", "whether", "and")
_INVOCATION_SUFFIX_JOINERS = ("from", "in", "using", "with", "on", "at")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = _words(
    """a an the is are am be been being was were do does did doing it its this that these those i me my
    mine myself you your we us our they them their he she him her of to in on at for with about into
    from by and or so just there any some will would can could shall may might have has had
    get got not please um uh really actually also usually exactly basically probably maybe perhaps quite
    very bit little lot ever even still now then well oh"""
)
# Question words and verbs of asking: in a slot sample's fixed wording they say nothing about the topic.
_GENERIC = _words(
    "what how where which who whom whose why when tell explain describe know say like hear want give mean "
    "much many long often"
)
_DETERMINERS = _words("the my a an your our this that these those any some possible")


def _expand(word: str) -> str:
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    for suffix, replacement in _SUFFIX_CONTRACTIONS:
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("'d") and len(word) > 2:
        return word[:-2] + " would"
    return word.replace("'", "")


def _clean_tokens(text: str) -> list[str]:
    """Lowercase words without punctuation, contractions spelled out, "q. l." joined to "ql"."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _SPELLED_ABBREVIATION.sub(lambda m: m.group(0).replace(".", "").replace(" ", "") + " ", text)
    text = _NOT_WORD.sub(" ", text)
    words: list[str] = []
    for raw in text.split():
        words.extend(_expand(raw.strip("'")).split())
    return [w for w in words if w]


def _startswith(tokens: Sequence[str], prefix: Sequence[str]) -> bool:
    return len(tokens) > len(prefix) and tuple(tokens[: len(prefix)]) == tuple(prefix)


def _endswith(tokens: Sequence[str], suffix: Sequence[str]) -> bool:
    return len(tokens) > len(suffix) and tuple(tokens[-len(suffix) :]) == tuple(suffix)


def _strip_fillers(tokens: list[str], invocation: Sequence[str]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for verb in _LAUNCH_VERBS:
            if _startswith(tokens, (verb, *invocation)):
                tokens = tokens[1 + len(invocation) :]
                if tokens and tokens[0] in _INVOCATION_JOINERS and len(tokens) > 1:
                    tokens = tokens[1:]
                changed = True
        for joiner in _INVOCATION_SUFFIX_JOINERS:
            if _endswith(tokens, (joiner, *invocation)):
                tokens = tokens[: -1 - len(invocation)]
                changed = True
        for prefix in _LEADING_FILLERS:
            if _startswith(tokens, prefix):
                tokens = tokens[len(prefix) :]
                changed = True
        for suffix in _TRAILING_FILLERS:
            if _endswith(tokens, suffix):
                tokens = tokens[: -len(suffix)]
                changed = True
    return tokens


def _stem(word: str) -> str:
    """Fold plurals and common endings so "injections", "injected" and "injecting" meet "inject".

    Deliberately crude: it is applied to both sides, so it only has to be consistent, not correct.
    """
    if len(word) > 5:
        for ending in ("ing", "ed", "ly"):
            if word.endswith(ending):
                return word[: -len(ending)]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# --- the compiled index ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pattern:
    intent: str
    regex: re.Pattern[str]
    slot_types: tuple[tuple[str, str], ...]  # (slot name, slot type) in sample order
    literal_words: int
    topical: bool  # its fixed wording has a word about the subject ("treated", "inject", "leaflet")


@dataclass(frozen=True)
class _Entry:
    intent: str
    words: frozenset[str]  # content words, stemmed; slots appear as their type token
    weight: float


@dataclass(frozen=True)
class _Index:
    invocation: tuple[str, ...]
    exact: Mapping[str, str]
    patterns: tuple[_Pattern, ...]
    values: Mapping[str, Mapping[str, tuple[str, str]]]  # type -> spoken key -> (id, name)
    entity_regex: Mapping[str, re.Pattern[str]]  # type -> any synonym as whole words, longest first
    type_words: Mapping[str, frozenset[str]]  # type -> words of its values and hints ("muscle", "biceps")
    entries: tuple[_Entry, ...]
    postings: Mapping[str, tuple[int, ...]]  # content word -> entries holding it
    intent_words: Mapping[str, frozenset[str]]  # intent -> content words of all its samples
    idf: Mapping[str, float]
    unknown_weight: float
    vocabulary: tuple[str, ...]
    known: frozenset[str]
    slots: Mapping[str, Mapping[str, str]]  # intent -> slot name -> type


def _type_token(slot_type: str) -> str:
    return f"<{slot_type}>"


def _sample_tokens(sample: str, invocation: Sequence[str]) -> list[str]:
    """Normalise a sample the way typed text is normalised, keeping `{slot}` placeholders whole."""
    tokens: list[str] = []
    for i, piece in enumerate(re.split(r"(\{\w+\})", sample)):
        tokens.extend([piece] if i % 2 else _clean_tokens(piece))
    return _strip_fillers(tokens, invocation)


def _content(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(_stem(t) for t in tokens if t not in _STOPWORDS)


def _spoken_key(tokens: Sequence[str]) -> str:
    return " ".join(_stem(t) for t in tokens)


@functools.cache
def _index(locale: str) -> _Index:
    model = model_builder.build_model(locale)["interactionModel"]["languageModel"]
    invocation = tuple(_clean_tokens(model["invocationName"]))

    slots: dict[str, dict[str, str]] = {
        intent["name"]: {s["name"]: s["type"] for s in intent.get("slots", [])} for intent in model["intents"]
    }
    # (intent, phrase, fuzzy): resolver-only phrases are short social words ("sounds good", "no") that
    # only count when said exactly; matched loosely they would turn "good morning" into a yes.
    phrases: list[tuple[str, str, bool]] = [
        (i["name"], s, True) for i in model["intents"] for s in i.get("samples", [])
    ]
    for intent, extra in model_builder.resolver_phrases(locale).items():
        phrases.extend((intent, p, False) for p in extra)
        slots.setdefault(intent, {})

    values: dict[str, dict[str, tuple[str, str]]] = {}
    entity_regex: dict[str, re.Pattern[str]] = {}
    vocabulary: set[str] = set()
    type_words: dict[str, frozenset[str]] = {}
    for slot_type in model.get("types", []):
        keys: dict[str, tuple[str, str]] = {}
        spoken_forms: set[str] = set()
        for value in slot_type["values"]:
            target = (value["id"], value["name"]["value"])
            for spoken in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                tokens = _clean_tokens(spoken)
                vocabulary.update(tokens)
                spoken_forms.add(" ".join(tokens))
                keys.setdefault(" ".join(tokens), target)
                keys.setdefault(_spoken_key(tokens), target)
        values[slot_type["name"]] = keys
        hints = model_builder.resolver_type_hints(locale).get(slot_type["name"], [])
        vocabulary.update(
            w for h in hints for w in _clean_tokens(h)
        )  # never "correct" infection to injection
        type_words[slot_type["name"]] = _content(
            w for s in [*spoken_forms, *hints] for w in _clean_tokens(s) if w not in _GENERIC
        )
        alternatives = "|".join(re.escape(s) for s in sorted(spoken_forms, key=len, reverse=True))
        entity_regex[slot_type["name"]] = re.compile(rf"(?<!\S)(?:{alternatives})(?!\S)")

    exact: dict[str, str] = {}
    patterns: list[_Pattern] = []
    samples: list[tuple[str, list[str]]] = []
    for intent, sample, fuzzy in phrases:
        tokens = _sample_tokens(sample, invocation)
        vocabulary.update(t for t in tokens if not t.startswith("{"))
        if not any(t.startswith("{") for t in tokens):
            exact.setdefault(" ".join(tokens), intent)
            if fuzzy:
                samples.append((intent, tokens))
            continue
        parts, slot_types = [], []
        for token in tokens:
            if token.startswith("{"):
                name = token[1:-1]
                slot_types.append((name, slots[intent][name]))
                parts.append(f"(?P<{name}>.+?)")
            else:
                parts.append(re.escape(token))
        literal = [t for t in tokens if not t.startswith("{")]
        topical = any(t not in _STOPWORDS and t not in _GENERIC for t in literal)
        patterns.append(
            _Pattern(intent, re.compile(" ".join(parts)), tuple(slot_types), len(literal), topical)
        )
        samples.append(
            (intent, [_type_token(slots[intent][t[1:-1]]) if t.startswith("{") else t for t in tokens])
        )

    # Inverse document frequency over intents, not samples: a word spread over many intents says little.
    intents_with_word: dict[str, set[str]] = {}
    for intent, tokens in samples:
        for word in _content(tokens):
            intents_with_word.setdefault(word, set()).add(intent)
    intent_count = len({intent for intent, _ in samples})
    idf = {w: math.log(1 + intent_count / len(found)) for w, found in intents_with_word.items()}
    unknown_weight = math.log(1 + intent_count)

    entries: list[_Entry] = []
    postings: dict[str, list[int]] = {}
    for intent, tokens in samples:
        words = _content(tokens)
        if not words:
            continue
        for word in words:
            postings.setdefault(word, []).append(len(entries))
        entries.append(_Entry(intent, words, sum(idf[w] for w in words)))

    return _Index(
        invocation=invocation,
        exact=exact,
        patterns=tuple(patterns),
        values=values,
        entity_regex=entity_regex,
        type_words=type_words,
        entries=tuple(entries),
        postings={w: tuple(ids) for w, ids in postings.items()},
        intent_words={
            intent: frozenset(w for e in entries if e.intent == intent for w in e.words)
            for intent in {e.intent for e in entries}
        },
        idf=idf,
        unknown_weight=unknown_weight,
        vocabulary=tuple(sorted(vocabulary)),
        known=frozenset(vocabulary) | _STOPWORDS,
        slots=slots,
    )


# --- resolution -----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _correct(word: str, locale: str) -> str:
    index = _index(locale)
    close = difflib.get_close_matches(word, index.vocabulary, n=1, cutoff=CORRECTION_CUTOFF)
    return close[0] if close else word


def _resolve_value(index: _Index, slot_type: str, tokens: Sequence[str]) -> tuple[str, str] | None:
    keys = index.values.get(slot_type, {})
    candidates = [list(tokens)]
    while candidates[-1] and candidates[-1][0] in _DETERMINERS:
        candidates.append(candidates[-1][1:])
    for words in list(candidates):
        if len(words) > 1 and words[-1] in ("muscle", "muscles"):
            candidates.append(words[:-1])
    for words in candidates:
        found = keys.get(" ".join(words)) or keys.get(_spoken_key(words))
        if found:
            return found
    return None


def _slot_value(index: _Index, name: str, slot_type: str, spoken: str) -> SlotValue:
    found = _resolve_value(index, slot_type, spoken.split())
    return SlotValue(name, spoken, found[0] if found else None, found[1] if found else None)


def _match_patterns(index: _Index, text: str) -> tuple[IntentMatch | None, IntentMatch | None]:
    """Return the best slot-sample match whose values all resolve, and the best one that does not."""
    resolved: tuple[int, IntentMatch] | None = None
    unresolved: tuple[int, IntentMatch] | None = None
    for pattern in index.patterns:
        found = pattern.regex.fullmatch(text)
        if not found:
            continue
        slots = {name: _slot_value(index, name, t, found.group(name)) for name, t in pattern.slot_types}
        match = IntentMatch(pattern.intent, slots)
        if all(s.resolved_id for s in slots.values()):
            if resolved is None or pattern.literal_words > resolved[0]:
                resolved = (pattern.literal_words, match)
        elif _plausible(index, pattern, slots) and (
            unresolved is None or pattern.literal_words > unresolved[0]
        ):
            unresolved = (pattern.literal_words, match)
    return (resolved[1] if resolved else None), (unresolved[1] if unresolved else None)


def _plausible(index: _Index, pattern: _Pattern, slots: Mapping[str, SlotValue]) -> bool:
    """Whether an unresolved slot match is about the skill's subject rather than any old sentence."""
    # A sample that is only a slot ("{muscle}") captures the whole text: accept only a name-sized one.
    longest = MAX_UNRESOLVED_CAPTURE_WORDS if pattern.literal_words else MAX_BARE_SLOT_WORDS
    if any(len(s.value.split()) > longest for s in slots.values()):
        return False
    if pattern.topical:
        return True
    types = dict(pattern.slot_types)
    return any(
        _content(s.value.split()) & index.type_words.get(types[n], frozenset()) for n, s in slots.items()
    )


def _tag_entities(index: _Index, text: str) -> tuple[str, dict[str, str]]:
    """Replace slot values found anywhere in the text by their type token; return what was found."""
    found: dict[str, str] = {}
    for slot_type, regex in index.entity_regex.items():
        hit = regex.search(text)
        if hit:
            found[slot_type] = hit.group(0)
            text = regex.sub(_type_token(slot_type), text)
    return text, found


def _fuzzy(index: _Index, tokens: Sequence[str]) -> tuple[str, float]:
    """Best intent by weighted word overlap with its closest sample, blended with how much of the text
    the intent's vocabulary covers (so "what muscles do they usually inject" counts "muscles" as well as
    "inject"). Text is scored as typed and with slot values replaced by their type."""
    text = " ".join(tokens)
    tagged, _ = _tag_entities(index, text)
    best_intent, best_score = FALLBACK_INTENT, 0.0
    plain, typed = _content(tokens), _content(tagged.split())
    for words in [plain] if plain == typed else [plain, typed]:
        weight = sum(index.idf.get(w, index.unknown_weight) for w in words)
        closest: dict[str, float] = {}
        for i in {i for w in words for i in index.postings.get(w, ())}:
            entry = index.entries[i]
            shared = words & entry.words
            if shared <= _GENERIC:
                continue  # "who is the president" shares only "who" with "who is it for"
            dice = 2 * sum(index.idf[w] for w in shared) / (weight + entry.weight)
            closest[entry.intent] = max(dice, closest.get(entry.intent, 0.0))
        for intent, dice in closest.items():
            coverage = sum(index.idf[w] for w in words & index.intent_words[intent]) / weight
            score = (1 - COVERAGE_SHARE) * dice + COVERAGE_SHARE * coverage
            if score > best_score:
                best_intent, best_score = intent, score
    return best_intent, best_score


def normalise(text: str, locale: str = "en-US") -> str:
    """The text as the resolver compares it: lowercase words, no punctuation, fillers and wake word gone."""
    return " ".join(_strip_fillers(_clean_tokens(text), _index(locale).invocation))


def resolve(text: str, locale: str = "en-US") -> IntentMatch:
    """Resolve typed text to the intent and slots Alexa would most likely send for it in `locale`."""
    index = _index(locale)
    tokens = _strip_fillers(_clean_tokens(text), index.invocation)
    tokens = [
        _correct(t, locale) if len(t) >= MIN_CORRECTABLE_LENGTH and t not in index.known else t
        for t in tokens
    ]
    if not tokens:
        return IntentMatch(FALLBACK_INTENT)
    text = " ".join(tokens)

    intent = index.exact.get(text)
    if intent:
        return IntentMatch(intent)
    resolved, unresolved = _match_patterns(index, text)
    if resolved:
        return resolved

    intent, score = _fuzzy(index, tokens)
    if score >= FUZZY_THRESHOLD:
        _, entities = _tag_entities(index, text)
        slots = {
            name: _slot_value(index, name, slot_type, entities[slot_type])
            for name, slot_type in index.slots.get(intent, {}).items()
            if slot_type in entities
        }
        return IntentMatch(intent, slots)
    if unresolved:
        return unresolved
    return IntentMatch(FALLBACK_INTENT)


def declared_slots(intent: str, locale: str = "en-US") -> dict[str, str]:
    """Slot names and types the model declares for `intent`, for building a full Alexa intent object."""
    return dict(_index(locale).slots.get(intent, {}))
