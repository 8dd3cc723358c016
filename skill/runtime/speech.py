"""Plain reviewed text to valid Alexa SSML: escaping, pronunciation of hard words, speech rate."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from html import escape as _html_escape

NORMAL_RATE = "100%"


# html.escape rather than xml.sax.saxutils: the latter imports urllib, http and ssl, which cost a
# Lambda cold start about 24 ms for two one-line functions.
def escape(text: str) -> str:
    """Escape &, < and > for SSML text."""
    return _html_escape(text, quote=False)


def quoteattr(value: str) -> str:
    """An SSML attribute value in double quotes."""
    return '"' + _html_escape(value, quote=True) + '"'


Pronunciations = tuple[tuple[str, str], ...]
"""(word, IPA) pairs, hashable so that rendered answers can be cached."""


@functools.cache
def _pronouncer(pronunciations: Pronunciations) -> tuple[re.Pattern[str], dict[str, str]]:
    lookup = {word.lower(): ipa for word, ipa in pronunciations}
    # Longest first so a longer entry wins over a word it contains.
    alternatives = "|".join(re.escape(word) for word in sorted(lookup, key=len, reverse=True))
    return re.compile(rf"\b({alternatives})\b", re.IGNORECASE), lookup


# The skill says the same few hundred sentences again and again: render each once.
@functools.lru_cache(maxsize=1024)
def to_ssml(text: str, pronunciations: Pronunciations = ()) -> str:
    """Escape `text` for SSML and wrap each hard word in a `<phoneme>` tag (whole words only)."""
    escaped = escape(text)
    if not pronunciations:
        return escaped
    pattern, lookup = _pronouncer(pronunciations)

    def tag(match: re.Match[str]) -> str:
        word = match.group(0)
        return f'<phoneme alphabet="ipa" ph={quoteattr(lookup[word.lower()])}>{word}</phoneme>'

    return pattern.sub(tag, escaped)


def speak(fragment: str, rate: str = NORMAL_RATE) -> str:
    """A complete `<speak>` document, slowed down or sped up for the whole answer when asked."""
    if rate != NORMAL_RATE:
        fragment = f'<prosody rate="{rate}">{fragment}</prosody>'
    return f"<speak>{fragment}</speak>"


def join_list(items: Iterable[str], conjunction: str = "and") -> str:
    """Read a list the way people say it: "a, b, and c" (a serial comma gives Alexa a natural pause)."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    if len(words) == 2:
        return f"{words[0]} {conjunction} {words[1]}"
    return f"{', '.join(words[:-1])}, {conjunction} {words[-1]}"


def sentences(*parts: str | None) -> str:
    """Join the non-empty parts of an answer with single spaces."""
    return " ".join(part.strip() for part in parts if part and part.strip())


def ssml_to_text(ssml: str) -> str:
    """What a listener hears, as plain text (for terminals, espeak-ng and tests)."""
    from xml.etree import ElementTree  # not needed to answer requests, so kept off the cold start

    text = "".join(ElementTree.fromstring(ssml).itertext())
    return re.sub(r"\s+", " ", text).strip()


def rate_percent(ssml: str) -> int:
    """The speech rate an SSML answer asks for, in percent of normal."""
    found = re.search(r'<prosody rate="(\d+)%">', ssml)
    return int(found.group(1)) if found else 100
