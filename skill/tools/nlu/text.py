"""Turns typed text and model samples into the same comparable words.

Both sides go through these functions, so "What's the injection, Alexa?" and the sample "what is the
injection" meet as the same tokens; the stemmer only has to be consistent, not correct.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

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
# The fillers that are an intent of their own when nothing else is said: "ok thanks" is not "ok".
_SOCIAL_FILLERS = frozenset({("hi",), ("hello",), ("hey",), ("thank", "you"), ("thanks",)})
_LAUNCH_VERBS = ("ask", "tell", "open", "launch", "start", "use")
_INVOCATION_JOINERS = ("to", "about", "for", "if", "whether", "and")
_INVOCATION_SUFFIX_JOINERS = ("from", "in", "using", "with", "on", "at")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """a an the is are am be been being was were do does did doing it its this that these those i me my
    mine myself you your we us our they them their he she him her of to in on at for with about into
    from by and or so just there any some will would can could shall may might have has had
    get got not please um uh really actually also usually exactly basically probably maybe perhaps quite
    very bit little lot ever even still now then well oh"""
)
# Question words and verbs of asking: in a slot sample's fixed wording they say nothing about the topic.
GENERIC = _words(
    "what how where which who whom whose why when tell explain describe know say like hear want give mean "
    "much many long often"
)
DETERMINERS = _words("the my a an your our this that these those any some possible")


def _expand(word: str) -> str:
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    for suffix, replacement in _SUFFIX_CONTRACTIONS:
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("'d") and len(word) > 2:
        return word[:-2] + " would"
    return word.replace("'", "")


def clean_tokens(text: str) -> list[str]:
    """Lowercase words without punctuation, contractions spelled out, "q. l." joined to "ql"."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _SPELLED_ABBREVIATION.sub(lambda m: m.group(0).replace(".", "").replace(" ", "") + " ", text)
    text = _NOT_WORD.sub(" ", text)
    words: list[str] = []
    for raw in text.split():
        words.extend(_expand(raw.strip("'")).split())  # split() never yields an empty word
    return words


def _startswith(tokens: Sequence[str], prefix: Sequence[str]) -> bool:
    return len(tokens) > len(prefix) and tuple(tokens[: len(prefix)]) == tuple(prefix)


def _endswith(tokens: Sequence[str], suffix: Sequence[str]) -> bool:
    return len(tokens) > len(suffix) and tuple(tokens[-len(suffix) :]) == tuple(suffix)


def strip_politeness(tokens: list[str], keep: frozenset[tuple[str, ...]] = frozenset()) -> list[str]:
    """Drop wake words, greetings and politeness from both ends, except the fillers in `keep`."""
    changed = True
    while changed:
        changed = False
        for prefix in _LEADING_FILLERS:
            if prefix not in keep and _startswith(tokens, prefix):
                tokens = tokens[len(prefix) :]
                changed = True
        for suffix in _TRAILING_FILLERS:
            if suffix not in keep and _endswith(tokens, suffix):
                tokens = tokens[: -len(suffix)]
                changed = True
    return tokens


def is_launch_phrase(tokens: list[str], invocation: Sequence[str]) -> bool:
    """ "Alexa, open trigger point guide, please" opens the skill; "start over" does not."""
    tokens = strip_politeness(tokens)
    verb, *rest = tokens or [""]
    return verb in _LAUNCH_VERBS and rest == list(invocation)


def strip_fillers(tokens: list[str], invocation: Sequence[str], keep_social: bool = False) -> list[str]:
    """Drop wake words, "ask <invocation> to" and politeness from both ends: they carry no intent.

    With `keep_social`, greetings and thanks stay: around a request they are fillers, but they are all
    a sample like "ok thanks" or "hi there" means.
    """
    keep = _SOCIAL_FILLERS if keep_social else frozenset()
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
        politer = strip_politeness(tokens, keep)
        changed = changed or politer != tokens
        tokens = politer
    return tokens


def stem(word: str) -> str:
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


def content_words(tokens: Iterable[str]) -> frozenset[str]:
    """The stemmed words that say what the text is about, without stopwords."""
    return frozenset(stem(t) for t in tokens if t not in STOPWORDS)


def spoken_key(tokens: Sequence[str]) -> str:
    """A slot value's lookup key, so "biceps" finds the value spoken as "bicep"."""
    return " ".join(stem(t) for t in tokens)
