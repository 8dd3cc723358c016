"""Patients' own words, sent the way Alexa really sends them: open slots holding whatever was heard
(ER_SUCCESS_NO_MATCH), every slot present even when empty, and questions that sound alike."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluation.judge import echoed_words
from skill.runtime.content import load_content
from skill.tools.envelopes import LOCALES, SlotFill
from skill.tools.local import Conversation, Turn
from skill.tools.sources import leaflet_text
from tests.speech_text import said, spoken_text
from tests.ssml_corpus import SLOT_INTENTS

Talk = Callable[..., Conversation]

MODELS = Path(__file__).resolve().parent.parent / "interaction_models"

# Anatomy a patient might name, written independently of the skill's own word lists; the test keeps
# the ones the leaflet itself mentions, so a new leaflet brings its own checks.
ANATOMY = ["neck", "neck muscles", "shoulders", "shoulder", "arms", "arm", "legs", "leg", "hip", "buttocks",
           "buttock", "lower back", "back", "trapezius", "levator scapulae", "gluteus medius",
           "quadratus lumborum", "piriformis", "piriformis muscle", "sciatic nerve", "back of your leg",
           "sides of your neck", "knee", "elbow", "wrist", "ankle", "jaw", "groin", "calf",
           "chest"]  # fmt: skip
CARRIERS = ["{}", "my {}", "the {}", "pain in my {}", "my {} is sore", "what about my {}"]
LEAFLET_SILENT = ("doesn't say", "doesn't mention", "doesn't cover", "not in the leaflet")


def leaflet_anatomy() -> list[str]:
    leaflet = " ".join(leaflet_text().lower().split())
    return [word for word in ANATOMY if re.search(rf"\b{re.escape(word)}\b", leaflet)]


def answered(conversation: Conversation) -> str:
    return str(conversation.session.attributes.get("answered"))


def test_the_leaflet_mentions_the_regions_patients_name() -> None:
    mentioned = leaflet_anatomy()
    assert {"neck", "shoulders", "lower back", "buttocks", "hip", "arms", "legs", "trapezius"} <= set(
        mentioned
    )
    assert "knee" not in mentioned


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("intent", sorted(SLOT_INTENTS))
@pytest.mark.parametrize("part", leaflet_anatomy())
def test_nothing_the_leaflet_mentions_is_ever_called_absent_from_it(
    talk: Talk, locale: str, intent: str, part: str
) -> None:
    slot, slot_type = SLOT_INTENTS[intent]
    for carrier in CARRIERS:
        conversation = talk(locale)
        heard = carrier.format(part)
        text = said(conversation.intent(intent, {slot: SlotFill(heard, slot_type=slot_type)}))
        assert not any(phrase in text for phrase in LEAFLET_SILENT), f"{heard!r} in {intent}: {text}"
        kind = answered(conversation).split(":")[0]
        assert kind in ("part", "topic", "fact"), f"{heard!r} in {intent} got {answered(conversation)}"


def slot_samples() -> list[tuple[str, str]]:
    model = json.loads((MODELS / "en-US.json").read_text("utf-8"))["interactionModel"]["languageModel"]
    return [
        (intent["name"], sample)
        for intent in model["intents"]
        if intent["name"] in SLOT_INTENTS
        for sample in intent["samples"]
    ]


# Unlisted words as Alexa would put them into an open slot: off-topic, a whole question, a body part the
# leaflet does not mention, and a personal story.
UNRELATED = ["the weather", "some music", "my grandson's birthday"]
NOT_IN_LEAFLET_PARTS = ["left knee", "groin after my fall last week", "jaw"]
WHOLE_QUESTIONS = {
    "what do trigger point injections do": "topic:about",
    "the cortisone in it": "fact:steroid",
}


@pytest.mark.parametrize(("intent", "sample"), slot_samples())
def test_every_slot_sample_with_unlisted_words_is_understood_without_echo(
    talk: Talk, intent: str, sample: str
) -> None:
    """Alexa sends the words it put in the slot: just the unlisted words, or, when it takes the carrier
    for part of the value (as in "...anything about the what do trigger point injections do"), the
    whole sentence. Unlisted words add nothing: the whole sentence gets what the words get, or, when
    the carrier itself names something ("injection into the ..."), what the carrier alone gets.
    Nothing unlisted is ever read back."""
    slot, slot_type = SLOT_INTENTS[intent]

    def answer_to(heard: str) -> tuple[str, Turn]:
        conversation = talk(screen=True)
        turn = conversation.intent(intent, {slot: SlotFill(heard, slot_type=slot_type)})
        return answered(conversation), turn

    carrier_alone, _ = answer_to(sample.replace("{" + slot + "}", " "))
    cases = [(w, "fallback") for w in UNRELATED] + [(w, "unknown_part") for w in NOT_IN_LEAFLET_PARTS]
    cases += list(WHOLE_QUESTIONS.items())
    for words, expected in cases:
        utterance = sample.replace("{" + slot + "}", words)
        for heard in (words, utterance):
            got, turn = answer_to(heard)
            allowed = {expected}
            if heard == utterance and carrier_alone != "fallback":
                # The carrier names something too: unrelated words add nothing to it, and a subject the
                # words name may take either place.
                allowed = {carrier_alone} if expected == "fallback" else {expected, carrier_alone}
            assert got in allowed, f"{heard!r} in {intent}: {got}"
            assert echoed_words(turn, [heard]) == (), f"{heard!r} was read back"
            assert turn.ends_session is False


@pytest.mark.parametrize("intent", sorted(SLOT_INTENTS))
def test_an_empty_slot_is_asked_for_again_never_answered(talk: Talk, intent: str) -> None:
    slot, _ = SLOT_INTENTS[intent]
    conversation = talk()
    turn = conversation.intent(intent, {slot: SlotFill(None)})
    text = said(turn)
    assert text.rstrip().endswith("?")
    assert not any(phrase in text for phrase in LEAFLET_SILENT)
    assert [d["slotToElicit"] for d in turn.directives if d["type"] == "Dialog.ElicitSlot"] == [slot]
    assert turn.reprompt is not None and said(turn) != spoken_text(turn.reprompt).lower()


def test_the_reply_to_a_re_ask_is_answered(talk: Talk) -> None:
    conversation = talk()
    conversation.intent("BodyPartIntent", {"bodyPart": SlotFill(None)})
    reply = conversation.intent(
        "BodyPartIntent", {"bodyPart": SlotFill("neck", "neck", slot_type="BODY_PART")}
    )
    assert "neck" in said(reply) and answered(conversation) == "part:neck"


RISK_QUESTIONS: list[tuple[str, dict[str, SlotFill]]] = [
    ("SafetyIntent", {}),
    ("SubjectIntent", {"subject": SlotFill("risks", "risks", slot_type="SUBJECT")}),
    ("SubjectIntent", {"subject": SlotFill("side effects", "side_effects", slot_type="SUBJECT")}),
    ("SubjectIntent", {"subject": SlotFill("complications", "risks", slot_type="SUBJECT")}),
    ("SubjectIntent", {"subject": SlotFill("how dangerous it is")}),
]


def test_every_safety_and_risk_question_gets_the_same_honest_answer(talk: Talk) -> None:
    answers = {said(talk().intent(name, slots)) for name, slots in RISK_QUESTIONS}
    assert len(answers) == 1, answers
    (answer,) = answers
    assert "generally safe" in answer and "doctor or nurse" in answer
    assert "side effects" in answer and "risks" in answer


@pytest.mark.parametrize("locale", LOCALES)
def test_thanks_and_hello_get_kind_short_answers_without_sending_anyone_away(talk: Talk, locale: str) -> None:
    conversation = talk(locale)
    conversation.intent("TreatedMusclesIntent")
    thanks = said(conversation.intent("ThanksIntent"))
    assert "welcome" in thanks and "doctor" not in thanks and "sorry" not in thanks
    assert len(thanks.split()) <= 20
    hello = said(talk(locale).intent("GreetingIntent"))
    assert "hello" in hello and "trigger point guide" in hello and "doctor" not in hello


def test_are_you_a_doctor_is_answered_honestly(talk: Talk) -> None:
    text = said(talk().intent("WhoAreYouIntent"))
    assert "not a doctor" in text and "leaflet" in text
    source = said(talk().intent("SourceIntent"))
    assert "leaflet" in source


def test_thanks_then_no_ends_kindly(talk: Talk) -> None:
    conversation = talk()
    conversation.intent("SafetyIntent")
    conversation.intent("ThanksIntent")
    turn = conversation.intent("AMAZON.NoIntent")
    assert turn.ends_session is True and "goodbye" in said(turn)


def test_repeat_after_small_talk_replays_the_last_real_answer(talk: Talk) -> None:
    conversation = talk()
    answer = conversation.intent("CausesIntent")
    for small_talk in ("ThanksIntent", "AMAZON.FallbackIntent", "SpeakSlowerIntent"):
        conversation.intent(small_talk)
        assert spoken_text(conversation.intent("AMAZON.RepeatIntent").speech) == spoken_text(answer.speech)


def test_saying_yes_again_and_again_reaches_every_topic(talk: Talk) -> None:
    content = load_content()
    for first in content.topics:
        conversation = talk()
        conversation.intent(first.intent)
        heard = {answered(conversation)}
        for _ in range(len(content.topics)):
            conversation.intent("AMAZON.YesIntent")
            heard.add(answered(conversation))
        assert heard == {f"topic:{topic.id}" for topic in content.topics}, first.id


def answer_kinds(talk: Talk) -> list[tuple[str, Turn]]:
    content = load_content()
    turns: list[tuple[str, Turn]] = [("welcome", talk().launch())]
    turns += [(t.id, talk().intent(t.intent)) for t in content.topics]
    turns += [(f.id, talk().intent(f.intent)) for f in content.facts]
    turns += [(s, talk().intent(social.intent)) for s, social in content.social.items()]
    turns += [
        (p.id, talk().intent("BodyPartIntent", {"bodyPart": SlotFill(p.id, p.id)}))
        for p in content.body_parts
    ]
    for name in ("AMAZON.HelpIntent", "AMAZON.FallbackIntent", "NotCoveredIntent"):
        turns.append((name, talk().intent(name)))
    return turns


def test_reprompts_are_shorter_than_and_different_from_the_prompt(talk: Talk) -> None:
    for where, turn in answer_kinds(talk):
        prompt, reprompt = said(turn), spoken_text(turn.reprompt).lower()
        assert reprompt, where
        assert len(reprompt) < len(prompt), where
        assert reprompt not in prompt, f"{where}: the reprompt repeats the prompt word for word"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_fact_question_hears_its_fact_first(talk: Talk, locale: str) -> None:
    """The narrow questions patients ask, answered in the first sentence, from the leaflet's words."""
    first_words = {
        "CausesIntent": ["trauma", "microtrauma"],
        "MovementIntent": ["range of motion", "muscular performance"],
        "DiagnosticValueIntent": ["diagnostic value"],
        "ReferredPainIntent": ["referred pain"],
        "TwitchResponseIntent": ["twitch response"],
        "KnotsIntent": ["knots"],
        "SteroidIntent": ["corticosteroid"],
        "OtherTreatmentsIntent": ["painkillers", "physical therapy"],
    }
    for intent, words in first_words.items():
        text = said(talk(locale).intent(intent))
        first_two = " ".join(re.split(r"(?<=[.?!]) ", text)[:2])
        for word in words:
            assert word in first_two, f"{intent}: {text}"


