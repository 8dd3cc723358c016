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

_NOT_WORD = re.compile(r"[^a-z']+")
_SPELT_LETTERS = re.compile(r"\b(?:[a-z] )+[a-z]\b")
MAX_PHRASE_WORDS = 8


def normalise(text: str) -> str:
    """Lower case words separated by single spaces; spelt-out letters joined ("q. l." and "QL": "ql")."""
    words = " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    return _SPELT_LETTERS.sub(lambda match: match.group(0).replace(" ", ""), words)


def find_mention(
    text: str | None, mentions: dict[str, str], broad: frozenset[str] = frozenset()
) -> str | None:
    """What the longest known phrase inside `text` stands for, or None when it holds none. Between
    phrases of the same length, a specific subject wins over a `broad` one ("does the injection hurt"
    is about pain, not about injections in general)."""
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
            return next((meaning for meaning in found if meaning not in broad), found[0])
    return None
