"""Typed text resolves to the intent and slots Alexa would send, from the model's own samples.

`tpi-skill ask` / `chat` depend on this standing in for Alexa's NLU: every sample must come back to its
own intent in every locale, paraphrases must land on the right topic, slot synonyms must resolve to the
architecture's ids, and anything off-topic must go to AMAZON.FallbackIntent rather than a wrong answer.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.tools import nlu
from skill.tools.cli import request_for
from skill.tools.envelopes import LOCALES, SlotFill
from skill.tools.local import Conversation
from skill.tools.model_builder import build_model, resolver_phrases, resolver_type_hints
from skill.tools.nlu import FALLBACK_INTENT, IntentMatch, SlotValue, resolve
from skill.tools.nlu.text import spoken_key

SLOT = re.compile(r"\{(\w+)\}")


def intents(locale: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = build_model(locale)["interactionModel"]["languageModel"]["intents"]
    return found


@functools.cache
def declared_slots(locale: str) -> dict[str, frozenset[str]]:
    """Every intent of the model with the names of the slots it declares."""
    return {i["name"]: frozenset(s["name"] for s in i.get("slots", [])) for i in intents(locale)}


@functools.cache
def value_names(locale: str) -> dict[str, str]:
    """The name the model gives each slot-type value, by id (Alexa sends it as the resolved name)."""
    types = build_model(locale)["interactionModel"]["languageModel"]["types"]
    return {v["id"]: v["name"]["value"] for t in types for v in t["values"]}


def slot_values(locale: str) -> dict[str, list[tuple[str, str]]]:
    """Every spoken form (value and synonyms) of every slot type, with its id."""
    types = build_model(locale)["interactionModel"]["languageModel"]["types"]
    return {
        t["name"]: [
            (spoken, v["id"]) for v in t["values"] for spoken in [v["name"]["value"], *v["name"]["synonyms"]]
        ]
        for t in types
    }


# --- every sample comes back to its own intent ----------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_every_slotless_sample_resolves_to_its_intent(locale: str) -> None:
    resolved = [
        (sample, i["name"], resolve(sample, locale))
        for i in intents(locale)
        for sample in i["samples"]
        if not SLOT.search(sample)
    ]
    wrong = [(sample, name, got) for sample, name, got in resolved if got != IntentMatch(name)]
    assert wrong == []


@functools.cache
def readings(locale: str) -> dict[str, set[tuple[str, str | None]]]:
    """Every text the model's samples can say, with each (intent, value id) it may stand for: a slot
    sample filled with every spoken form of its type, and every sample without a slot as it is."""
    values = slot_values(locale)
    found: dict[str, set[tuple[str, str | None]]] = {}
    for intent in intents(locale):
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            slots = SLOT.findall(sample)
            if not slots:
                found.setdefault(sample, set()).add((intent["name"], None))
            for slot in slots:
                for spoken, value_id in values[types[slot]]:
                    text = sample.replace("{" + slot + "}", spoken)
                    found.setdefault(text, set()).add((intent["name"], value_id))
    # Texts that differ only in a plural ("the hip muscle", "the hips muscle") or in politeness ("can you
    # tell me about...") are one text to the resolver, as they would be to a listener.
    same: dict[str, set[tuple[str, str | None]]] = {}
    for text, meanings in found.items():
        same.setdefault(same_words(text, locale), set()).update(meanings)
    return {text: same[same_words(text, locale)] for text in found}


def same_words(text: str, locale: str) -> str:
    return spoken_key(nlu.normalise(text, locale).split())


@pytest.mark.parametrize("locale", LOCALES)
def test_every_slot_sample_with_every_value_resolves_to_its_intent_and_id(locale: str) -> None:
    """A filled sample resolves to its intent and value; where the model itself allows two readings
    ("what is the hip muscle": the hip, or the hip muscle?) it must be one of them."""
    wrong = []
    for text, meanings in readings(locale).items():
        if all(value_id is None for _, value_id in meanings):
            continue  # plain samples: the test above
        got = resolve(text, locale)
        slot_ids = [slot.resolved_id for slot in got.slots.values()]
        reading = (got.intent, slot_ids[0] if slot_ids else None)
        if reading not in meanings:
            wrong.append((text, meanings, got))
    assert wrong == []


def answer_key(locale: str, intent: str, slot_values: dict[str, str | None]) -> str:
    """What the skill answers (its `answered` key) when Alexa sends `intent` with these value ids."""
    names = value_names(locale)
    slots = {
        name: SlotFill(names[value_id] if value_id else "something", value_id, names.get(value_id or ""))
        for name, value_id in slot_values.items()
    }
    conversation = Conversation(locale=locale)
    conversation.intent(intent, slots)
    return str(conversation.session.attributes["answered"])


def differing_answers(locale: str, found: dict[str, set[tuple[str, str | None]]]) -> dict[str, set[str]]:
    """The texts among `found` whose readings in different intents get different answers."""
    differing = {}
    for text, meanings in found.items():
        if len({intent for intent, _ in meanings}) < 2:
            continue
        answers = set()
        for intent, value_id in meanings:
            slot = next(iter(declared_slots(locale)[intent]), None)
            answers.add(answer_key(locale, intent, {slot: value_id} if slot else {}))
        if len(answers) > 1:
            differing[text] = answers
    return differing


@pytest.mark.parametrize("locale", LOCALES)
def test_a_text_with_readings_in_two_intents_gets_the_same_answer_either_way(locale: str) -> None:
    """Alexa may pick either reading of "tell me about safety" (SafetyIntent, or SubjectIntent with
    "safety"): the listener must hear the same answer."""
    assert differing_answers(locale, readings(locale)) == {}


def test_two_readings_with_different_answers_are_found() -> None:
    """The check above can fail: a text read as two intents that answer differently is reported."""
    found = {"tell me about it": {("SafetyIntent", None), ("SubjectIntent", "cost")}}
    assert differing_answers("en-GB", found) == {"tell me about it": {"topic:safety", "not_covered:cost"}}


# The re-ask after an empty slot (Dialog.ElicitSlot) and the slot samples that apply while it listens.
ELICIT = {"bodyPart": ("BodyPartIntent", "bodyPart"), "subject": ("SubjectIntent", "subject")}


def elicitation_samples(locale: str) -> list[tuple[str, str, str, str]]:
    """(intent, slot, slot type, sample) for every slot sample of the model's slots."""
    return [
        (i["name"], s["name"], s["type"], sample)
        for i in intents(locale)
        for s in i.get("slots", [])
        for sample in s.get("samples", [])
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_elicitation_sample_resolves_while_the_slot_is_asked_for(locale: str) -> None:
    values = slot_values(locale)
    found = elicitation_samples(locale)
    assert {(intent, slot) for intent, slot, _, _ in found} == set(ELICIT.values())
    wrong = []
    for intent, slot, slot_type, sample in found:
        for spoken, value_id in values[slot_type]:
            text = sample.replace("{" + slot + "}", spoken)
            got = resolve(text, locale, eliciting=(intent, slot))
            reading = (got.intent, got.slots[slot].resolved_id if slot in got.slots else None)
            # Words that are exactly another intent's sample ("trigger point injections") are that intent.
            if reading != (intent, value_id) and reading not in readings(locale).get(text, set()):
                wrong.append((text, value_id, got))
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("biceps", "bodyPart"),
        ("hamstring muscle", "bodyPart"),
        ("calf", "bodyPart"),
        ("bruising", "subject"),
    ],
)
def test_slot_samples_count_only_while_the_slot_is_asked_for(text: str, slot: str) -> None:
    """Outside a re-ask a bare word the leaflet does not know is not a question; in one, it answers it."""
    intent, _ = ELICIT[slot]
    assert resolve(text) == IntentMatch(FALLBACK_INTENT)
    asked = resolve(text, eliciting=ELICIT[slot])
    assert asked.intent == intent
    assert asked.slots[slot].value in text and asked.slots[slot].resolved_id is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stop", IntentMatch("AMAZON.StopIntent")),
        ("help", IntentMatch("AMAZON.HelpIntent")),
        ("which muscles are treated", IntentMatch("TreatedMusclesIntent")),
        ("the weather", IntentMatch(FALLBACK_INTENT)),
        ("what's the weather like", IntentMatch(FALLBACK_INTENT)),
        (
            "my neck",
            IntentMatch("BodyPartIntent", {"bodyPart": SlotValue("bodyPart", "neck", "neck", "neck")}),
        ),
    ],
)
def test_a_re_ask_still_hears_other_requests(text: str, expected: IntentMatch) -> None:
    assert resolve(text, eliciting=ELICIT["bodyPart"]) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_every_resolver_only_phrase_resolves_to_its_built_in(locale: str) -> None:
    resolved = [
        (phrase, name, resolve(phrase, locale))
        for name, phrases in resolver_phrases().items()
        for phrase in phrases
    ]
    wrong = [(phrase, name, got) for phrase, name, got in resolved if got != IntentMatch(name)]
    assert wrong == []


