"""The once-built skill (skill.runtime.dispatch) answers exactly as ask-sdk's own lambda_handler does.

The reference is `SkillBuilder.lambda_handler()` over the same handlers: a new skill per call, the
event turned into JSON and parsed back, dateutil for the timestamp, a deep copy of the attributes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from ask_sdk_runtime.exceptions import AskSdkException
from hypothesis import given
from hypothesis import strategies as st

from skill.runtime.app import create_skill_builder
from skill.runtime.dispatch import EMPTY_RESPONSE, Dispatcher, WrongSkill
from skill.tools import envelopes
from tests.fuzz_strategies import FUZZ, KNOWN_INTENTS, alexa_envelopes, garbage
from tests.pki import OTHER_SKILL_ID, SKILL_ID
from tests.test_wire import corpus

SDK_HANDLER: Callable[[Any, Any], Any] = create_skill_builder().lambda_handler()
OURS = Dispatcher()


def outcome(handler: Callable[[Any, Any], Any], event: Any) -> tuple[str, Any]:
    try:
        return "answer", handler(copy.deepcopy(event), None)
    except Exception as error:
        return "raised", type(error)


def conversations() -> list[dict[str, Any]]:
    """Every intent the skill knows, asked after the launch answer and after each other's answers."""
    made = corpus()
    attributes = OURS(envelopes.envelope(envelopes.launch(), session=envelopes.Session()))[
        "sessionAttributes"
    ]
    for name in KNOWN_INTENTS:
        session = envelopes.Session(new=False, attributes=attributes)
        event = envelopes.envelope(envelopes.intent(name), session=session, screen=name.startswith("T"))
        made.append(event)
        attributes = OURS(copy.deepcopy(event))["sessionAttributes"]
    return made


@pytest.mark.parametrize(
    "event",
    conversations(),
    ids=lambda event: event["request"].get("intent", event["request"])[
        "type" if "intent" not in event["request"] else "name"
    ],
)
def test_every_kind_of_request_is_answered_as_ask_sdk_answers_it(event: dict[str, Any]) -> None:
    before = json.dumps(event)
    ours = OURS(event)
    assert json.dumps(event) == before  # what the handlers changed stayed in the answer
    assert ours == SDK_HANDLER(copy.deepcopy(event), None)


@FUZZ
@given(event=st.one_of(alexa_envelopes(), garbage))
def test_any_input_is_answered_as_ask_sdk_answers_it_or_refused_alike(event: Any) -> None:
    assert outcome(OURS, event) == outcome(SDK_HANDLER, event)


def test_the_same_event_twice_gets_the_same_answer() -> None:
    """Nothing of one request stays behind in the once-built skill or in the event."""
    attributes = {
        "topic": "muscles",
        "offered": "benefits",
        "last": {"speech": "x", "title": "t", "card": "c"},
    }
    event = envelopes.envelope(
        envelopes.intent("AMAZON.YesIntent"), session=envelopes.Session(new=False, attributes=attributes)
    )
    first = OURS(event)
    assert OURS(event) == first
    assert event["session"]["attributes"] == attributes
    assert first["sessionAttributes"]["topic"] == "benefits"


# --- the skill ID --------------------------------------------------------------------------------


def launch(context_id: str | None, session_id: str | None) -> dict[str, Any]:
    event = envelopes.envelope(envelopes.launch(), session=envelopes.Session(), skill_id=SKILL_ID)
    for where, value in ((event["context"]["System"], context_id), (event["session"], session_id)):
        where["application"] = {"applicationId": value} if value is not None else {}
    return event


def test_a_request_naming_this_skill_everywhere_is_answered() -> None:
    answer = Dispatcher(SKILL_ID)(launch(SKILL_ID, SKILL_ID))
    assert answer["response"]["outputSpeech"]["type"] == "SSML"


@pytest.mark.parametrize(
    ("context_id", "session_id"),
    [(SKILL_ID, OTHER_SKILL_ID), (OTHER_SKILL_ID, SKILL_ID), (OTHER_SKILL_ID, OTHER_SKILL_ID), (None, None)],
)
def test_a_request_naming_another_skill_anywhere_is_refused(
    context_id: str | None, session_id: str | None
) -> None:
    """ask-sdk checks the context only: a session of another skill got an answer."""
    with pytest.raises(WrongSkill, match="Skill ID Verification failed"):
        Dispatcher(SKILL_ID)(launch(context_id, session_id))


def test_the_skill_id_is_checked_before_anything_is_read() -> None:
    """Even a request the SDK cannot read is refused as another skill's, not answered."""
    event = launch(OTHER_SKILL_ID, OTHER_SKILL_ID)
    event["request"]["type"] = "Alexa.Future.Request"
    with pytest.raises(WrongSkill):
        Dispatcher(SKILL_ID).lambda_handler(event, None)


# --- Lambda's rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Alexa.Future.Request", "", "🙂", "Reminders.ReminderCreated"])
def test_a_request_type_the_sdk_does_not_know_gets_a_valid_empty_response(
    kind: str, every_log_record: pytest.LogCaptureFixture
) -> None:
    """As the web service answers it. The last type is one ask-sdk knows and the skill has no use for.
    No line at any level names the request or the user."""
    event = launch(SKILL_ID, SKILL_ID)
    event["request"] = {"type": kind, "requestId": "amzn1.echo-api.request.x", "locale": "en-US"}
    answer = Dispatcher(SKILL_ID).lambda_handler(event, None)
    assert answer["version"] == EMPTY_RESPONSE["version"] and answer["response"] == {}
    json.dumps(answer)
    text = every_log_record.text
    assert "amzn1.echo-api.request.x" not in text and envelopes.LOCAL_USER_ID not in text


@pytest.mark.parametrize(
    "event", [None, "text", 5, {"request": {"type": "X"}}, {"version": "1.0", "request": 3}]
)
def test_what_is_not_an_envelope_is_still_an_error(event: Any) -> None:
    with pytest.raises(AskSdkException):  # SerializationException; None is refused by the attributes manager
        Dispatcher().lambda_handler(event, None)


# --- the web service's path ----------------------------------------------------------------------


@pytest.mark.parametrize("part", ["persistence_adapter", "api_client", "custom_user_agent"])
def test_a_skill_whose_invoke_would_use_what_the_dispatcher_ignores_is_refused(part: str) -> None:
    """Dispatcher answers without them, so taking such a skill would answer unlike its `invoke`."""
    from skill.runtime.app import create_skill

    built = create_skill()
    skill = SimpleNamespace(**{**vars(built), part: object()})
    with pytest.raises(ValueError, match=part):
        Dispatcher(skill=skill)
    event = corpus()[0]
    assert Dispatcher(skill=built)(copy.deepcopy(event)) == SDK_HANDLER(copy.deepcopy(event), None)


@pytest.mark.parametrize("event", corpus(), ids=lambda event: event["request"]["type"])
def test_the_web_service_answers_as_ask_sdk_answers(event: dict[str, Any]) -> None:
    """The web view hands create_skill()'s skill the envelope it has parsed (skill.runtime.hosted)."""
    from skill.runtime.app import create_skill
    from skill.web.service import create_app

    skill = create_skill()
    assert skill.dispatch_envelope(copy.deepcopy(event)) == SDK_HANDLER(copy.deepcopy(event), None)
    client = create_app(skill, verify=False).test_client()
    reply = client.post("/", data=json.dumps(event), content_type="application/json")
    assert reply.status_code == 200
    assert reply.get_json() == SDK_HANDLER(copy.deepcopy(event), None)
