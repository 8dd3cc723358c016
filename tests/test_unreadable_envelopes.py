"""A genuine request the installed ask-sdk cannot read is still answered in speech.

Alexa adds values to its schema (a slot resolution status, a dialog state, a screen shape) before an
ask-sdk-model release knows them, and ask-sdk then refuses the whole envelope. A listener who asked
something must still hear an answer: the fallback, at their speech rate, with the session kept open
and its attributes handed back, counted as a request of kind "other" and logged at most once an
interval. Through the Lambda handler and through the web service alike.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from flask.testing import FlaskClient

from skill.runtime import dispatch, usage
from skill.runtime.content import load_content
from skill.runtime.dispatch import Dispatcher
from skill.runtime.replies import fallback_answer
from skill.runtime.throttle import ThrottledLog
from skill.runtime.usage import OTHER, TurnKey
from skill.tools import envelopes
from skill.web.service import create_app
from tests import pki
from tests.fakes import Clock
from tests.lambda_handler import load_lambda
from tests.speech_text import spoken_text

ATTRIBUTES = {"rate": 0, "topic": "muscles", "last": {"speech": "Hello.", "title": "T", "card": "c"}}
"""A conversation under way at the slowest speech rate: what the reply must keep."""
SLOWEST = load_content().speech_rates.levels[0]


def _mid_session(request: dict[str, Any], *, screen: bool = False) -> dict[str, Any]:
    session = envelopes.Session(new=False, attributes=copy.deepcopy(ATTRIBUTES))
    return envelopes.envelope(request, session=session, screen=screen, skill_id=pki.SKILL_ID)


def slot_status_unknown_to_the_sdk() -> dict[str, Any]:
    fill = envelopes.SlotFill("neck", "neck", "neck")
    event = _mid_session(envelopes.intent("BodyPartIntent", {"bodyPart": fill}))
    slot = event["request"]["intent"]["slots"]["bodyPart"]
    slot["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"] = "ER_NEW"
    return event


def dialog_state_unknown_to_the_sdk() -> dict[str, Any]:
    event = _mid_session(envelopes.intent("TreatedMusclesIntent"))
    event["request"]["dialogState"] = "SOMETHING_NEW"
    return event


def touch_on_a_screen_of_unknown_shape() -> dict[str, Any]:
    event = _mid_session(envelopes.user_event(["topic", "muscles"]), screen=True)
    event["context"]["Viewport"] = {"shape": "HEXAGON"}
    return event


def launch_on_a_screen_of_unknown_shape() -> dict[str, Any]:
    event = envelopes.envelope(envelopes.launch(), session=envelopes.Session(), skill_id=pki.SKILL_ID)
    event["context"]["Viewport"] = {"shape": "HEXAGON"}
    return event


UNREADABLE: dict[str, Callable[[], dict[str, Any]]] = {
    "slot status": slot_status_unknown_to_the_sdk,
    "dialog state": dialog_state_unknown_to_the_sdk,
    "touch": touch_on_a_screen_of_unknown_shape,
    "launch": launch_on_a_screen_of_unknown_shape,
}


@pytest.fixture(scope="module")
def lambda_module() -> ModuleType:
    """`lambda/lambda_function.py`, imported by path as Lambda does, configured for the test skill."""
    return load_lambda("tpi_lambda_function_unreadable", skill_id=pki.SKILL_ID)


@pytest.fixture
def counted() -> Iterator[list[TurnKey]]:
    seen: list[TurnKey] = []
    previous = usage.set_sink(seen.append)
    yield seen
    usage.set_sink(previous)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fresh log throttle for the dispatcher, on a clock the test moves."""
    moved = Clock()
    monkeypatch.setattr(dispatch, "_unreadable", ThrottledLog(dispatch.log, clock=moved))
    return moved


def assert_spoken_fallback(answer: dict[str, Any], event: dict[str, Any]) -> None:
    """The fallback, spoken at the session's rate, the session open, its attributes handed back."""
    response = answer["response"]
    fallback = fallback_answer(load_content())
    assert spoken_text(response["outputSpeech"]["ssml"]) == fallback.speech
    assert response["outputSpeech"]["ssml"].startswith("<speak>")
    assert spoken_text(response["reprompt"]["outputSpeech"]["ssml"]) == fallback.reprompt
    assert response["shouldEndSession"] is False
    assert answer["sessionAttributes"] == event["session"]["attributes"]
    if event["session"]["attributes"].get("rate") == 0:
        assert f'<prosody rate="{SLOWEST}">' in response["outputSpeech"]["ssml"]
    assert answer["userAgent"].startswith("ask-python/")
    # A screen shows the same reply, not the answer before it; a speaker gets no screen at all.
    screens = [d for d in response.get("directives") or [] if d["type"].startswith("Alexa.Presentation.APL")]
    if "Alexa.Presentation.APL" in event["context"]["System"]["device"]["supportedInterfaces"]:
        (screen,) = screens
        assert fallback.speech[:40] in json.dumps(screen["datasources"])
    else:
        assert not screens
    json.dumps(answer)