# --- paraphrases, punctuation, case, fillers --------------------------------------------------------------


# Typed phrasings and the intent (or "intent:value id") each must resolve to; also the sample
# tests/test_nlu_cache.py asks with and without the on-disk index.
PARAPHRASES: list[tuple[str, str]] = [
    ("Alexa, which muscles are treated?", "TreatedMusclesIntent"),
    ("WHICH MUSCLES ARE TREATED!!!", "TreatedMusclesIntent"),
    ("  which   muscles\tare treated  ", "TreatedMusclesIntent"),
    ("Can you please tell me which muscles are treated?", "TreatedMusclesIntent"),
    ("which muscles are treated, thanks", "TreatedMusclesIntent"),
    ("ask trigger point guide which muscles are treated", "TreatedMusclesIntent"),
    ("what muscles do they usually inject", "TreatedMusclesIntent"),
    ("muscles", "TreatedMusclesIntent"),
    ("What\u2019s a trigger point injection?", "TriggerPointInjectionsIntent"),
    ("whats a trigger point injection", "TriggerPointInjectionsIntent"),
    ("what exactly are trigger point injections", "TriggerPointInjectionsIntent"),
    ("i'd like to know about trigger point injections", "SubjectIntent:about"),
    ("what are the benefits of these injections", "BenefitsIntent"),
    ("how could a trigger point injection help me", "BenefitsIntent"),
    ("will it help my range of motion", "MovementIntent"),
    ("what causes a trigger point", "CausesIntent"),
    ("what are knots in the muscle", "KnotsIntent"),
    ("how does the doctor find the trigger points", "FindingTriggerPointsIntent"),
    ("what's a twitch response", "TwitchResponseIntent"),
    ("what medicine do they inject", "InjectedMedicineIntent"),
    ("is there a steroid in the injection", "SteroidIntent"),
    ("where could I feel the pain", "PainLocationsIntent"),
    ("can a trigger point cause pain in the buttocks", "PainLocationsIntent"),
    ("what's piriformis syndrome", "PiriformisSyndromeIntent"),
    ("why do I have numbness down my leg", "PiriformisSyndromeIntent"),
    ("when would a trigger point injection be recommended", "WhenRecommendedIntent"),
    ("painkillers have not helped", "OtherTreatmentsIntent"),
    ("Are trigger point injections safe?", "SafetyIntent"),
    ("is a trigger point injection dangerous", "SafetyIntent"),
    ("tell me more please", "TellMeMoreIntent"),
    ("more details please", "TellMeMoreIntent"),
    ("please speak more slowly", "SpeakSlowerIntent"),
    ("can you talk a bit slower", "SpeakSlowerIntent"),
    ("speak a little faster please", "SpeakFasterIntent"),
    ("go back to the normal speed", "NormalSpeedIntent"),
    ("what else can I ask?", "AMAZON.HelpIntent"),
    ("help", "AMAZON.HelpIntent"),
    ("yes please", "AMAZON.YesIntent"),
    ("No, thank you.", "AMAZON.NoIntent"),
    ("say that again", "AMAZON.RepeatIntent"),
    ("start over", "AMAZON.StartOverIntent"),
    ("go home", "AMAZON.NavigateHomeIntent"),
    ("stop", "AMAZON.StopIntent"),
    ("cancel", "AMAZON.CancelIntent"),
    # Phrasings that are in no sample, one or two per topic.
    ("explain what a trigger point injection is", "TriggerPointInjectionsIntent"),
    ("what's involved in a trigger point injection", "TriggerPointInjectionsIntent"),
    # right after the welcome, which offers "what are trigger point injections?"
    ("so what are they", "TriggerPointInjectionsIntent"),
    ("tell me about them please", "TriggerPointInjectionsIntent"),
    ("so what is myofascial pain", "TriggerPointInjectionsIntent"),
    ("could it help my shoulder pain", "BodyPartIntent:shoulders"),
    ("can it help my neck please", "BodyPartIntent:neck"),
    ("which muscle groups are commonly injected", "TreatedMusclesIntent"),
    ("where on the body are the injections given", "TreatedMusclesIntent"),
    ("how will a trigger point injection help my back", "BenefitsIntent"),
    ("can it improve my muscle performance", "MovementIntent"),
    ("how do trigger points form", "CausesIntent"),
    ("how do doctors identify trigger points", "FindingTriggerPointsIntent"),
    ("what does palpation mean", "FindingTriggerPointsIntent"),
    ("what kind of medicine is in the injection", "InjectedMedicineIntent"),
    ("is it a steroid injection", "SteroidIntent"),
    ("can trigger points cause pain in my neck", "PainLocationsIntent"),
    ("what is the sciatic nerve", "PiriformisSyndromeIntent"),
    ("why does my leg go numb", "PiriformisSyndromeIntent"),
    ("should i get a trigger point injection", "WhenRecommendedIntent"),
    ("my painkillers aren't working", "OtherTreatmentsIntent"),
    ("are the shots safe", "SafetyIntent"),
    ("keep going please", "TellMeMoreIntent"),
    ("you are speaking too fast", "SpeakSlowerIntent"),
    ("you're speaking too slowly", "SpeakFasterIntent"),
    ("reset to normal speed", "NormalSpeedIntent"),
    ("what topics can you help with", "AMAZON.HelpIntent"),
    # The narrow facts, small talk and "where it hurts" of issue 9.
    ("can it help diagnose my pain", "DiagnosticValueIntent"),
    ("why does my pain spread", "ReferredPainIntent"),
    ("what is the twitching in my muscle", "TwitchResponseIntent"),
    ("does the injection contain a steroid", "SteroidIntent"),
    ("what if my pain killers don't work", "OtherTreatmentsIntent"),
    ("what makes trigger points develop", "CausesIntent"),
    ("can i feel these knots", "KnotsIntent"),
    ("will i move more freely afterwards", "MovementIntent"),
    ("thanks very much alexa", "ThanksIntent"),
    ("thank you that was really helpful", "ThanksIntent"),
    ("hello", "GreetingIntent"),
    ("hi there alexa", "GreetingIntent"),
    ("how are you", "GreetingIntent"),
    ("good morning", "GreetingIntent"),
    ("is this a real person", "WhoAreYouIntent"),
    ("are you a doctor", "WhoAreYouIntent"),
    ("where is this information from", "SourceIntent"),
    ("who wrote the information", "SourceIntent"),
    ("that's all for now", "AMAZON.StopIntent"),
    ("i'm all done thanks", "AMAZON.StopIntent"),
    ("my lower back hurts", "BodyPartIntent:lower_back"),
    ("i have a sore bum", "BodyPartIntent:buttocks"),
    ("my upper traps", "BodyPartIntent:trapezius"),
    ("what does the leaflet say about cortisone", "SubjectIntent:steroid"),
    ("anything about the price", "SubjectIntent:cost"),
]


