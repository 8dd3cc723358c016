"""Property-based fuzzing of the AWS Lambda handler, loaded from lambda/lambda_function.py by path.

Runs: CI uses a fixed seed and ~200 examples per property (``derandomize=True``). For a longer,
randomised run on demand::

    FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_lambda.py tests/test_fuzz_http.py

What is acceptable from ``lambda_handler`` (Lambda has no status codes: raising *is* how a Lambda
reports an error, and Alexa then plays its generic error):

* A structurally valid Alexa envelope (the schema's required fields with the schema's types; any
  values inside them: unknown intents, slots and locales, unicode and huge slot values, random session
  attributes, follow-ups with no history) must be answered: a JSON-serialisable dict with a
  ``response``, and for LaunchRequest, IntentRequest and APL UserEvent, speech the listener hears.
  That answer is never the skill's error apology (``phrases.error`` in skill/data/content.yaml): the
  apology means a handler crashed, and a listener who asked a valid question notices.
* An envelope of a request type newer than the installed SDK gets a valid empty response (as the web
  service gives it).
* Anything else (garbage JSON, fields of the wrong type, enum values Alexa never sends) is either
  answered the same way or refused by raising an ``Exception`` (Lambda's error path); it must return
  or raise promptly, never take the process down. Mostly that is ask-sdk's ``SerializationException``.
  Two other ways were found and are tolerated here because Alexa never sends such envelopes: a JSON
  ``null`` event (``AttributesManagerException``),
  and ask-sdk copying unknown keys onto its model objects with ``setattr``, so a key such as
  ``__dict__`` wipes the object (``AttributeError``). Any other exception fails the test.
  Out-of-session requests are legitimate and must be answered (test at the bottom).
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from ask_sdk_core.exceptions import AttributesManagerException, SerializationException
from hypothesis import example, given, settings
from hypothesis import strategies as st

from skill.tools import envelopes
from tests.fuzz_strategies import (
    EXAMPLES,
    FUZZ,
    KNOWN_INTENTS,
    alexa_envelopes,
    assert_answer,
    garbage,
    session_attributes,
)
from tests.lambda_handler import load_lambda
from tests.speech_text import spoken_text


@pytest.fixture(scope="module")
def lambda_module() -> Iterator[ModuleType]:
    """Import the handler the way Lambda does (by file, not as a package), with no skill ID set: the
    documented opt-out, so any envelope reaches the skill (tests/test_dispatch.py covers the ID check)."""
    yield load_lambda("tpi_lambda_function_fuzzed")


# --- properties ----------------------------------------------------------------------------------


def _handler(module: ModuleType) -> Callable[[Any, Any], dict[str, Any]]:
    handler: Callable[[Any, Any], dict[str, Any]] = module.lambda_handler
    return handler


@FUZZ
@given(event=alexa_envelopes())
def test_valid_envelopes_with_odd_values_are_answered(
    lambda_module: ModuleType, event: dict[str, Any]
) -> None:
    answer = _handler(lambda_module)(copy.deepcopy(event), None)
    assert_answer(answer, event["request"]["type"])


@pytest.mark.parametrize("name", ["LaunchRequest", *KNOWN_INTENTS])
@settings(FUZZ, max_examples=max(25, EXAMPLES // 4))
@given(attributes=session_attributes, screen=st.booleans())
# Found by FUZZ_EXAMPLES=2000: "repeat" after a kept answer with empty speech is answered with silence.
@example(attributes={"last": {"speech": "", "title": "", "card": ""}}, screen=False)
def test_every_request_the_skill_handles_is_answered_whatever_state_the_session_carries(
    lambda_module: ModuleType, name: str, attributes: dict[str, Any], screen: bool
) -> None:
    """Each handler on its own, so a crash on odd state that only one intent reads is found every run."""
    request = envelopes.launch() if name == "LaunchRequest" else envelopes.intent(name)
    session = envelopes.Session(new=False, attributes=attributes)
    event = envelopes.envelope(request, session=session, screen=screen)
    assert_answer(_handler(lambda_module)(event, None), request["type"])


@FUZZ
@given(event=garbage)
def test_garbage_is_answered_or_refused_by_the_sdk_only(lambda_module: ModuleType, event: Any) -> None:
    try:
        answer = _handler(lambda_module)(copy.deepcopy(event), None)
    except (SerializationException, AttributesManagerException, AttributeError):
        return  # ask-sdk refuses what is not an Alexa envelope: Lambda reports an error (see the docstring)
    assert isinstance(answer, dict) and isinstance(answer.get("response"), dict)
    json.dumps(answer)


@FUZZ
@given(
    first=alexa_envelopes(),
    second=st.sampled_from(
        ["TellMeMoreIntent", "AMAZON.RepeatIntent", "AMAZON.YesIntent", "AMAZON.NoIntent"]
    ),
)
def test_follow_ups_carry_any_state_the_skill_left(
    lambda_module: ModuleType, first: dict[str, Any], second: str
) -> None:
    """Whatever attributes one turn returns, sending them back (as a device does) is answered."""
    handler = _handler(lambda_module)
    answer = handler(copy.deepcopy(first), None)
    session = envelopes.Session(new=False, attributes=answer.get("sessionAttributes") or {})
    follow_up = envelopes.envelope(envelopes.intent(second), session=session)
    assert_answer(handler(follow_up, None), "IntentRequest")


@pytest.mark.parametrize(("intent", "slot"), [("BodyPartIntent", "bodyPart"), ("SubjectIntent", "subject")])
@pytest.mark.parametrize("text", [string.printable, "💉" * 5000, "<speak>&</speak>", "\u202e\x00"])
def test_unicode_and_huge_slot_values_are_answered_and_never_read_back(
    lambda_module: ModuleType, intent: str, slot: str, text: str
) -> None:
    slots = {slot: envelopes.SlotFill(text)}
    event = envelopes.envelope(envelopes.intent(intent, slots), session=envelopes.Session())
    answer = _handler(lambda_module)(event, None)
    assert_answer(answer, "IntentRequest")
    said = answer["response"]["outputSpeech"]["ssml"]
    heard = spoken_text(said)
    for shown in (said, heard):  # the SSML escapes "&" and "<": look at what the listener hears too
        assert text.strip()[:12] not in shown, "an open slot's words are never spoken back"


def test_request_without_a_session_is_answered(lambda_module: ModuleType) -> None:
    event = envelopes.envelope(envelopes.launch(), session=None)
    assert_answer(_handler(lambda_module)(event, None), "LaunchRequest")


@FUZZ
@given(event=alexa_envelopes(), kind=st.text(min_size=1, max_size=40))
def test_request_types_newer_than_the_sdk_get_a_valid_empty_response(
    lambda_module: ModuleType, event: dict[str, Any], kind: str
) -> None:
    event["request"]["type"] = f"Alexa.Future.{kind}"
    answer = _handler(lambda_module)(event, None)
    assert_answer(answer, None)
    assert answer["response"] == {}
