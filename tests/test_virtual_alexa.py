"""The skill over HTTP as virtual-alexa drives it: an NLU and request builder that shares no code with ours.

`tools/alexa/conversation.js` resolves the scripted utterances against our interaction model file and
POSTs the requests it builds to the running web service. These tests check what a listener would
notice on each turn, that every intent of the model was reached, and that every sample of the model
resolves to its own intent in virtual-alexa too.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from skill.model_builder import build_model
from skill.speech import rate_percent
from tests.helpers_server import running_skill
from tests.node_tools import TOOLS, node_command
from tests.speech_text import spoken_text

SCRIPT = TOOLS / "conversation.js"
LOCALES = ("en-US", "en-GB")
NODE_TIMEOUT_S = 180  # 43 turns and ~320 samples take about 2 s; generous for a busy 2-core machine

FOUR_MUSCLES = ("trapezius", "levator scapulae", "gluteus medius", "quadratus lumborum")
ENDING = {"cancel", "navigate-home", "one-shot-stop", "stop"}
SILENT = {"session-ended"}

# What virtual-alexa must resolve each scripted turn to (None: a LaunchRequest or SessionEndedRequest).
EXPECTED_INTENT: dict[str, str | None] = {
    "launch": None,
    "about": "TriggerPointInjectionsIntent",
    "about-more": "TellMeMoreIntent",
    "yes-to-offer": "AMAZON.YesIntent",
    "muscles": "TreatedMusclesIntent",
    "muscle-traps": "MuscleIntent",
    "muscle-side-of-neck": "MuscleIntent",
    "muscle-glute-med": "MuscleIntent",
    "muscle-quadratus": "MuscleIntent",
    "muscle-unknown": "MuscleIntent",
    "benefits": "BenefitsIntent",
    "trigger-points": "TriggerPointsIntent",
    "finding": "FindingTriggerPointsIntent",
    "medicine": "InjectedMedicineIntent",
    "pain-locations": "PainLocationsIntent",
    "piriformis": "PiriformisSyndromeIntent",
    "when-recommended": "WhenRecommendedIntent",
    "safety": "SafetyIntent",
    "no-to-offer": "AMAZON.NoIntent",
    "not-covered-side-effects": "NotCoveredIntent",
    "not-covered-synonym": "NotCoveredIntent",
    "not-covered-cost": "NotCoveredIntent",
    "slower": "SpeakSlowerIntent",
    "answer-slower": "InjectedMedicineIntent",
    "faster": "SpeakFasterIntent",
    "faster-again": "SpeakFasterIntent",
    "answer-faster": "InjectedMedicineIntent",
    "normal-speed": "NormalSpeedIntent",
    "help": "AMAZON.HelpIntent",
    "help-sample": "AMAZON.HelpIntent",
    "before-repeat": "BenefitsIntent",
    "repeat": "AMAZON.RepeatIntent",
    "fallback": "AMAZON.FallbackIntent",
    "start-over": "AMAZON.StartOverIntent",
    "cancel": "AMAZON.CancelIntent",
    "launch-2": None,
    "navigate-home": "AMAZON.NavigateHomeIntent",
    "one-shot": "TreatedMusclesIntent",
    "one-shot-stop": "AMAZON.StopIntent",
    "launch-3": None,
    "session-ended": None,
    "launch-4": None,
    "stop": "AMAZON.StopIntent",
}

# Each muscle turn: the entity-resolution id virtual-alexa must send and the muscle the answer names.
MUSCLE_TURNS = {
    "muscle-traps": ("trapezius", "trapezius"),
    "muscle-side-of-neck": ("levator_scapulae", "levator scapulae"),
    "muscle-glute-med": ("gluteus_medius", "gluteus medius"),
    "muscle-quadratus": ("quadratus_lumborum", "quadratus lumborum"),
}

Run = dict[str, Any]
Runs = dict[str, Run]
Turns = dict[str, dict[str, Any]]


def model_intents(locale: str) -> set[str]:
    return {intent["name"] for intent in build_model(locale)["interactionModel"]["languageModel"]["intents"]}


@pytest.fixture(scope="module")
def skill_url() -> Iterator[str]:
    with running_skill() as url:
        yield url


@pytest.fixture(scope="module")
def runs(skill_url: str) -> Runs:
    """One virtual-alexa conversation per locale against the same server (the slow part, done once)."""
    results: Runs = {}
    for locale in LOCALES:
        command = [
            *node_command(SCRIPT, "virtual-alexa"),
            "--url",
            skill_url,
            "--locale",
            locale,
            "--samples",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=NODE_TIMEOUT_S, check=False)
        assert done.stdout.strip(), f"conversation.js printed nothing ({done.returncode}):\n{done.stderr}"
        run: Run = json.loads(done.stdout)
        errors = [f"{turn['label']}: {turn['error']}" for turn in run["turns"] if "error" in turn]
        assert not errors, "turns virtual-alexa could not run:\n" + "\n".join(errors)
        assert done.returncode == 0, done.stderr
        results[locale] = run
    return results


def turns_of(runs: Runs, locale: str) -> Turns:
    return {turn["label"]: turn for turn in runs[locale]["turns"]}


def heard(turn: dict[str, Any]) -> str:
    return spoken_text(turn["speech"]).lower()


@pytest.mark.parametrize("locale", LOCALES)
def test_the_script_reaches_every_intent_of_the_model(runs: Runs, locale: str) -> None:
    """A new intent in the model must get a turn here, or this check silently stops covering it."""
    reached = {turn["intent"] for turn in runs[locale]["turns"]}
    assert model_intents(locale) - reached == set()
    assert set(runs[locale]["modelIntents"]) == model_intents(locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_each_utterance_resolves_to_the_intended_intent(runs: Runs, locale: str) -> None:
    """virtual-alexa reads our model file as it is (ASK format) and routes each phrase where we meant."""
    turns = runs[locale]["turns"]
    assert [turn["label"] for turn in turns] == list(EXPECTED_INTENT)
    resolved = {turn["label"]: turn["intent"] for turn in turns}
    assert resolved == EXPECTED_INTENT


@pytest.mark.parametrize("locale", LOCALES)
def test_the_session_stays_open_with_speech_until_stopped(runs: Runs, locale: str) -> None:
    """A hands-free kiosk: every answer is spoken and followed by a reprompt; only stop words end it."""
    for label, turn in turns_of(runs, locale).items():
        if label in SILENT:
            assert turn["speech"] is None, f"{label}: a SessionEndedRequest cannot be answered with speech"
        elif label in ENDING:
            assert turn["shouldEndSession"] is True, label
            assert turn["reprompt"] is None, label
            assert "goodbye" in heard(turn), label
        else:
            assert turn["shouldEndSession"] is False, label
            assert heard(turn), label
            assert turn["reprompt"] and spoken_text(turn["reprompt"]), f"{label}: no reprompt"


@pytest.mark.parametrize("locale", LOCALES)
def test_launch_and_start_over_welcome_and_disclaim_medical_advice(runs: Runs, locale: str) -> None:
    turns = turns_of(runs, locale)
    for label in ("launch", "launch-2", "launch-3", "launch-4", "start-over"):
        assert "welcome" in heard(turns[label]), label
        assert "medical advice" in heard(turns[label]), label


@pytest.mark.parametrize("locale", LOCALES)
def test_the_muscle_answers_name_the_muscles(runs: Runs, locale: str) -> None:
    """Synonyms patients use reach the right muscle through virtual-alexa's own entity resolution."""
    turns = turns_of(runs, locale)
    for label in ("muscles", "yes-to-offer", "one-shot"):
        for muscle in FOUR_MUSCLES:
            assert muscle in heard(turns[label]), f"{label}: {muscle} not named"
    for label, (muscle_id, name) in MUSCLE_TURNS.items():
        slot = turns[label]["slots"]["muscle"]
        assert slot["resolutions"] == [{"status": "ER_SUCCESS_MATCH", "ids": [muscle_id]}], label
        assert heard(turns[label]).startswith(f"the {name} is"), label


