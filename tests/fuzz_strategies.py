"""Shared by tests/test_fuzz_lambda.py and tests/test_fuzz_http.py: hypothesis strategies for Alexa
envelopes (valid ones with odd values, and garbage), the FUZZ settings, and ``assert_answer``.

The rules for what counts as an acceptable answer are in the docstrings of those two test modules.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from skill.tools import envelopes
from skill.tools.model_builder import build_model

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
ATTRIBUTE_KEYS = (
    "rate",
    "topic",
    "offered",
    "last",
    "help_page",
    "answered",
    "speech",
    "reprompt",
    "title",
    "card",
    "key",
)
SPOKEN_TYPES = ("LaunchRequest", "IntentRequest", "Alexa.Presentation.APL.UserEvent")
CAN_FULFILL = "CanFulfillIntentRequest"
VERDICTS = ("YES", "NO", "MAYBE")
DIALOG_STATES = ("STARTED", "IN_PROGRESS", "COMPLETED")

# The last-resort apology, read from the clinician-reviewed spec (not from the code under test): a
# valid envelope answered with it means a handler crashed, which the listener notices.
_CONTENT = yaml.safe_load((ROOT / "skill" / "data" / "content.yaml").read_text(encoding="utf-8"))
APOLOGY: str = _CONTENT["phrases"]["error"]
TOPIC_IDS = tuple(topic["id"] for topic in _CONTENT["topics"])


# --- strategies ----------------------------------------------------------------------------------

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

# What the skill keeps between turns (skill/state.py's keys: a speech rate level, topic ids, and the
# last answer as a dict), each either plausible or of any JSON type: a device sends back whatever it
# holds, and an older or newer version of the skill may have written it.
_spoken_like = st.fixed_dictionaries(
    {},
    optional={
        key: st.one_of(nasty_text, json_value) for key in ("speech", "reprompt", "title", "card", "key")
    },
)
_topic_like = st.one_of(st.sampled_from(TOPIC_IDS), json_value)
own_attributes = st.fixed_dictionaries(
    {},
    optional={
        "rate": st.one_of(st.integers(-3, 8), json_value),
        "topic": _topic_like,
        "offered": _topic_like,
        "last": st.one_of(_spoken_like, json_value),
        "help_page": st.one_of(st.integers(-2, 12), json_value),
        "answered": st.one_of(nasty_text, json_value),
    },
)

# Session attributes: strangers' keys (and ours) with values of any type, then our own keys.
session_attributes = st.builds(
    lambda strangers, own: {**strangers, **own},
    st.dictionaries(st.one_of(st.sampled_from(ATTRIBUTE_KEYS), st.text(max_size=12)), json_value, max_size=4),
    own_attributes,
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
    kind = draw(st.sampled_from(["launch", "intent", "intent", "intent", "ended", "touch", "can_fulfill"]))
    locale = draw(locales)
    if kind == "launch":
        return envelopes.launch(locale)
    if kind == "ended":
        return envelopes.session_ended(draw(st.sampled_from(["USER_INITIATED", "ERROR"])), locale)
    if kind == "touch":
        touch = envelopes.user_event([], locale)
        # A button's ["topic" | "more", <id>], or any JSON a device sends here.
        topic_id = st.one_of(st.sampled_from(TOPIC_IDS), nasty_text)
        button = st.tuples(st.sampled_from(["topic", "more"]), topic_id)
        touch["arguments"] = draw(st.one_of(button.map(list), st.lists(json_leaf, max_size=3)))
        return touch
    name = draw(st.one_of(st.sampled_from(KNOWN_INTENTS), nasty_text))
    request = envelopes.intent("placeholder", None, locale)
    names = draw(st.lists(st.one_of(st.sampled_from(SLOT_NAMES), st.text(max_size=8)), max_size=3))
    request["intent"] = {
        "name": name,
        "confirmationStatus": "NONE",
        "slots": {slot_name: draw(slot(slot_name)) for slot_name in names},
    }
    # Alexa sends a dialog state for intents with a dialog model (the re-asked slots), none for others.
    state = draw(st.one_of(st.none(), st.sampled_from(DIALOG_STATES)))
    request.pop("dialogState", None)
    if state is not None:
        request["dialogState"] = state
    if kind == "can_fulfill":
        # Reach without the skill's name: a judgement on the same intent and slots, no dialog.
        request["type"] = CAN_FULFILL
        request.pop("dialogState", None)
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


# --- the answer property -------------------------------------------------------------------------


def _plain(text: str) -> str:
    """What a listener hears or reads, for comparison: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())


def assert_answer(answer: Any, request_type: str | None) -> None:
    """A valid Alexa response; with words to hear for the request types a listener waits on.

    ``request_type`` is the type of a structurally valid envelope, or None when the input is not known
    to be one (garbage may be answered with the apology). A valid envelope must get a real answer:
    neither its speech nor its card may be the error apology.
    """
    assert isinstance(answer, dict)
    json.dumps(answer)  # what Lambda will serialise
    response = answer.get("response")
    assert isinstance(response, dict)
    if request_type in SPOKEN_TYPES:
        ssml = response["outputSpeech"]["ssml"]
        assert ssml.startswith("<speak>") and ssml.endswith("</speak>"), ssml[:200]
        assert _plain(ssml), f"{request_type} was answered with silence: {ssml!r}"
    if request_type == CAN_FULFILL:
        # A judgement only: YES, NO or MAYBE, and nothing said, shown or asked.
        assert response["canFulfillIntent"]["canFulfill"] in VERDICTS, response
        assert "outputSpeech" not in response and "directives" not in response, response
        assert "reprompt" not in response, response
    if request_type is None:
        return
    speech = (response.get("outputSpeech") or {}).get("ssml") or ""
    card = (response.get("card") or {}).get("content") or ""
    apology = _plain(APOLOGY)
    assert apology not in _plain(speech), f"{request_type} was answered with the error apology: {speech!r}"
    assert apology not in _plain(card), f"{request_type} card shows the error apology: {card!r}"
