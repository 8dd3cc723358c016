"""Spelling per locale: the reviewed text is in British spelling, as the leaflet is; American and
Canadian listeners' cards and screens get their own spelling from a fixed word map in content.yaml.

Only whole words are swapped, and a word's first letter keeps its case, so the meaning (and the
provenance checks, which read the British text) cannot change.
"""

from __future__ import annotations

import functools
import re

from skill.runtime.content import load_content


@functools.cache
def _speller(locale: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    words = load_content().spellings.get(locale)
    if not words:
        return None
    lookup = {british.lower(): local for british, local in words.items()}
    alternatives = "|".join(re.escape(word) for word in sorted(lookup, key=len, reverse=True))
    return re.compile(rf"\b({alternatives})\b", re.IGNORECASE), lookup


def _keep_case(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement


@functools.lru_cache(maxsize=2048)
def localise(text: str, locale: str | None) -> str:
    """`text` in the spelling of `locale` (unchanged for British-spelling locales or unknown ones)."""
    speller = _speller(locale or "")
    if speller is None:
        return text
    pattern, lookup = speller
    return pattern.sub(lambda match: _keep_case(match.group(0), lookup[match.group(0).lower()]), text)