@pytest.mark.parametrize("locale", LOCALES)
def test_an_unknown_muscle_gets_an_honest_answer_naming_the_four(runs: Runs, locale: str) -> None:
    """virtual-alexa sends ER_SUCCESS_NO_MATCH with an empty value list; the skill must still answer."""
    turn = turns_of(runs, locale)["muscle-unknown"]
    assert turn["slots"]["muscle"] == {
        "value": "biceps",
        "resolutions": [{"status": "ER_SUCCESS_NO_MATCH", "ids": []}],
    }
    said = heard(turn)
    assert "leaflet doesn't say anything about the biceps" in said
    for muscle in FOUR_MUSCLES:
        assert muscle in said


@pytest.mark.parametrize("locale", LOCALES)
def test_questions_the_leaflet_does_not_answer_send_the_listener_to_their_doctor(
    runs: Runs, locale: str
) -> None:
    turns = turns_of(runs, locale)
    for label in ("not-covered-side-effects", "not-covered-synonym", "not-covered-cost"):
        said = heard(turns[label])
        assert "doesn't cover" in said and "doctor or nurse" in said, label
    assert "side effects" in heard(turns["not-covered-side-effects"])
    assert turns["not-covered-synonym"]["slots"]["subject"]["resolutions"][0]["ids"] == ["risks"]
    assert "risks" in heard(turns["not-covered-synonym"])