@pytest.mark.parametrize(("text", "expected"), PARAPHRASES)
def test_paraphrases_and_variants(text: str, expected: str) -> None:
    """`expected` is an intent, or "intent:value id" for an intent with a slot."""
    match = resolve(text)
    assert ":".join([match.intent, *(s.resolved_id or "?" for s in match.slots.values())]) == expected


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok", "AMAZON.YesIntent"),
        ("um ok", "AMAZON.YesIntent"),
        ("ok please", "AMAZON.YesIntent"),
        ("alexa ok", "AMAZON.YesIntent"),
        ("ok thanks", "ThanksIntent"),
        ("um, ok thanks", "ThanksIntent"),
        ("alexa, ok thanks", "ThanksIntent"),
        ("hi there alexa", "GreetingIntent"),
    ],
)
def test_fillers_around_ok_never_turn_it_into_thanks(locale: str, text: str, expected: str) -> None:
    """The sample "ok thanks" means thanks; "um, ok" after "Would you like to hear...?" means yes, so
    "ok" with fillers stripped is the yes and the thanks is only heard when the thanks is said."""
    assert resolve(text, locale).intent == expected


def answered(text: str, locale: str = "en-US", eliciting: tuple[str, str] | None = None) -> str:
    """The kind of answer (`answered` key) the skill gives when `text` is typed to `tpi-skill ask`."""
    conversation = Conversation(locale=locale)
    conversation.send(request_for(text, locale, eliciting))
    return str(conversation.session.attributes["answered"])


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("en-GB", "is it a local anaesthetic", "InjectedMedicineIntent"),
        ("en-GB", "what's in the jab", "InjectedMedicineIntent"),
        ("en-GB", "is it a steroid jab", "SteroidIntent"),
        ("en-US", "is it a steroid shot", "SteroidIntent"),
        ("en-AU", "physiotherapy didn't help", "OtherTreatmentsIntent"),
        ("en-GB", "what if physio doesn't work", "OtherTreatmentsIntent"),
        ("en-US", "what if physical therapy doesn't work", "OtherTreatmentsIntent"),
        ("en-IN", "why do muscle fibres get tight", "CausesIntent"),
        ("en-US", "why do muscle fibers get tight", "CausesIntent"),
        ("en-CA", "physiotherapy didn't help", "OtherTreatmentsIntent"),
        ("en-US", "is it a local anesthetic", "InjectedMedicineIntent"),
        ("en-GB", "what is a localised twitch response", "TwitchResponseIntent"),
        ("en-US", "what is a localized twitch response", "TwitchResponseIntent"),
    ],
)
def test_locale_spellings_resolve(locale: str, text: str, expected: str) -> None:
    assert resolve(text, locale).intent == expected


