"""Every SSML string the skill can say, checked by ssml-check-core for Amazon Alexa.

Our own SSML tests parse with the same assumptions the code was written with; ssml-check-core is an
independent validator of Alexa's tags, attribute values (prosody rate, phoneme alphabet, ...) and XML.
The strings come from tests/ssml_corpus.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from skill.runtime.content import load_content
from skill.tools.envelopes import LOCALES
from skill.tools.model_builder import build_model
from tests.node_tools import TOOLS, run_json_tool
from tests.speech_text import spoken_text
from tests.ssml_corpus import answer_keys, every_ssml

SCRIPT = TOOLS / "ssml_check.js"
MIN_STRINGS = 500
# Alexa's own speaking rate: speech at this rate needs no <prosody> tag, so it is the one level of
# content.yaml's speech_rates that the collection cannot show as `<prosody rate="...">`.
ALEXA_DEFAULT_RATE = "100%"

Collected = dict[str, tuple[str, ...]]


def check_ssml(strings: Sequence[str], locale: str | None = None) -> dict[str, Any]:
    """Pipe `strings` through ssml_check.js and return its report ({"checked", "failures"})."""
    locale_option = ["--locale", locale] if locale else []
    return run_json_tool(SCRIPT, "ssml-check-core", list(strings), *locale_option)


@pytest.fixture(scope="module")
def collected() -> Collected:
    return every_ssml()


def test_every_string_the_skill_says_is_valid_alexa_ssml(collected: Collected) -> None:
    """Zero errors from ssml-check-core over more than 500 strings (each locale's distinct ones)."""
    checked = 0
    failures: list[str] = []
    for locale, strings in collected.items():
        report = check_ssml(strings, locale)
        assert report["checked"] == len(strings)
        checked += report["checked"]
        failures += [f"{locale}: {item['errors']} in {item['ssml']}" for item in report["failures"]]
    assert not failures, "ssml-check-core (amazon) rejects:\n" + "\n".join(failures)
    assert checked > MIN_STRINGS


def test_the_collection_covers_every_rate_and_topic(collected: Collected) -> None:
    """The check is only as good as what it is given: every rate and every topic's words must be there."""
    content = load_content()
    # Words spelt differently in some locale ("anaesthetic") cannot show which topic was said.
    respelt = {word for table in content.spellings.values() for word in table}
    assert set(collected) == set(LOCALES)
    for locale, strings in collected.items():
        text = "\n".join(strings)
        for rate in content.speech_rates.levels:
            if rate != ALEXA_DEFAULT_RATE:
                assert f'<prosody rate="{rate}">' in text, f"{locale}: nothing said at {rate}"
        for topic in content.topics:
            opening = [w for w in topic.speech.split() if w.strip(",.").lower() not in respelt][:3]
            assert any(all(word in ssml for word in opening) for ssml in strings), f"{locale}: {topic.id}"


def expected_answer_kinds() -> set[str]:
    """Every kind of answer the skill can give, from content.yaml and the model's dialog slots."""
    content = load_content()
    dialog = build_model("en-GB")["interactionModel"]["dialog"]
    return (
        {f"topic:{topic.id}" for topic in content.topics}
        | {f"more:{topic.id}" for topic in content.topics}
        | {f"fact:{fact.id}" for fact in content.facts}
        | {f"part:{part.id}" for part in content.body_parts}
        | {f"not_covered:{subject}" for subject in content.not_covered.subjects}
        | {f"social:{social}" for social in content.social}
        | {f"reask:{slot['name']}" for intent in dialog["intents"] for slot in intent["slots"]}
        | {"unknown_part", "not_covered", "help", "fallback", "welcome", "goodbye", "error"}
    )


def test_the_collection_reaches_every_kind_of_answer_in_every_locale() -> None:
    """Topics, more, facts, every body part and an unknown one, every subject, small talk, re-asks,
    help, fallback, goodbye and the apology: all of them are in what ssml-check-core is given."""
    expected = expected_answer_kinds()
    assert len(expected) >= 50
    reached = answer_keys()
    assert set(reached) == set(LOCALES)
    for locale, keys in reached.items():
        assert expected - keys == set(), locale


def test_the_collection_reads_every_help_page(collected: Collected) -> None:
    content = load_content()
    for locale, strings in collected.items():
        heard = [spoken_text(ssml).lower() for ssml in strings if ssml.startswith("<speak>")]
        helps = {text for text in heard if text.startswith("you can ask about:")}
        assert len(helps) >= 2, f"{locale}: help is read a few topics at a time, so in several pages"
        for topic in content.topics:
            assert any(topic.label.lower() in text for text in helps), (
                f"{locale}: {topic.label} never offered"
            )


@pytest.mark.parametrize(
    ("ssml", "problem"),
    [
        ('<speak><prosody rate="5%">Too slow to hear.</prosody></speak>', "prosody"),
        ("<speak><blink>Not an Alexa tag.</blink></speak>", "blink"),
        ('<speak><phoneme alphabet="arpabet" ph="T R AH0">trap</phoneme></speak>', "phoneme"),
        ("<speak>Salt & pepper.</speak>", "&"),
        ("<speak>Unclosed <emphasis>tag.</speak>", "parse"),
    ],
)
def test_broken_ssml_is_reported(ssml: str, problem: str) -> None:
    """The check can fail: each kind of mistake the skill could make is caught by the same script."""
    report = check_ssml([ssml])
    assert report["checked"] == 1
    assert len(report["failures"]) == 1, f"ssml-check-core accepted {ssml}"
    assert problem.lower() in json.dumps(report["failures"][0]["errors"]).lower()
