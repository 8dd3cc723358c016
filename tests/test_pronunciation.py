# ruff: noqa: RUF001
# IPA symbols look like Latin letters: that is the point of this file.
"""Hard words are said the way each locale's voice can say them: only the IPA symbols Alexa documents
for that locale (its SSML reference has one table per English locale), and the locale's own spelling."""

from __future__ import annotations

from collections.abc import Callable
from xml.etree import ElementTree

import pytest

from skill.runtime.content import load_content
from skill.tools.envelopes import LOCALES
from skill.tools.local import Conversation

Talk = Callable[..., Conversation]

CONSONANTS = ["b", "d", "d͡ʒ", "ð", "f", "g", "h", "j", "k", "l", "m", "n", "ŋ", "p", "ɹ", "s", "ʃ", "t",
              "t͡ʃ", "θ", "v", "w", "z", "ʒ"]  # fmt: skip
MARKS = ["ˈ", "ˌ", "."]
# Alexa's tables (SSML reference, "Supported symbols for the phoneme tag"): en-US and en-CA share the
# American table; en-GB, en-AU and en-IN share the British one, which has no ɚ, ɝ or oʊ, and no length mark.
AMERICAN_VOWELS = ["ə", "ɚ", "æ", "aɪ", "aʊ", "ɑ", "eɪ", "ɝ", "ɛ", "i", "ɪ", "oʊ", "ɔ", "ɔɪ", "u", "ʊ", "ʌ"]
BRITISH_VOWELS = ["ə", "æ", "aɪ", "aʊ", "ɑ", "eɪ", "ɜ", "ɛ", "i", "ɪ", "əʊ", "ɔ", "ɔɪ", "u", "ʊ", "ʌ", "ɒ",
                  "ɛə", "ɪə", "ʊə"]  # fmt: skip
SYMBOLS = {
    "en-US": CONSONANTS + AMERICAN_VOWELS + MARKS,
    "en-CA": CONSONANTS + AMERICAN_VOWELS + MARKS,
    "en-GB": CONSONANTS + BRITISH_VOWELS + MARKS,
    "en-AU": CONSONANTS + BRITISH_VOWELS + MARKS,
    "en-IN": CONSONANTS + BRITISH_VOWELS + MARKS,
}


def unsupported_symbols(ipa: str, symbols: list[str]) -> list[str]:
    """Read `ipa` symbol by symbol, longest first; return what the table does not list."""
    ordered = sorted(symbols, key=len, reverse=True)
    left, unknown = ipa, []
    while left:
        match = next((symbol for symbol in ordered if left.startswith(symbol)), None)
        if match is None:
            unknown.append(left[0])
            left = left[1:]
        else:
            left = left[len(match) :]
    return unknown


def test_the_symbol_reader_catches_symbols_a_locale_lacks() -> None:
    assert unsupported_symbols("ləˈveɪtɚ", SYMBOLS["en-GB"]) == ["ɚ"]
    assert unsupported_symbols("kwɒˈdɹeɪtəs", SYMBOLS["en-US"]) == ["ɒ"]
    assert unsupported_symbols("ˈɡlutiəs", SYMBOLS["en-US"]) == ["ɡ"]  # IPA g (U+0261), not the letter
    assert unsupported_symbols("kwɑː", SYMBOLS["en-GB"]) == ["ː"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_pronunciation_uses_only_its_locales_symbols(locale: str) -> None:
    words = load_content().pronunciations[locale]
    problems = {word: unsupported_symbols(ipa, SYMBOLS[locale]) for word, ipa in words.items()}
    assert {word: bad for word, bad in problems.items() if bad} == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_pronounces_the_same_hard_words(locale: str) -> None:
    american = set(load_content().pronunciations["en-US"]) - {"anesthetic"}
    assert american <= set(load_content().pronunciations[locale])


def phonemes_spoken(turn_speech: str | None) -> dict[str, str]:
    root = ElementTree.fromstring(str(turn_speech))
    return {(p.text or "").lower(): p.get("ph", "") for p in root.iter("phoneme")}


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_hears_its_own_voice_pronunciation(talk: Talk, locale: str) -> None:
    spoken = phonemes_spoken(talk(locale).intent("TreatedMusclesIntent").speech)
    assert "levator" in spoken
    british = locale in ("en-GB", "en-AU", "en-IN")
    assert ("ɚ" in spoken["levator"]) is not british, spoken["levator"]
    assert not unsupported_symbols(spoken["levator"], SYMBOLS[locale])


@pytest.mark.parametrize(("locale", "spelt"), [("en-US", "anesthetic"), ("en-CA", "anesthetic"),
                                               ("en-GB", "anaesthetic"), ("en-AU", "anaesthetic"),
                                               ("en-IN", "anaesthetic")])  # fmt: skip
def test_speech_card_and_screen_use_the_locales_spelling(talk: Talk, locale: str, spelt: str) -> None:
    turn = talk(locale, screen=True).intent("InjectedMedicineIntent")
    other = "anaesthetic" if spelt == "anesthetic" else "anesthetic"
    screen = str([d.get("datasources") for d in turn.directives])
    for shown in (str(turn.speech), str(turn.card_text), screen):
        assert spelt in shown.lower() and other not in shown.lower()
    assert spelt in phonemes_spoken(turn.speech), "the locale's spelling still gets its pronunciation"


def test_american_cards_spell_fibers_and_localized(talk: Talk) -> None:
    causes = talk("en-US").intent("CausesIntent")
    twitch = talk("en-US").intent("TwitchResponseIntent")
    assert "fibers" in str(causes.card_text) and "fibres" not in str(causes.card_text)
    assert "localized" in str(twitch.card_text)
    assert "fibres" in str(talk("en-GB").intent("CausesIntent").card_text)
    assert "fibres" in str(talk("en-CA").intent("CausesIntent").card_text), "Canadian spelling keeps fibre"