@pytest.mark.parametrize(
    ("locale", "text"), [("en-US", "is it a local anaesthetic"), ("en-GB", "is it a local anesthetic")]
)
def test_the_other_spelling_still_gets_the_medicine_answer(locale: str, text: str) -> None:
    """Typed in the other variety's spelling, the question may reach the medicine topic through the
    subject slot rather than its own intent: the listener hears the same answer."""
    assert answered(text, locale) == answered("what is injected", locale) == "topic:medicine"


# --- slots ---------------------------------------------------------------------------------------------


# The intent each slot belongs to (docs/architecture.md).
SLOT_INTENT = {"bodyPart": "BodyPartIntent", "subject": "SubjectIntent"}


SLOT_SYNONYMS: list[tuple[str, str, str]] = [
    ("tell me about the traps", "bodyPart", "trapezius"),
    ("what about the trapezius", "bodyPart", "trapezius"),
    ("what is the Trapezius muscle?", "bodyPart", "trapezius"),
    ("trapezius", "bodyPart", "trapezius"),
    ("my upper traps", "bodyPart", "trapezius"),
    ("what about the QL", "bodyPart", "quadratus_lumborum"),
    ("q. l.", "bodyPart", "quadratus_lumborum"),
    ("what is the quadratus lumborum", "bodyPart", "quadratus_lumborum"),
    ("the deep lower back muscle", "bodyPart", "quadratus_lumborum"),
    ("I have pain in the side of my neck", "bodyPart", "levator_scapulae"),
    ("tell me about the levator scapulae", "bodyPart", "levator_scapulae"),
    ("levator", "bodyPart", "levator_scapulae"),
    ("glute med", "bodyPart", "gluteus_medius"),
    ("can you inject my gluteus medius", "bodyPart", "gluteus_medius"),
    ("what about the hip muscle", "bodyPart", "gluteus_medius"),
    ("what is a trapezious", "bodyPart", "trapezius"),
    # The regions patients name, not only the four muscles.
    ("my glutes", "bodyPart", "buttocks"),
    ("what about my shoulders", "bodyPart", "shoulders"),
    ("my lower back hurts", "bodyPart", "lower_back"),
    ("i have pain in my neck", "bodyPart", "neck"),
    ("can they inject the hip", "bodyPart", "hip"),
    ("i've got pain in my upper back", "bodyPart", "upper_back"),
    ("will it help my arms", "bodyPart", "arms"),
    ("what about the back of my leg", "bodyPart", "legs"),
    # Subjects, covered or not.
    ("what does the leaflet say about the cost", "subject", "cost"),
    ("is there information on the price", "subject", "cost"),
    ("does the leaflet say anything about pregnancy", "subject", "pregnancy"),
    ("i have a question about recovery time", "subject", "recovery"),
    ("does the leaflet mention how many injections", "subject", "number_of_injections"),
    ("i want to know about who gives the injection", "subject", "who_gives"),
    ("does the leaflet cover side effects", "subject", "side_effects"),
    ("does the leaflet mention complications", "subject", "risks"),
    ("what does the leaflet say about cortisone", "subject", "steroid"),
    ("is there information on referred pain", "subject", "referred_pain"),
]


