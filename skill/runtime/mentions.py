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
    words = [word.strip("'") for word in _NOT_WORD.sub(" ", _POSSESSIVE.sub("", lowered)).split()]
    words = [word for word in words if word]
    return " ".join(_join_letters(words))


def _join_letters(words: list[str]) -> list[str]:
    """Letters heard one by one ("q l") as the word they spell ("ql"); "a" and "i" stay words."""
    joined: list[str] = []
    spelling = False
    for word in words:
        letter = len(word) == 1 and word.isalpha() and word not in ("a", "i")
        if letter and spelling:
            joined[-1] += word
        else:
            joined.append(word)
        spelling = letter
    return joined


def find_mention(
    text: str | None,
    mentions: dict[str, str],
    broad: frozenset[str] = frozenset(),
    own: frozenset[str] = frozenset(),
) -> str | None:
    """What the known phrases inside `text` stand for, the best first, or None when it holds none:
    - a meaning of the slot's `own` kind ("trigger points in my knee" in a body-part slot is about the
      knee), unless it only says the part is vague;
    - then anything over a `broad` topic, which is usually the question's setting, not its subject
      ("can pregnant women have trigger point injections" is about pregnancy);
    - then the longest phrase ("lower back pain" over "back");
    - then a subject the leaflet covers over words that only show what it lacks ("my knee and my
      neck" is the neck)."""
    if not text:
        return None
    words = normalise(text).split()
    found = [
        (meaning, size)
        for size in range(1, min(len(words), MAX_PHRASE_WORDS) + 1)
        for start in range(len(words) - size + 1)
        if (meaning := mentions.get(" ".join(words[start : start + size]))) is not None
    ]
    if not found:
        return None

    def rank(candidate: tuple[str, int]) -> tuple[bool, bool, bool, int, bool]:
        meaning, size = candidate
        return (
            meaning == VAGUE,
            bool(own) and meaning not in own,
            meaning in broad,
            -size,
            meaning in HONEST_NO,
        )

    return min(found, key=rank)[0]