@pytest.mark.parametrize("locale", LOCALES)
def test_topic_answers_carry_their_leaflet_facts(runs: Runs, locale: str) -> None:
    turns = turns_of(runs, locale)
    facts = {
        "about": "muscular pain",
        "benefits": "myofascial pain",
        "trigger-points": "tender to pressure",
        "finding": "twitch response",
        "medicine": "corticosteroid",
        "pain-locations": "buttocks",
        "piriformis": "sciatic nerve",
        "when-recommended": "lower back pain",
        "safety": "generally safe",
    }
    for label, fact in facts.items():
        assert fact in heard(turns[label]), f"{label}: {fact!r} not said"


@pytest.mark.parametrize("locale", LOCALES)
def test_speech_rate_is_kept_for_the_session(runs: Runs, locale: str) -> None:
    turns = turns_of(runs, locale)
    assert rate_percent(turns["answer-slower"]["speech"]) < 100
    assert rate_percent(turns["answer-faster"]["speech"]) > 100
    assert rate_percent(turns["normal-speed"]["speech"]) == 100
    assert rate_percent(turns["help"]["speech"]) == 100


@pytest.mark.parametrize("locale", LOCALES)
def test_follow_ups_carry_the_session(runs: Runs, locale: str) -> None:
    """Tell me more, yes/no to the offer and repeat depend on attributes virtual-alexa sends back."""
    turns = turns_of(runs, locale)
    assert heard(turns["about-more"]) != heard(turns["about"])
    assert turns["repeat"]["speech"] == turns["before-repeat"]["speech"]
    no = heard(turns["no-to-offer"])
    assert "generally safe" not in no and "trigger point injections are" not in no
    assert "muscles" in heard(turns["help"])
    assert heard(turns["help"]) == heard(turns["help-sample"])
    assert "leaflet" in heard(turns["fallback"])
    assert turns["one-shot"]["sessionNew"] is True


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_resolves_to_its_own_intent_in_virtual_alexa(runs: Runs, locale: str) -> None:
    """A second NLU's opinion on overlapping samples; the skill answers each one with speech."""
    samples = runs[locale]["samples"]
    assert len(samples) > 200
    said = [sample for sample in samples if "skipped" not in sample]
    wrong = [
        f"{s['utterance']!r} -> {s.get('resolved') or s.get('error')} (a sample of {s['intent']})"
        for s in said
        if s.get("resolved") != s["intent"]
    ]
    assert not wrong, "samples virtual-alexa resolves elsewhere:\n" + "\n".join(wrong)
    assert all(sample["hasSpeech"] for sample in said)
    # Only phrases containing ask/open/launch/talk to/tell are skipped (virtual-alexa's launch detection).
    assert len(said) >= 0.9 * len(samples)