def slot_type_ids(type_name: str) -> list[str]:
    model = json.loads((MODELS / "en-US.json").read_text("utf-8"))["interactionModel"]["languageModel"]
    (values,) = [t["values"] for t in model["types"] if t["name"] == type_name]
    return [value["id"] for value in values]


@pytest.mark.parametrize(("intent", "type_name"), [(i, t) for i, (_, t) in SLOT_INTENTS.items()])
def test_every_slot_value_alexa_can_resolve_gets_its_own_answer(
    talk: Talk, intent: str, type_name: str
) -> None:
    content = load_content()
    not_covered = content.not_covered

    def expected(value_id: str) -> str:
        if type_name == "BODY_PART":
            return f"part:{value_id}"
        if value_id in not_covered.answered_by_topic:
            return f"topic:{not_covered.answered_by_topic[value_id]}"
        kinds = {
            "topic": content.topic_by_id,
            "fact": content.fact_by_id,
            "not_covered": not_covered.subjects,
        }
        (kind,) = [kind for kind, entries in kinds.items() if value_id in entries]
        return f"{kind}:{value_id}"

    slot = SLOT_INTENTS[intent][0]
    for value_id in slot_type_ids(type_name):
        conversation = talk()
        conversation.intent(intent, {slot: SlotFill("heard", value_id, slot_type=type_name)})
        assert answered(conversation) == expected(value_id)


