"""Speech that is good to hear: valid Alexa SSML, hard words pronounced, lists read naturally."""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree import ElementTree

from skill.runtime.speech import join_list
from skill.tools.local import Conversation
from tests.speech_text import spoken_text
from tests.ssml_corpus import every_ssml

Talk = Callable[..., Conversation]

# Tags Alexa supports (SSML reference); the skill uses a few of them.
ALEXA_TAGS = {"speak", "amazon:domain", "amazon:effect", "amazon:emotion", "audio", "break", "emphasis",
              "lang", "p", "phoneme", "prosody", "s", "say-as", "sub", "voice", "w"}  # fmt: skip
# Every character of the IPA symbols Alexa's phoneme tag documents for any English locale (each
# locale's own, stricter set is checked in test_pronunciation.py), plus stress and syllable marks.
ALEXA_IPA = set("bdfghjklmnpstvwzðŋɹʃʒθ\u0361əɚæɑɛɝɜɒiɪɔuʊʌoeaˈˌ.")  # noqa: RUF001
HARD_WORDS = ["trapezius", "levator", "scapulae", "gluteus", "medius", "quadratus", "lumborum", "piriformis",
              "myofascial", "corticosteroid", "anesthetic"]  # fmt: skip


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


def test_lists_are_read_the_way_people_say_them() -> None:
    assert join_list(["a"]) == "a"
    assert join_list(["a", "b"]) == "a and b"
    assert join_list(["a", "b", "c"], "or") == "a, b, or c"