@pytest.mark.parametrize(("text", "slot", "value_id"), SLOT_SYNONYMS)
def test_slot_synonyms_resolve_to_the_architecture_ids(text: str, slot: str, value_id: str) -> None:
    match = resolve(text)
    assert match.intent == SLOT_INTENT[slot]
    assert match.slots[slot].resolved_id == value_id
    assert match.slots[slot].resolved_name == value_names("en-US")[value_id]


@pytest.mark.parametrize(
    "text", ["what are the side effects", "are there any risks", "what are the complications", "is it risky"]
)
def test_every_risk_and_side_effect_question_gets_the_safety_answer(text: str) -> None:
    """Whether it reaches SafetyIntent or the subject slot ("complications": risks), the listener hears
    the one honest safety answer."""
    assert resolve(text).intent in ("SafetyIntent", "SubjectIntent")
    assert answered(text) == "topic:safety"


def test_slot_value_keeps_what_was_said() -> None:
    assert resolve("tell me about the traps").slots == {
        "bodyPart": SlotValue("bodyPart", "traps", "trapezius", "trapezius")
    }


UNKNOWN_SLOT_VALUES: list[tuple[str, str]] = [
    ("tell me about the biceps muscle", "bodyPart"),
    ("can you inject my biceps", "bodyPart"),
    ("i have pain in my calf muscle", "bodyPart"),
    ("what about the biceps", "bodyPart"),
    ("my deltoid is sore", "bodyPart"),
    ("my knee hurts", "bodyPart"),
    ("does the leaflet mention bruising", "subject"),
    ("is there information on allergies", "subject"),
    ("i have a question about infection", "subject"),
    ("what does the leaflet say about allergies", "subject"),
]