def test_hint_words_never_name_what_the_leaflet_mentions() -> None:
    """Words the skill treats as "not in the leaflet" must really be absent from it."""
    mentions = load_content().mentions
    leaflet = " ".join(leaflet_text().lower().split())
    honest_no = [w for w, meaning in mentions.items() if meaning in ("unknown_part", "not_covered")]
    assert honest_no
    assert [w for w in honest_no if re.search(rf"\b{re.escape(w)}\b", leaflet)] == []


@pytest.mark.parametrize("heard", ["my muscle", "somewhere", "the muscle"])
def test_a_body_part_named_vaguely_is_asked_about_not_dismissed(talk: Talk, heard: str) -> None:
    turn = talk().intent("BodyPartIntent", {"bodyPart": SlotFill(heard, slot_type="BODY_PART")})
    assert said(turn).rstrip().endswith("?")
    assert [d["slotToElicit"] for d in turn.directives if d["type"] == "Dialog.ElicitSlot"] == ["bodyPart"]


def test_lower_back_muscle_and_muscles_get_the_same_answer(talk: Talk) -> None:
    one, more = (talk(), talk())
    one.intent("BodyPartIntent", {"bodyPart": SlotFill("lower back muscle")})
    more.intent("BodyPartIntent", {"bodyPart": SlotFill("lower back muscles")})
    assert answered(one) == answered(more) == "part:lower_back"


