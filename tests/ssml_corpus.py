"""Every SSML string the skill can say: driven in-process through real envelopes in every locale, at
every speech rate, with and without a screen, through every kind of answer (topics and their "more",
narrow facts, every body part and an unknown one, every subject the leaflet covers or not, the named
not-covered questions, small talk, re-asks of an empty slot, every help page, follow-ups, built-ins and
the apology). Shared by our own SSML checks (test_speech) and ssml-check-core (test_ssml_check), which
also reads which answers were reached (`answer_keys`), so a new kind of answer cannot go unchecked.
"""

from __future__ import annotations

import functools

import pytest

from skill.runtime import apl
from skill.runtime.content import Content, load_content
from skill.runtime.replies import help_pages
from skill.runtime.state import ANSWERED
from skill.tools.envelopes import LOCALES, SlotFill
from skill.tools.local import Conversation, Turn
from skill.tools.model_builder import build_model

ENDINGS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")
SLOT_INTENTS = {"BodyPartIntent": ("bodyPart", "BODY_PART"), "SubjectIntent": ("subject", "SUBJECT")}
# Words Alexa may put in an open slot without resolving them (ER_SUCCESS_NO_MATCH): a part or subject the
# leaflet does not know, words holding one it does, words that are neither, and a sentence too long to
# be a name. None of them may ever be read back.
UNRESOLVED = {
    "BodyPartIntent": (
        "knee",
        "my lower back on the left",
        "the weather",
        "the muscle at the very back of my shoe",
    ),
    "SubjectIntent": ("bruising", "the cortisone in it", "the weather", "what happens if i sneeze during it"),
}


def rate_steps(content: Content, level: int) -> list[str]:
    """The intents that take a new session from normal speed to `level` (0 is slowest)."""
    offset = level - content.speech_rates.normal
    return ["SpeakSlowerIntent" if offset < 0 else "SpeakFasterIntent"] * abs(offset)


@functools.cache
def slot_values(locale: str, slot_type: str) -> tuple[tuple[str, str], ...]:
    """(spoken name, id) of every value of `slot_type`, as Alexa resolves them."""
    types = build_model(locale)["interactionModel"]["languageModel"]["types"]
    return tuple((v["name"]["value"], v["id"]) for t in types if t["name"] == slot_type for v in t["values"])


class Recorder:
    """Starts conversations at a given speech rate and keeps every SSML string they produce, and the kind
    of answer (`answered` session attribute) each turn gave."""

    def __init__(self, content: Content, locale: str, screen: bool) -> None:
        self.content, self.locale, self.screen = content, locale, screen
        self.strings: list[str] = []
        self.keys: set[str] = set()

    def keep(self, turn: Turn, talk: Conversation | None = None) -> Turn:
        self.strings.extend(ssml for ssml in (turn.speech, turn.reprompt) if ssml)
        answered = (talk.session.attributes if talk else turn.raw.get("sessionAttributes") or {}).get(
            ANSWERED
        )
        if isinstance(answered, str):
            self.keys.add(answered)
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

        def say(name: str, slots: dict[str, SlotFill] | None = None) -> Turn:
            return self.keep(talk.intent(name, slots))

        # One step past the slowest / fastest rate: "this is the slowest I can speak".
        if level in (0, len(content.speech_rates.levels) - 1):
            say("SpeakSlowerIntent" if level == 0 else "SpeakFasterIntent")
        say("AMAZON.StartOverIntent")
        for topic in content.topics:
            say(topic.intent)
            say("TellMeMoreIntent")
            say("TellMeMoreIntent")  # past the end of the topic
            say("AMAZON.RepeatIntent")
            say("AMAZON.YesIntent")  # the offered next topic
            say("AMAZON.NoIntent")
            self.keep(talk.touch(apl.TOPIC_EVENT, topic.id))
            self.keep(talk.touch(apl.MORE_EVENT, topic.id))
        self.keep(talk.touch(apl.TOPIC_EVENT, "no_such_topic"))
        for fact in content.facts:
            say(fact.intent)
            say("TellMeMoreIntent")  # a fact's "more" is its broad topic
            say(fact.intent)
            say("AMAZON.YesIntent")
        for name, (slot, slot_type) in SLOT_INTENTS.items():
            for spoken, value_id in slot_values(self.locale, slot_type):
                say(name, {slot: SlotFill(spoken, value_id, spoken)})
                say("AMAZON.YesIntent")
            for heard in UNRESOLVED[name]:
                say(name, {slot: SlotFill(heard)})
            say(name)  # empty: asked for again
            say(name, {slot: SlotFill(None)})
        for name in content.not_covered.subject_intents:
            say(name)
        say("NotCoveredIntent")
        for name in content.social_by_intent:
            say(name)
            say("AMAZON.RepeatIntent")  # the last real answer, not the small talk
        say("AMAZON.HelpIntent")
        for _ in help_pages(content):
            say("TellMeMoreIntent")  # the next page, and after the last, the first again
        say("AMAZON.HelpIntent")
        say("AMAZON.YesIntent")  # "yes" reads the next help page too
        say("AMAZON.NoIntent")
        for name in ("AMAZON.FallbackIntent", "NoSuchIntent", "AMAZON.RepeatIntent"):
            say(name)
        say("NormalSpeedIntent")
        for name in ENDINGS:
            self.keep(self.conversation(level).intent(name))
        self.keep(self.conversation(level).intent("AMAZON.NoIntent"))  # nothing offered: goodbye

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
            patch.setattr("skill.runtime.handlers.topics.topic_answer", broken)
            turn = self.keep(talk.intent(self.content.topics[0].intent))
        assert turn.speech and "sorry" in turn.speech.lower(), "the apology path was not reached"


@functools.cache
def _collect() -> tuple[dict[str, tuple[str, ...]], dict[str, frozenset[str]]]:
    content = load_content()
    strings: dict[str, tuple[str, ...]] = {}
    keys: dict[str, frozenset[str]] = {}
    for locale in LOCALES:
        said: list[str] = []
        reached: set[str] = set()
        for screen in (False, True):
            recorder = Recorder(content, locale, screen)
            recorder.fresh_session_edges()
            for level in range(len(content.speech_rates.levels)):
                recorder.everything_at(level)
                recorder.apology(level)
            said.extend(recorder.strings)
            reached |= recorder.keys
        strings[locale] = tuple(dict.fromkeys(said))
        keys[locale] = frozenset(reached)
    return strings, keys


def every_ssml() -> dict[str, tuple[str, ...]]:
    """Every distinct SSML string per locale (the skill is deterministic, so once per test session)."""
    return _collect()[0]


def answer_keys() -> dict[str, frozenset[str]]:
    """Every kind of answer (`answered` key) the collection reached, per locale."""
    return _collect()[1]
