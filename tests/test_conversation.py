"""The skill as a listener meets it: real request envelopes, every locale, facts, follow-ups and session."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest

from skill.runtime.speech import rate_percent
from skill.tools.envelopes import LOCAL_DEVICE_ID, LOCAL_USER_ID, LOCALES, SlotFill
from skill.tools.local import Conversation, Turn
from tests.speech_text import said, spoken_text

Talk = Callable[..., Conversation]

# What a patient must hear for each topic, written from the leaflet (not from the skill's content file).
FACTS = {
    "TriggerPointInjectionsIntent": ["muscular pain", "myofascial pain"],
    "TreatedMusclesIntent": ["trapezius", "levator scapulae", "gluteus medius", "quadratus lumborum"],
    "BenefitsIntent": ["myofascial pain", "lower back", "neck", "shoulders", "arms", "legs", "diagnostic"],
    "TriggerPointsIntent": ["tender to pressure", "pain on movement", "knots"],
    "FindingTriggerPointsIntent": ["palpating", "twitch response", "referred pain"],
    "InjectedMedicineIntent": ["corticosteroid"],  # "local an(a)esthetic", per locale: test_pronunciation
    "PainLocationsIntent": ["lower back", "buttocks", "neck"],
    "PiriformisSyndromeIntent": ["piriformis muscle", "sciatic nerve", "numbness", "back of your leg"],
    "WhenRecommendedIntent": ["lower back pain", "caused by muscles", "painkillers", "physical therapy"],
    "SafetyIntent": ["generally safe", "doctor or nurse"],
}
MUSCLE_PLACES = {
    "trapezius": "back of your neck and shoulders",
    "levator_scapulae": "sides of your neck",
    "gluteus_medius": "hip",
    "quadratus_lumborum": "deep muscle in your lower back",
}
FOUR_MUSCLES = ["trapezius", "levator scapulae", "gluteus medius", "quadratus lumborum"]


def assert_stays_open(turn: Turn) -> None:
    assert turn.ends_session is False
    assert turn.reprompt is not None and spoken_text(turn.reprompt)


@pytest.mark.parametrize("locale", LOCALES)
def test_launch_welcomes_says_it_is_not_medical_advice_and_gives_examples(talk: Talk, locale: str) -> None:
    turn = talk(locale).launch()
    text = said(turn)
    assert "welcome" in text
    assert "isn't medical advice" in text or "not medical advice" in text
    assert text.count("?") >= 2, "expected example questions"
    assert_stays_open(turn)
    assert turn.card_title and turn.card_text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("intent", sorted(FACTS))
def test_each_topic_answers_with_its_leaflet_facts(talk: Talk, locale: str, intent: str) -> None:
    conversation = talk(locale)
    conversation.launch()
    turn = conversation.intent(intent)
    text = said(turn)
    for fact in FACTS[intent]:
        assert fact in text, f"{intent} in {locale} should mention {fact!r}: {text}"
    assert_stays_open(turn)
    assert turn.card_text and turn.card_title


def test_a_first_question_without_launch_is_answered(talk: Talk) -> None:
    turn = talk().intent("TreatedMusclesIntent")
    assert all(muscle in said(turn) for muscle in FOUR_MUSCLES)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("muscle_id", "place"), sorted(MUSCLE_PLACES.items()))
def test_each_muscle_by_name_through_entity_resolution(
    talk: Talk, locale: str, muscle_id: str, place: str
) -> None:
    slot = SlotFill("a synonym", resolved_id=muscle_id, slot_type="BODY_PART")
    text = said(talk(locale).intent("BodyPartIntent", {"bodyPart": slot}))
    assert muscle_id.replace("_", " ") in text
    assert place in text


@pytest.mark.parametrize("heard", ["biceps", "my left knee", "the groin after my fall last week"])
def test_a_body_part_the_leaflet_does_not_mention_gets_an_honest_answer(talk: Talk, heard: str) -> None:
    turn = talk().intent("BodyPartIntent", {"bodyPart": SlotFill(heard, slot_type="BODY_PART")})
    text = said(turn)
    assert "doesn't mention that part of the body" in text
    assert "neck" in text and "lower back" in text, "should say which parts the leaflet does talk about"
    assert "doctor or nurse" in text
    for word in heard.split():
        if len(word) > 3:
            assert word not in text, f"read back what was heard: {word!r}"
    assert_stays_open(turn)


SUBJECTS = ["cost", "pain_of_injection", "relief_duration", "recovery", "number_of_injections",
            "pregnancy", "who_gives"]  # fmt: skip


@pytest.mark.parametrize("subject", SUBJECTS)
def test_questions_the_leaflet_does_not_cover_are_not_answered(talk: Talk, subject: str) -> None:
    turn = talk().intent(
        "SubjectIntent", {"subject": SlotFill("whatever was heard", subject, slot_type="SUBJECT")}
    )
    text = said(turn)
    assert "doesn't cover" in text
    assert "doctor or nurse" in text
    assert "whatever was heard" not in text
    assert "what trigger point injections are" in text, "should offer topics the leaflet does cover"
    assert_stays_open(turn)


def test_a_question_without_a_subject_the_leaflet_does_not_cover(talk: Talk) -> None:
    text = said(talk().intent("NotCoveredIntent"))
    assert "doesn't cover it" in text and "doctor or nurse" in text


def test_tell_me_more_continues_the_last_topic(talk: Talk) -> None:
    conversation = talk()
    conversation.intent("TreatedMusclesIntent")
    text = said(conversation.intent("TellMeMoreIntent"))
    assert "sides of your neck" in text and "hip" in text


def test_tell_me_more_on_a_topic_without_more_says_so_and_offers_what_comes_next(talk: Talk) -> None:
    conversation = talk()
    answer = conversation.intent("InjectedMedicineIntent")
    end = said(conversation.intent("TellMeMoreIntent"))
    assert "that's everything the leaflet says" in end
    assert "would you like to hear" in end
    # "repeat" replays the answer, not the "that's everything" note.
    assert conversation.intent("AMAZON.RepeatIntent").speech == answer.speech


def test_yes_takes_the_offered_next_topic_and_no_keeps_listening(talk: Talk) -> None:
    conversation = talk()
    first = said(conversation.intent("TreatedMusclesIntent"))
    assert "would you like" in first
    after_yes = said(conversation.intent("AMAZON.YesIntent"))
    assert "relieve myofascial pain" in after_yes  # the offered topic: what they help with
    declined = conversation.intent("AMAZON.NoIntent")
    assert_stays_open(declined)
    assert "relieve" not in said(declined)
    # After declining, yes has nothing to accept: the declined topic (what trigger points are) is not said.
    declined_topic = said(talk().intent("TriggerPointsIntent"))
    after_no = said(conversation.intent("AMAZON.YesIntent"))
    assert declined_topic[:40] not in after_no
    # Declining the next topic keeps the current one: "tell me more" is still about what they help with.
    assert "range of motion" in said(conversation.intent("TellMeMoreIntent"))


def test_repeat_says_the_last_answer_again_exactly(talk: Talk) -> None:
    conversation = talk()
    answer = conversation.intent("PiriformisSyndromeIntent")
    again = conversation.intent("AMAZON.RepeatIntent")
    assert again.speech == answer.speech
    assert again.reprompt == answer.reprompt
    # Repeat twice still repeats the answer, not the word "repeat".
    assert conversation.intent("AMAZON.RepeatIntent").speech == answer.speech
    # Repeating leaves the offer standing: yes still takes the topic the answer offered.
    offered_topic = said(talk().intent("WhenRecommendedIntent"))
    assert said(conversation.intent("AMAZON.YesIntent")) == offered_topic


def test_repeat_after_declining_offers_again_what_it_replays(talk: Talk) -> None:
    conversation = talk()
    answer = conversation.intent("PiriformisSyndromeIntent")
    conversation.intent("AMAZON.NoIntent")
    again = conversation.intent("AMAZON.RepeatIntent")
    assert again.speech == answer.speech and "would you like" in said(again)
    # The listener heard the offer again, so "yes" now takes it.
    offered_topic = said(talk().intent("WhenRecommendedIntent"))
    assert said(conversation.intent("AMAZON.YesIntent")) == offered_topic


def test_repeat_after_declining_a_help_page_offers_the_next_page_again(talk: Talk) -> None:
    conversation = talk()
    first_page = said(conversation.intent("AMAZON.HelpIntent"))
    second_page = said(conversation.intent("AMAZON.YesIntent"))
    assert second_page != first_page
    conversation.intent("AMAZON.NoIntent")
    conversation.intent("AMAZON.RepeatIntent")
    third_page = said(conversation.intent("AMAZON.YesIntent"))
    assert third_page not in (first_page, second_page)
    assert "okay. what would you like to know" not in third_page


def test_repeat_before_anything_was_said_is_graceful(talk: Talk) -> None:
    turn = talk().intent("AMAZON.RepeatIntent")
    assert "haven't said anything" in said(turn)
    assert_stays_open(turn)


def rate_of(turn: Turn) -> int:
    assert turn.speech is not None
    return rate_percent(turn.speech)


def test_speech_rate_is_kept_for_the_session_and_applies_to_everything(talk: Talk) -> None:
    conversation = talk()
    conversation.launch()
    conversation.intent("SpeakSlowerIntent")
    answer = conversation.intent("SafetyIntent")
    assert rate_of(answer) < 100
    assert answer.reprompt is not None and "<prosody" in answer.reprompt
    conversation.intent("SpeakSlowerIntent")
    slower = conversation.intent("AMAZON.RepeatIntent")
    assert rate_of(slower) < rate_of(answer)
    assert spoken_text(slower.speech) == spoken_text(answer.speech)
    conversation.intent("NormalSpeedIntent")
    assert rate_of(conversation.intent("SafetyIntent")) == 100
    conversation.intent("SpeakFasterIntent")
    assert rate_of(conversation.intent("SafetyIntent")) > 100


def test_speech_rate_has_limits_and_says_so(talk: Talk) -> None:
    conversation = talk()
    turns = [conversation.intent("SpeakSlowerIntent") for _ in range(6)]
    assert "slowest" in said(turns[-1])
    assert rate_of(turns[-1]) == rate_of(turns[-2])


def test_start_over_returns_to_the_welcome_and_forgets_the_conversation(talk: Talk) -> None:
    conversation = talk()
    conversation.intent("TreatedMusclesIntent")
    turn = conversation.intent("AMAZON.StartOverIntent")
    assert "welcome" in said(turn)
    assert "relieve" not in said(conversation.intent("AMAZON.YesIntent"))


def test_help_offers_a_few_topics_at_a_time_and_more_reaches_them_all(talk: Talk) -> None:
    conversation = talk()
    pages = [said(conversation.intent("AMAZON.HelpIntent"))]
    while "say more" in pages[-1]:
        pages.append(said(conversation.intent("TellMeMoreIntent" if len(pages) % 2 else "AMAZON.YesIntent")))
        assert len(pages) < 6, "help never ends"
    assert len(pages) >= 2
    for page in pages:
        topics_offered = page.split("you can ask about:")[1].split(".")[0]
        choices = [c for c in re.split(r",| or ", topics_offered) if c.strip()]
        assert 2 <= len(choices) <= 5, f"2 to 5 choices at a time: {page}"
    heard = " ".join(pages)
    for words in ["what trigger point injections are", "which muscles", "what they help with",
                  "piriformis syndrome", "safe", "where the pain", "how trigger points are found",
                  "what is injected", "when an injection", "what trigger points are"]:  # fmt: skip
        assert words in heard
    assert "repeat" in pages[-1] and "slower" in pages[-1]


@pytest.mark.parametrize("intent", ["AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"])
def test_stop_cancel_and_home_end_the_session_cleanly(talk: Talk, intent: str) -> None:
    conversation = talk(screen=True)
    conversation.launch()
    turn = conversation.intent(intent)
    assert "goodbye" in said(turn)
    assert turn.ends_session is True
    assert turn.reprompt is None
    assert turn.directives == []


@pytest.mark.parametrize("intent", ["AMAZON.FallbackIntent", "SomethingNewIntent"])
def test_fallback_and_unknown_intents_answer_kindly_and_keep_listening(talk: Talk, intent: str) -> None:
    turn = talk().intent(intent)
    text = said(turn)
    assert "trigger point guide" in text, "the fallback names the skill"
    assert text.count(",") >= 2 and "what trigger point injections are" in text, "offers things to ask"
    assert_stays_open(turn)


def test_session_ended_gets_an_empty_valid_response(talk: Talk) -> None:
    conversation = talk()
    conversation.launch()
    turn = conversation.end("EXCEEDED_MAX_REPROMPTS")
    assert turn.raw["version"] == "1.0"
    assert turn.speech is None and turn.directives == []


def test_request_types_the_skill_does_not_use_get_an_empty_response(talk: Talk) -> None:
    conversation = talk()
    turn = conversation.send({"type": "System.ExceptionEncountered", "locale": "en-US",
                              "error": {"type": "INVALID_RESPONSE", "message": "x"},
                              "cause": {"requestId": "r"}})  # fmt: skip
    assert turn.speech is None


def test_hostile_session_attributes_do_not_break_the_skill(talk: Talk) -> None:
    conversation = talk()
    conversation.session.attributes = {"rate": "fast", "last": 5, "topic": ["x"], "offered": "nope"}
    assert "would you like" in said(conversation.intent("TreatedMusclesIntent"))
    conversation.session.attributes = {"rate": 99, "last": {"speech": 3}}
    assert "haven't said anything" in said(conversation.intent("AMAZON.RepeatIntent"))


@pytest.mark.parametrize(
    "garbage",
    [
        5,
        "say this again",
        True,
        None,
        ["<speak>An answer.</speak>", None, "Title", "Card"],
        {},
        {"speech": 3, "reprompt": 4, "title": 5, "card": 6},
        {"speech": "<speak>An answer.</speak>", "title": ["Title"], "card": {"text": "Card"}},
        {"speech": None, "reprompt": "<speak>Anything else?</speak>", "title": "Title", "card": "Card"},
    ],
    ids=repr,
)
def test_repeat_with_a_garbage_remembered_answer_says_nothing_was_said(talk: Talk, garbage: object) -> None:
    """A device can send back any `last` attribute: repeat must not apologise for an error or replay it."""
    conversation = talk()
    conversation.session.attributes = {"last": garbage}
    turn = conversation.intent("AMAZON.RepeatIntent")
    text = said(turn)
    assert "haven't said anything" in text
    assert "went wrong" not in text and "sorry" not in text
    assert "an answer" not in text
    assert_stays_open(turn)


def test_a_handler_failure_is_apologised_for_in_speech(talk: Talk, monkeypatch: pytest.MonkeyPatch) -> None:
    from skill.runtime.handlers import topics

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(topics, "topic_answer", broken)
    turn = talk().intent("SafetyIntent")
    assert "sorry" in said(turn)
    assert_stays_open(turn)


def render_directive(turn: Turn) -> dict[str, object]:
    kinds = [d for d in turn.directives if d.get("type") == "Alexa.Presentation.APL.RenderDocument"]
    assert len(kinds) == 1
    return kinds[0]


def test_a_screen_shows_the_answer_with_touchable_topics(talk: Talk) -> None:
    turn = talk(screen=True).intent("PiriformisSyndromeIntent")
    directive = render_directive(turn)
    answer = directive["datasources"]["answer"]  # type: ignore[index]
    assert "sciatic nerve" in answer["text"]
    assert len(answer["buttons"]) >= 10
    assert directive["document"]["type"] == "APL"  # type: ignore[index]


def test_no_screen_means_no_apl_directive(talk: Talk) -> None:
    for intent in ["TreatedMusclesIntent", "AMAZON.HelpIntent"]:
        assert talk(screen=False).intent(intent).directives == []


def test_touching_a_topic_answers_it(talk: Talk) -> None:
    conversation = talk(screen=True)
    conversation.launch()
    turn = conversation.touch("topic", "medicine")
    assert "local anesthetic" in said(turn)  # en-US spelling
    more = conversation.touch("more", "muscles")
    assert "hip" in said(more)
    assert_stays_open(conversation.touch("topic", "no-such-topic"))


def test_nothing_personal_is_logged(talk: Talk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    conversation = talk(screen=True)
    conversation.launch()
    conversation.intent("BodyPartIntent", {"bodyPart": SlotFill("my funny bone")})
    conversation.end()
    logged = caplog.text
    for secret in [LOCAL_USER_ID, LOCAL_DEVICE_ID, conversation.session.session_id, "funny bone"]:
        assert secret not in logged