@pytest.mark.parametrize(("text", "slot"), UNKNOWN_SLOT_VALUES)
def test_unknown_slot_value_is_no_match(text: str, slot: str) -> None:
    match = resolve(text)
    assert match.intent == SLOT_INTENT[slot]
    assert match.slots[slot].resolved_id is None
    assert match.slots[slot].resolved_name is None
    assert match.slots[slot].value in text.lower()


@pytest.mark.parametrize("locale", LOCALES)
def test_type_hints_never_resolve_to_an_id(locale: str) -> None:
    carriers = {"BODY_PART": "tell me about the {} muscle", "SUBJECT": "does the leaflet mention {}"}
    hints = resolver_type_hints()
    assert set(hints) == set(carriers)
    for slot_type, words in hints.items():
        for word in words:
            match = resolve(carriers[slot_type].format(word), locale)
            assert all(slot.resolved_id is None for slot in match.slots.values()), (word, match)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en-US", "does it hurt"),
        ("en-US", "does the injection hurt"),
        ("en-US", "how much do trigger point injections cost"),
        ("en-US", "is it safe if I'm pregnant"),
        ("en-US", "what should i do after"),
        ("en-US", "will the injection be painful"),
        ("en-US", "how many injections do i need"),
        ("en-US", "will the shot hurt"),
        ("en-GB", "is it on the n. h. s."),
        ("en-GB", "will the jab hurt"),
        ("en-AU", "can i claim it on medicare"),
        ("en-IN", "how much will the hospital charge"),
    ],
)
def test_questions_the_leaflet_does_not_answer_get_the_honest_answer(locale: str, text: str) -> None:
    """Whichever intent carries them, they reach the "not covered" answer, never a topic or the fallback."""
    assert resolve(text, locale).intent != FALLBACK_INTENT
    assert answered(text, locale).startswith("not_covered")