@pytest.mark.parametrize("make", UNREADABLE.values(), ids=list(UNREADABLE))
def test_the_sdk_really_cannot_read_these(make: Callable[[], dict[str, Any]]) -> None:
    """So the tests below are about unreadable envelopes, whatever ask-sdk-model version is installed."""
    with pytest.raises(SerializationException):
        Dispatcher()(make())


@pytest.mark.parametrize("make", UNREADABLE.values(), ids=list(UNREADABLE))
def test_lambda_answers_an_unreadable_request_in_speech_and_counts_it(
    lambda_module: ModuleType, make: Callable[[], dict[str, Any]], counted: list[TurnKey], clock: Clock
) -> None:
    event = make()
    before = json.dumps(event)
    answer = lambda_module.lambda_handler(event, None)
    assert_spoken_fallback(answer, event)
    assert json.dumps(event) == before
    assert counted == [(OTHER, "en-US", None, None, None, None, None, None, False)]


def test_the_web_service_answers_an_unreadable_signed_request_in_speech(
    counted: list[TurnKey], clock: Clock
) -> None:
    client: FlaskClient = create_app(skill_id=pki.SKILL_ID, verifier=pki.make_verifier()).test_client()
    usage.set_sink(counted.append)  # the app put its own sink in place
    event = slot_status_unknown_to_the_sdk()
    event["request"]["timestamp"] = pki.NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(event).encode()
    reply = client.post("/", data=body, headers=pki.signed_headers(body), content_type="application/json")
    assert reply.status_code == 200
    assert_spoken_fallback(reply.get_json(), event)
    assert [key[0] for key in counted] == [OTHER]


def test_a_locale_the_content_lacks_is_counted_as_other(
    lambda_module: ModuleType, counted: list[TurnKey], clock: Clock
) -> None:
    event = dialog_state_unknown_to_the_sdk()
    event["request"]["locale"] = "xx-YY"
    assert_spoken_fallback(lambda_module.lambda_handler(event, None), event)
    assert [key[:2] for key in counted] == [(OTHER, OTHER)]


def test_an_unreadable_request_for_another_skill_is_still_refused(lambda_module: ModuleType) -> None:
    event = slot_status_unknown_to_the_sdk()
    event["session"]["application"]["applicationId"] = pki.OTHER_SKILL_ID
    with pytest.raises(dispatch.WrongSkill):
        lambda_module.lambda_handler(event, None)


def test_unreadable_requests_are_logged_once_an_interval_with_a_count(
    lambda_module: ModuleType, every_log_record: pytest.LogCaptureFixture, clock: Clock
) -> None:
    """A new ask-sdk-model value arrives on every request at once: the log gets one line a minute, and
    no line at any level names the user or the unreadable value."""
    caplog = every_log_record
    for _ in range(3):
        lambda_module.lambda_handler(slot_status_unknown_to_the_sdk(), None)
    clock.now += 59
    lambda_module.lambda_handler(slot_status_unknown_to_the_sdk(), None)
    clock.now += 2
    lambda_module.lambda_handler(slot_status_unknown_to_the_sdk(), None)
    lines = [record.getMessage() for record in caplog.records if record.name == dispatch.log.name]
    assert lines == [
        "ask-sdk cannot read a request of type IntentRequest; answering with the fallback",
        "ask-sdk cannot read a request of type IntentRequest; answering with the fallback "
        "(3 more since it was last logged)",
    ]
    assert envelopes.LOCAL_USER_ID not in caplog.text and "ER_NEW" not in caplog.text


def test_a_request_nobody_waits_on_still_gets_the_empty_response(lambda_module: ModuleType) -> None:
    """A SessionEndedRequest may not be answered with speech, readable or not."""
    event = _mid_session(envelopes.session_ended("ERROR"))
    event["request"]["error"] = {"type": "SOME_NEW_ERROR", "message": "x"}
    event["context"]["Viewport"] = {"shape": "HEXAGON"}
    assert lambda_module.lambda_handler(event, None) == {"version": "1.0", "response": {}}
