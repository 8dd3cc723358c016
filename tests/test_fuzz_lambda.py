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
* Anything else (garbage JSON, fields of the wrong type, enum values Alexa never sends, request
  types newer than the installed SDK) is either answered the same way or refused by raising an
  ``Exception`` (Lambda's error path); it must return or raise promptly, never take the process down.
  Mostly that is ask-sdk's ``SerializationException``. Two other ways were found and are tolerated
  here because Alexa never sends such envelopes: a JSON ``null`` event (``AttributesManagerException``),
  and ask-sdk copying unknown keys onto its model objects with ``setattr``, so a key such as
  ``__dict__`` wipes the object (``AttributeError``). Any other exception fails the test.
  Out-of-session requests are legitimate and must be answered (test at the bottom).
"""

from __future__ import annotations

import copy
import json
import os
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ask_sdk_core.exceptions import AttributesManagerException, SerializationException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import envelopes
from skill.lambda_package import load_handler_module
from skill.model_builder import build_model

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# The skill's own intents, slot names and value ids, so a new one in model.yaml is fuzzed too.
_MODEL = build_model("en-US")["interactionModel"]["languageModel"]
KNOWN_INTENTS = tuple(intent["name"] for intent in _MODEL["intents"])
SLOT_NAMES = tuple(sorted({slot["name"] for intent in _MODEL["intents"] for slot in intent.get("slots", [])}))
SLOT_IDS = tuple(value["id"] for slot_type in _MODEL["types"] for value in slot_type["values"])
STATUS_CODES = ("ER_SUCCESS_MATCH", "ER_SUCCESS_NO_MATCH", "ER_ERROR_TIMEOUT", "ER_ERROR_EXCEPTION")
ATTRIBUTE_KEYS = ("rate", "topic", "offered", "last", "speech", "reprompt", "title", "card")
SPOKEN_TYPES = ("LaunchRequest", "IntentRequest", "Alexa.Presentation.APL.UserEvent")


@pytest.fixture(scope="module")
def lambda_module() -> Iterator[ModuleType]:
    """Import the handler the way Lambda does (by file, not as a package), with no skill ID set."""
    saved = os.environ.pop("ALEXA_SKILL_ID", None)
    try:
        module = load_handler_module("tpi_lambda_function_fuzzed")
    finally:
        if saved is not None:
            os.environ["ALEXA_SKILL_ID"] = saved
    yield module


# --- strategies (shared with test_fuzz_http) -----------------------------------------------------

# Text that stresses SSML and JSON: markup characters, quotes, controls, RTL marks, astral emoji.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("<>&\"'\\/\x00\u202e\u200b💉ñé漢 \n\t;{}"), max_size=40),
    st.sampled_from(["", " ", "traps", "QL", "<speak>", "]]>", "&amp;", "null", "%s", "\ud7ff"]),
    st.integers(min_value=1_000, max_value=20_000).map(lambda n: "trapezius " * (n // 10)),
)

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), nasty_text
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

# Session attributes: our own keys with values of any type, plus strangers.
session_attributes = st.dictionaries(
    st.one_of(st.sampled_from(ATTRIBUTE_KEYS), st.text(max_size=12)), json_value, max_size=6
)

locales = st.one_of(
    st.sampled_from([*envelopes.LOCALES, "de-DE", "ja-JP", "", "EN-us", "xx"]), st.text(max_size=8)
)


@st.composite
def slot(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A slot as Alexa fills it, or half-filled: no value, no resolutions, any status."""
    result: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if draw(st.booleans()):
        result["value"] = draw(nasty_text)
    if draw(st.booleans()):
        code = draw(st.sampled_from(STATUS_CODES))
        resolution: dict[str, Any] = {"authority": draw(st.text(max_size=20)), "status": {"code": code}}
        if draw(st.booleans()):
            resolution["values"] = [
                {
                    "value": {
                        "name": draw(nasty_text),
                        "id": draw(st.one_of(st.sampled_from(SLOT_IDS), nasty_text)),
                    }
                }
                for _ in range(draw(st.integers(0, 2)))
            ]
        result["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return result


@st.composite
def alexa_request(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["launch", "intent", "intent", "intent", "ended", "touch"]))
    locale = draw(locales)
    if kind == "launch":
        return envelopes.launch(locale)
    if kind == "ended":
        return envelopes.session_ended(draw(st.sampled_from(["USER_INITIATED", "ERROR"])), locale)
    if kind == "touch":
        touch = envelopes.user_event([], locale)
        touch["arguments"] = draw(st.lists(json_leaf, max_size=3))  # devices send any JSON here
        return touch
    name = draw(st.one_of(st.sampled_from(KNOWN_INTENTS), nasty_text))
    request = envelopes.intent("placeholder", None, locale)
    names = draw(st.lists(st.one_of(st.sampled_from(SLOT_NAMES), st.text(max_size=8)), max_size=3))
    request["intent"] = {
        "name": name,
        "confirmationStatus": "NONE",
        "slots": {slot_name: draw(slot(slot_name)) for slot_name in names},
    }
    return request


@st.composite
def alexa_envelopes(draw: st.DrawFn, skill_id: str = envelopes.LOCAL_SKILL_ID) -> dict[str, Any]:
    """A structurally valid envelope (with a session) carrying odd values."""
    session = envelopes.Session(new=draw(st.booleans()), attributes=draw(session_attributes))
    return envelopes.envelope(
        draw(alexa_request()), session=session, screen=draw(st.booleans()), skill_id=skill_id
    )


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


@st.composite
def broken_envelopes(draw: st.DrawFn) -> Any:
    """A valid envelope with one to three fields deleted or replaced by any JSON value."""
    body = copy.deepcopy(draw(alexa_envelopes()))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(body))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_value)
    return body


garbage = st.one_of(
    json_value, broken_envelopes(), st.dictionaries(st.text(max_size=10), json_value, max_size=5)
)


# --- properties ----------------------------------------------------------------------------------


def assert_answer(answer: Any, request_type: str | None) -> None:
    """A valid Alexa response; spoken for the request types a listener waits on."""
    assert isinstance(answer, dict)
    json.dumps(answer)  # what Lambda will serialise
    assert isinstance(answer.get("response"), dict)
    if request_type in SPOKEN_TYPES:
        ssml = answer["response"]["outputSpeech"]["ssml"]
        assert ssml.startswith("<speak>") and ssml.endswith("</speak>") and len(ssml) > 20


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


@pytest.mark.parametrize("text", [string.printable, "💉" * 5000, "<speak>&</speak>", "\u202e\x00"])
def test_unicode_and_huge_slot_values_are_answered(lambda_module: ModuleType, text: str) -> None:
    slots = {"muscle": envelopes.SlotFill(text)}
    event = envelopes.envelope(envelopes.intent("MuscleIntent", slots), session=envelopes.Session())
    assert_answer(_handler(lambda_module)(event, None), "IntentRequest")


def test_request_without_a_session_is_answered(lambda_module: ModuleType) -> None:
    event = envelopes.envelope(envelopes.launch(), session=None)
    assert_answer(_handler(lambda_module)(event, None), "LaunchRequest")