@pytest.mark.parametrize(
    ("intent", "heard", "expected"),
    [
        ("BodyPartIntent", "my knee and my neck", "part:neck"),
        ("BodyPartIntent", "my neck and my knee", "part:neck"),
        ("SubjectIntent", "does the needle hurt", "not_covered:pain_of_injection"),
        ("BodyPartIntent", "my butt's really sore", "part:buttocks"),
        ("BodyPartIntent", "the QL", "part:quadratus_lumborum"),
    ],
)
def test_a_subject_the_leaflet_covers_wins_over_words_it_does_not(
    talk: Talk, intent: str, heard: str, expected: str
) -> None:
    slot, slot_type = SLOT_INTENTS[intent]
    conversation = talk()
    conversation.intent(intent, {slot: SlotFill(heard, slot_type=slot_type)})
    assert answered(conversation) == expected


def test_repeat_after_a_re_ask_asks_again(talk: Talk) -> None:
    conversation = talk()
    conversation.launch()
    asked = conversation.intent("BodyPartIntent", {"bodyPart": SlotFill("my muscle")})
    again = conversation.intent("AMAZON.RepeatIntent")
    assert again.speech == asked.speech
    elicits = [d for d in again.directives if d["type"] == "Dialog.ElicitSlot"]
    assert [(d["updatedIntent"]["name"], d["slotToElicit"]) for d in elicits] == [
        ("BodyPartIntent", "bodyPart")
    ]


def test_repeat_keeps_the_screens_buttons_in_order(talk: Talk) -> None:
    def buttons(turn: Turn) -> list[tuple[str, str]]:
        (screen,) = [d for d in turn.directives if d["type"] == "Alexa.Presentation.APL.RenderDocument"]
        return [(b["event"], b["id"]) for b in screen["datasources"]["answer"]["buttons"]]

    conversation = talk(screen=True)
    first = conversation.intent("TreatedMusclesIntent")
    assert buttons(conversation.intent("AMAZON.RepeatIntent")) == buttons(first)
    more = conversation.intent("TellMeMoreIntent")
    assert buttons(conversation.intent("AMAZON.RepeatIntent")) == buttons(more)


def test_a_broad_topic_named_in_passing_gives_way_to_the_subject_asked_about(talk: Talk) -> None:
    conversation = talk()
    heard = SlotFill("pregnant women having trigger point injections", slot_type="SUBJECT")
    conversation.intent("SubjectIntent", {"subject": heard})
    assert answered(conversation) == "not_covered:pregnancy"
