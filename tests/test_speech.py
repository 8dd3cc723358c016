"""Speech that is good to hear: valid Alexa SSML, hard words pronounced, lists read naturally."""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree import ElementTree

import pytest

from skill.envelopes import SlotFill
from skill.local import Conversation
from skill.speech import join_list
from tests.speech_text import spoken_text
from tests.ssml_corpus import every_ssml

Talk = Callable[..., Conversation]

# Tags Alexa supports (SSML reference); the skill uses a few of them.
ALEXA_TAGS = {"speak", "amazon:domain", "amazon:effect", "amazon:emotion", "audio", "break", "emphasis",
              "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "voice", "w"}  # fmt: skip
# The US English IPA symbols Alexa's phoneme tag documents, plus stress and syllable marks.
ALEXA_IPA = set("bdfhjklmnpstvwzðŋɹʃʒθɡəɚæɑɛɝiɪɔuʊʌoeaˈˌ.")  # noqa: RUF001
HARD_WORDS = ["trapezius", "levator", "scapulae", "gluteus", "medius", "quadratus", "lumborum", "piriformis",
              "myofascial", "corticosteroid", "anaesthetic"]  # fmt: skip


def test_every_ssml_string_is_valid_and_uses_only_alexa_tags() -> None:
    count = 0
    for strings in every_ssml().values():
        for ssml in strings:
            root = ElementTree.fromstring(ssml)
            assert root.tag == "speak"
            assert {element.tag for element in root.iter()} <= ALEXA_TAGS
            for phoneme in root.iter("phoneme"):
                assert phoneme.get("alphabet") == "ipa"
                assert set(phoneme.get("ph", "")) <= ALEXA_IPA, phoneme.get("ph")
            for prosody in root.iter("prosody"):
                assert re.fullmatch(r"\d{2,3}%", prosody.get("rate", ""))
            assert not re.search(r"[*#_/\\|~^]", spoken_text(ssml)), "a symbol would be read aloud"
            count += 1
    assert count > 500


def test_hard_medical_words_are_given_a_pronunciation(talk: Talk) -> None:
    conversation = talk()
    ssml = "".join(
        str(conversation.intent(name).speech)
        for name in [
            "TreatedMusclesIntent",
            "BenefitsIntent",
            "InjectedMedicineIntent",
            "PiriformisSyndromeIntent",
        ]
    )
    root = ElementTree.fromstring(f"<all>{ssml}</all>")
    pronounced = {(p.text or "").lower() for p in root.iter("phoneme")}
    assert set(HARD_WORDS) <= pronounced


@pytest.mark.parametrize("heard", ["R&B <muscle>", 'the "big" one'])
def test_what_alexa_heard_is_escaped_before_it_is_spoken(talk: Talk, heard: str) -> None:
    turn = talk().intent("MuscleIntent", {"muscle": SlotFill(heard)})
    assert heard.lower() in spoken_text(turn.speech).lower()


def test_lists_are_read_the_way_people_say_them() -> None:
    assert join_list(["a"]) == "a"
    assert join_list(["a", "b"]) == "a and b"
    assert join_list(["a", "b", "c"], "or") == "a, b, or c"


def test_a_long_heard_value_is_not_echoed(talk: Talk) -> None:
    heard = "muscle " * 20
    text = spoken_text(talk().intent("MuscleIntent", {"muscle": SlotFill(heard)}).speech)
    assert heard.strip() not in text and "that muscle" in text


def test_an_unknown_muscle_is_named_once_without_a_doubled_article(talk: Talk) -> None:
    text = spoken_text(talk().intent("MuscleIntent", {"muscle": SlotFill("my hip flexor")}).speech)
    assert "about the hip flexor." in text
