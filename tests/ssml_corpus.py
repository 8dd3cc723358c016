"""Every SSML string the skill can say: driven in-process through real envelopes in every locale, at
every speech rate, with and without a screen, through every topic, muscle, uncovered subject, follow-up
and built-in intent. Shared by our own SSML checks (test_speech) and ssml-check-core (test_ssml_check).
"""

from __future__ import annotations

import functools

import pytest

from skill import apl
from skill.content import Content, load_content
from skill.envelopes import LOCALES, SlotFill
from skill.local import Conversation, Turn

LONG_MUSCLE = "the muscle at the very back of my left shoulder blade"  # too long for the skill to echo
ENDINGS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")


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


@functools.cache
def every_ssml() -> dict[str, tuple[str, ...]]:
    """Every distinct SSML string per locale (the skill is deterministic, so once per test session)."""
    content = load_content()
    result: dict[str, tuple[str, ...]] = {}
    for locale in LOCALES:
        strings: list[str] = []
        for screen in (False, True):
            recorder = Recorder(content, locale, screen)
            recorder.fresh_session_edges()
            for level in range(len(content.speech_rates.levels)):
                recorder.everything_at(level)
                recorder.apology(level)
            strings.extend(recorder.strings)
        result[locale] = tuple(dict.fromkeys(strings))
    return result
