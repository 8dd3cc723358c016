"""What a patient in the waiting room sees and touches on an Echo Show, through the real skill.

Expectations come from the content (the topics, their "more" parts and offers, the locale word maps),
never from the screen code itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from skill.runtime import apl
from skill.runtime.content import load_content
from skill.tools.envelopes import SlotFill
from skill.tools.local import Conversation, Turn
from tests.speech_text import spoken_text

Talk = Callable[..., Conversation]
MAX_DATASOURCE_BYTES = 4096  # sent with every response; the document itself is static
CONTENT = load_content()
TOPICS_WITH_MORE = [topic for topic in CONTENT.topics if topic.more]


def shown(turn: Turn) -> dict[str, Any]:
    """The screen's data of a response (its one RenderDocument directive)."""
    directives = [d for d in turn.directives if d.get("type") == "Alexa.Presentation.APL.RenderDocument"]
    assert len(directives) == 1, turn.directives
    answer: dict[str, Any] = directives[0]["datasources"]["answer"]
    return answer


def pressed(turn: Turn) -> list[tuple[str, str]]:
    return [(button["event"], button["id"]) for button in shown(turn)["buttons"]]


def heard(turn: Turn) -> tuple[object, ...]:
    """Everything a listener gets from a response, and what the skill remembers for the next turn."""
    raw = turn.raw
    return (
        turn.speech,
        turn.reprompt,
        turn.card_title,
        turn.card_text,
        shown(turn),
        raw.get("sessionAttributes"),
    )


@pytest.mark.parametrize("topic", CONTENT.topics, ids=lambda topic: topic.id)
def test_after_a_topic_its_more_comes_first_then_the_offer_then_the_rest(talk: Talk, topic: Any) -> None:
    buttons = pressed(talk(screen=True).intent(topic.intent))
    first = ([("more", topic.id)] if topic.more else []) + ([("topic", topic.next)] if topic.next else [])
    assert buttons[: len(first)] == first
    topics = [topic_id for event, topic_id in buttons if event == "topic"]
    assert sorted(topics) == sorted(t.id for t in CONTENT.topics), "every topic once"
    if topic.next != topic.id:
        assert topics[-1] == topic.id, "the topic just heard comes last"
    assert [event for event, _ in buttons].count("more") == (1 if topic.more else 0)


@pytest.mark.parametrize("topic", TOPICS_WITH_MORE, ids=lambda topic: topic.id)
def test_once_the_more_is_heard_its_button_is_gone(talk: Talk, topic: Any) -> None:
    for finish in ("say", "touch"):
        conversation = talk(screen=True)
        conversation.intent(topic.intent)
        after = (
            conversation.intent("TellMeMoreIntent")
            if finish == "say"
            else conversation.touch("more", topic.id)
        )
        assert topic.more is not None and topic.more[:40] in shown(after)["text"]
        buttons = pressed(after)
        assert "more" not in [event for event, _ in buttons], finish
        if topic.next:
            assert buttons[0] == ("topic", topic.next), finish


def test_the_welcome_shows_every_topic_and_no_more(talk: Talk) -> None:
    buttons = pressed(talk(screen=True).launch())
    assert buttons == [("topic", topic.id) for topic in CONTENT.topics]


@pytest.mark.parametrize("topic", CONTENT.topics, ids=lambda topic: topic.id)
def test_touching_a_button_answers_exactly_as_saying_it(talk: Talk, topic: Any) -> None:
    touching, saying = talk(screen=True), talk(screen=True)
    for conversation in (touching, saying):
        conversation.launch()
    assert ("topic", topic.id) in pressed(touching.launch())
    assert heard(touching.touch("topic", topic.id)) == heard(saying.intent(topic.intent))
    if topic.more:
        assert heard(touching.touch("more", topic.id)) == heard(saying.intent("TellMeMoreIntent"))


def test_a_stale_or_altered_touch_gets_help_not_a_guess(talk: Talk) -> None:
    conversation = talk(screen=True)
    conversation.launch()
    helped = heard(talk(screen=True).intent("AMAZON.HelpIntent"))[:4]
    for arguments in (["topic", "no-such-topic"], ["delete", CONTENT.topics[0].id], [], ["more"]):
        turn = conversation.touch(*arguments)
        assert heard(turn)[:4] == helped, arguments
        assert not turn.ends_session


@pytest.mark.parametrize("topic", TOPICS_WITH_MORE, ids=lambda topic: topic.id)
def test_each_button_says_on_its_own_what_it_does(talk: Talk, topic: Any) -> None:
    buttons = shown(talk(screen=True).intent(topic.intent))["buttons"]
    labels = [button["accessibilityLabel"] for button in buttons]
    assert len(set(labels)) == len(labels)
    more = buttons[0]
    assert more["event"] == "more" and topic.label in more["accessibilityLabel"]
    assert more["accessibilityLabel"] != more["label"]
    for button in buttons[1:]:
        assert CONTENT.topic_by_id[button["id"]].label in button["accessibilityLabel"]
        assert button["label"] == CONTENT.topic_by_id[button["id"]].button


def screen_strings(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)


def test_every_text_on_the_screen_is_in_the_listeners_spelling(talk: Talk) -> None:
    british = list(CONTENT.spellings["en-US"])
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, british)) + r")\b", re.IGNORECASE)
    found = {"en-GB": set(), "en-US": set()}  # type: dict[str, set[str]]
    for locale, words in found.items():
        conversation = talk(locale=locale, screen=True)
        turns = [conversation.launch()] + [conversation.intent(topic.intent) for topic in CONTENT.topics]
        turns += [conversation.intent("TellMeMoreIntent"), conversation.intent("AMAZON.HelpIntent")]
        for turn in turns:
            words.update(match.lower() for match in pattern.findall(screen_strings(shown(turn))))
    assert found["en-GB"], "no British spelling on any screen: this test checks nothing"
    assert found["en-US"] == set(), f"British spelling on an American screen: {found['en-US']}"


@pytest.mark.parametrize(
    ("intent", "slot", "words"),
    [("BodyPartIntent", "bodyPart", "my funny bone"), ("SubjectIntent", "subject", "my private matter")],
)
def test_what_was_said_is_never_shown(talk: Talk, intent: str, slot: str, words: str) -> None:
    turn = talk(screen=True).intent(intent, {slot: SlotFill(words)})
    text = screen_strings(shown(turn)).lower()
    assert "funny" not in text and "private" not in text


def test_every_response_sends_the_same_static_document_and_a_small_datasource(talk: Talk) -> None:
    conversation = talk(screen=True)
    turns = [conversation.launch()] + [conversation.intent(topic.intent) for topic in CONTENT.topics]
    documents = {json.dumps(d["document"], sort_keys=True) for t in turns for d in t.directives}
    assert len(documents) == 1
    assert apl.document() is apl.document(), "the document is read once per process"
    for turn in turns:
        size = len(json.dumps(turn.directives[0]["datasources"], ensure_ascii=False).encode("utf-8"))
        assert size < MAX_DATASOURCE_BYTES


@pytest.mark.parametrize("locale", ["en-GB", "en-US"])
def test_nothing_needed_is_only_on_the_screen(talk: Talk, locale: str) -> None:
    """The answer shown is the answer said: a listener without a screen loses nothing but the buttons."""
    conversation = talk(locale=locale, screen=True)
    turns = [conversation.intent(topic.intent) for topic in CONTENT.topics]
    turns += [conversation.intent("TellMeMoreIntent"), conversation.intent("AMAZON.FallbackIntent")]
    for turn in turns:
        assert " ".join(shown(turn)["text"].split()) in spoken_text(turn.speech)
