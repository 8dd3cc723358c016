"""Every SSML string the skill can say, checked by ssml-check-core for Amazon Alexa.

Our own SSML tests parse with the same assumptions the code was written with; ssml-check-core is an
independent validator of Alexa's tags, attribute values (prosody rate, phoneme alphabet, ...) and XML.
The skill is driven in-process through real envelopes in every locale, at every speech rate, with and
without a screen, through every topic, muscle, uncovered subject, follow-up and built-in intent.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from skill import apl
from skill.content import Content, load_content
from skill.envelopes import LOCALES, SlotFill
from skill.local import Conversation, Turn
from skill.speech import NORMAL_RATE
from tests.node_tools import TOOLS, node_command

SCRIPT = TOOLS / "ssml_check.js"
NODE_TIMEOUT_S = 180  # ~1,000 strings take well under a second; generous for a busy 2-core machine
MIN_STRINGS = 500

LONG_MUSCLE = "the muscle at the very back of my left shoulder blade"  # too long for the skill to echo
ENDINGS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")

Collected = dict[str, list[str]]


def check_ssml(strings: list[str], locale: str | None = None) -> dict[str, Any]:
    """Pipe `strings` through ssml_check.js and return its report ({"checked", "failures"})."""
    command = node_command(SCRIPT, "ssml-check-core", *(["--locale", locale] if locale else []))
    done = subprocess.run(
        command,
        input=json.dumps(strings),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    assert done.returncode in (0, 1), f"ssml_check.js failed to run ({done.returncode}):\n{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def rate_steps(content: Content, level: int) -> list[str]:
    """The intents that take a new session from normal speed to `level` (0 is slowest)."""
    offset = level - content.speech_rates.normal
    return ["SpeakSlowerIntent" if offset < 0 else "SpeakFasterIntent"] * abs(offset)


class Recorder:
    """Starts conversations at a given speech rate and keeps every SSML string they produce."""

    def __init__(self, content: Content, locale: str, screen: bool) -> None:
        self.content, self.locale, self.screen = content, locale, screen
        self.strings: list[str] = []

    def keep(self, turn: Turn) -> Turn:
        self.strings.extend(ssml for ssml in (turn.speech, turn.reprompt) if ssml)
        return turn

    def conversation(self, level: int) -> Conversation:
        talk = Conversation(locale=self.locale, screen=self.screen)
        self.keep(talk.launch())
        for name in rate_steps(self.content, level):
            self.keep(talk.intent(name))
        return talk

    def everything_at(self, level: int) -> None:
        content = self.content
        talk = self.conversation(level)
        say = talk.intent
        # One step past the slowest / fastest rate: "this is the slowest I can speak".
        if level in (0, len(content.speech_rates.levels) - 1):
            self.keep(say("SpeakSlowerIntent" if level == 0 else "SpeakFasterIntent"))
        self.keep(say("AMAZON.StartOverIntent"))
        for topic in content.topics:
            self.keep(say(topic.intent))
            self.keep(say("TellMeMoreIntent"))
            self.keep(say("TellMeMoreIntent"))  # past the end of the topic
            self.keep(say("AMAZON.RepeatIntent"))
            self.keep(say("AMAZON.YesIntent"))  # the offered next topic
            self.keep(say("AMAZON.NoIntent"))
            self.keep(talk.touch(apl.TOPIC_EVENT, topic.id))
            self.keep(talk.touch(apl.MORE_EVENT, topic.id))
        self.keep(talk.touch(apl.TOPIC_EVENT, "no_such_topic"))
        for muscle in content.muscles:
            self.keep(say("MuscleIntent", {"muscle": SlotFill(muscle.name, muscle.id)}))
        for heard in ("biceps", LONG_MUSCLE, None):
            self.keep(say("MuscleIntent", {"muscle": SlotFill(heard)}))
        self.keep(say("MuscleIntent"))
        for subject in content.not_covered.subjects:
            self.keep(say("NotCoveredIntent", {"subject": SlotFill(subject.replace("_", " "), subject)}))
        self.keep(say("NotCoveredIntent", {"subject": SlotFill("the weather")}))
        self.keep(say("NotCoveredIntent"))
        for name in ("AMAZON.HelpIntent", "AMAZON.FallbackIntent", "NoSuchIntent", "AMAZON.RepeatIntent"):
            self.keep(say(name))
        self.keep(say("NormalSpeedIntent"))
        for name in ENDINGS:
            self.keep(self.conversation(level).intent(name))

    def fresh_session_edges(self) -> None:
        """What is said when there is nothing yet to repeat, accept or continue."""
        for name in ("AMAZON.RepeatIntent", "AMAZON.YesIntent", "AMAZON.NoIntent", "TellMeMoreIntent"):
            self.keep(Conversation(locale=self.locale, screen=self.screen).intent(name))

    def apology(self, level: int) -> None:
        """The catch-all error answer, by making one topic handler fail."""

        def broken(*_: object) -> None:
            raise RuntimeError("deliberately broken for the SSML check")

        talk = self.conversation(level)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("skill.handlers.topics.topic_answer", broken)
            turn = self.keep(talk.intent(self.content.topics[0].intent))
        assert turn.speech and "sorry" in turn.speech.lower(), "the apology path was not reached"


@pytest.fixture(scope="module")
def collected() -> Iterator[Collected]:
    """Every SSML string per locale, without repeats (the skill is deterministic)."""
    content = load_content()
    result: Collected = {}
    for locale in LOCALES:
        strings: list[str] = []
        for screen in (False, True):
            recorder = Recorder(content, locale, screen)
            recorder.fresh_session_edges()
            for level in range(len(content.speech_rates.levels)):
                recorder.everything_at(level)
                recorder.apology(level)
            strings.extend(recorder.strings)
        result[locale] = list(dict.fromkeys(strings))
    yield result


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
    for locale, strings in collected.items():
        text = "\n".join(strings)
        for rate in content.speech_rates.levels:
            if rate != NORMAL_RATE:
                assert f'<prosody rate="{rate}">' in text, f"{locale}: nothing said at {rate}"
        for topic in content.topics:
            opening = topic.speech.split()[:3]
            assert any(all(word in ssml for word in opening) for ssml in strings), f"{locale}: {topic.id}"


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
