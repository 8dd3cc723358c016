"""Understands the words of a slot Alexa could not resolve (ER_SUCCESS_NO_MATCH), without repeating them.

Custom slots are open: "i have pain in my lower back" may arrive as a muscle slot holding "lower back"
or a subject slot holding "the cortisone in it". The table compiled from the slot types' values,
synonyms and hint words (`Content.mentions`) finds the longest phrase of it inside those words, so
what the patient meant still gets its answer, and words the leaflet does not cover get an honest one.
"""

from __future__ import annotations

import re

UNKNOWN_PART = "unknown_part"
"""A part of the body the leaflet does not mention."""
NOT_COVERED = "not_covered"
"""A question the leaflet does not answer."""
VAGUE = "vague"
"""Words that say it is a body part but not which one: ask which."""

HONEST_NO = frozenset({UNKNOWN_PART, NOT_COVERED, VAGUE})
"""Meanings that only say what the leaflet lacks: any real subject named beside them comes first."""

_SPELT_LETTERS = re.compile(r"\b(?:[a-z]\.\s*){2,}")  # "q. l." as Alexa writes a spelt-out word
_POSSESSIVE = re.compile(r"'s\b")
_NOT_WORD = re.compile(r"[^a-z0-9']+")
MAX_PHRASE_WORDS = 8


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces: spelt-out letters joined ("q. l." and "QL": "ql"),
    possessives dropped ("my butt's sore": "my butt sore")."""
    lowered = _SPELT_LETTERS.sub(lambda match: re.sub(r"[.\s]", "", match.group(0)) + " ", text.lower())
    words = _NOT_WORD.sub(" ", _POSSESSIVE.sub("", lowered)).split()
    return " ".join(word.strip("'") for word in words if word.strip("'"))


def find_mention(
    text: str | None, mentions: dict[str, str], broad: frozenset[str] = frozenset()
) -> str | None:
    """What the longest known phrase inside `text` stands for, or None when it holds none. Between
    phrases of the same length, a specific subject wins over a `broad` one ("does the injection hurt"
    is about pain, not about injections in general), and both win over words that only show what the
    leaflet lacks ("my knee and my neck" is about the neck)."""
    if not text:
        return None
    words = normalise(text).split()
    for size in range(min(len(words), MAX_PHRASE_WORDS), 0, -1):
        found = [
            meaning
            for start in range(len(words) - size + 1)
            if (meaning := mentions.get(" ".join(words[start : start + size]))) is not None
        ]
        if found:
            return min(found, key=lambda meaning: (meaning in HONEST_NO, meaning in broad))
    return None