# --- off-topic goes to the fallback intent ----------------------------------------------------------------


UNRELATED: list[str] = [
    "what's the weather",
    "what is the weather like tomorrow",
    "play music",
    "play some jazz",
    "tell me a joke",
    "set a timer for ten minutes",
    "what time is it",
    "who won the football",
    "what is the meaning of life",
    "order a pizza",
    "turn on the lights",
    "how do I cook pasta",
    "what about the weather",
    "blah blah blah",
    "asdfghjkl",
    "",
    "   ",
    "?!.,",
    "alexa",
    "please",
    "what is your name",
    "who is the president",
    "what is a good recipe for soup",
    "what is the stock price of amazon",
    "can dogs eat chocolate",
    "remind me to take my pills",
    "what is diabetes",
]


@pytest.mark.parametrize("text", UNRELATED)
def test_unrelated_text_goes_to_fallback(text: str) -> None:
    assert resolve(text) == IntentMatch(FALLBACK_INTENT)


@pytest.mark.parametrize("locale", LOCALES)
def test_fallback_in_every_locale(locale: str) -> None:
    assert resolve("what's the weather", locale).intent == FALLBACK_INTENT


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported locale"):
        resolve("help", "fr-FR")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_any_text_resolves_to_a_model_intent(text: str) -> None:
    declared = declared_slots("en-US")
    match = resolve(text)
    assert match.intent in declared
    assert set(match.slots) <= declared[match.intent]


# --- normalisation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alexa, what's a trigger point?", "what is a trigger point"),
        ("Hey Alexa can you please tell me more, thanks", "tell me more"),
        ("I don't know", "i do not know"),
        ("won't it hurt", "will not it hurt"),
        ("Q. L.", "ql"),
        ("over-the-counter painkillers", "over the counter painkillers"),
        ("tell trigger point guide to speak slower", "speak slower"),
        ("which muscles are treated from trigger point guide", "which muscles are treated"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert nlu.normalise(text) == expected


# --- speed ---------------------------------------------------------------------------------------------
