"""Reach without the name: CanFulfillIntentRequest is answered YES, MAYBE or NO, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.runtime.content import load_content
from skill.tools import envelopes
from skill.tools.envelopes import Session, SlotFill
from skill.tools.local import invoke


def can_fulfill(skill: CustomSkill, name: str, slots: dict[str, SlotFill] | None = None) -> dict[str, Any]:
    request = envelopes.intent(name, slots)
    request["type"] = "CanFulfillIntentRequest"
    request.pop("dialogState")
    kept = {"topic": "muscles", "rate": 0}
    response = invoke(skill, envelopes.envelope(request, session=Session(attributes=dict(kept))))
    assert response.get("sessionAttributes") in (None, {}, kept), "a judgement must not change anything"
    body = response["response"]
    assert "outputSpeech" not in body and "directives" not in body, "nothing is said or shown"
    verdict: dict[str, Any] = body["canFulfillIntent"]
    return verdict


def test_every_topic_and_fact_intent_can_be_fulfilled(skill: CustomSkill) -> None:
    content = load_content()
    for intent in [t.intent for t in content.topics] + [f.intent for f in content.facts]:
        assert can_fulfill(skill, intent)["canFulfill"] == "YES", intent


@pytest.mark.parametrize(
    ("intent", "slot", "fill", "verdict"),
    [
        ("BodyPartIntent", "bodyPart", SlotFill("neck", "neck", slot_type="BODY_PART"), "YES"),
        ("BodyPartIntent", "bodyPart", SlotFill("traps", "trapezius", slot_type="BODY_PART"), "YES"),
        ("SubjectIntent", "subject", SlotFill("cortisone", "steroid", slot_type="SUBJECT"), "YES"),
        ("BodyPartIntent", "bodyPart", SlotFill("pain in my lower back"), "MAYBE"),
        ("BodyPartIntent", "bodyPart", SlotFill("left knee"), "NO"),
        ("SubjectIntent", "subject", SlotFill("the weather"), "NO"),
        ("SubjectIntent", "subject", SlotFill("side effects", "side_effects", slot_type="SUBJECT"), "YES"),
        ("SubjectIntent", "subject", SlotFill("dangerous", None, slot_type="SUBJECT"), "MAYBE"),
        ("BodyPartIntent", "bodyPart", SlotFill(None), "NO"),
    ],
)
def test_slot_intents_are_judged_by_what_the_slot_holds(
    skill: CustomSkill, intent: str, slot: str, fill: SlotFill, verdict: str
) -> None:
    result = can_fulfill(skill, intent, {slot: fill})
    assert result["canFulfill"] == verdict
    judged = result["slots"][slot]
    assert judged["canUnderstand"] == verdict
    assert judged["canFulfill"] == ("NO" if verdict == "NO" else "YES")


def test_a_resolved_subject_the_leaflet_does_not_cover_is_understood_but_not_fulfilled(
    skill: CustomSkill,
) -> None:
    result = can_fulfill(skill, "SubjectIntent", {"subject": SlotFill("cost", "cost", slot_type="SUBJECT")})
    assert result["canFulfill"] == "NO"
    assert result["slots"]["subject"] == {"canUnderstand": "YES", "canFulfill": "NO"}


@pytest.mark.parametrize(
    "intent", ["NotCoveredIntent", "ThanksIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent", "NoSuchIntent"]
)
def test_what_the_leaflet_cannot_answer_is_declined(skill: CustomSkill, intent: str) -> None:
    assert can_fulfill(skill, intent)["canFulfill"] == "NO"
