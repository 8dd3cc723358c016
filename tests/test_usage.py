"""The usage figures the skill itself records (skill/runtime/usage/): what one request counts for, from
closed sets only, on every host, and the CloudWatch Embedded Metric Format lines the Lambda path writes."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.runtime import usage
from skill.runtime.throttle import ThrottledLog
from skill.runtime.usage import OTHER, Turn, TurnKey
from skill.tools import envelopes
from skill.tools.envelopes import Session, SlotFill
from skill.tools.local import Conversation, invoke
from tests.lambda_handler import load_lambda
from tests.sam_template import load_template

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "interaction_models").glob("*.json"))


@pytest.fixture
def turns() -> Iterator[list[TurnKey]]:
    """Every TurnKey the skill records while the test runs."""
    seen: list[TurnKey] = []
    previous = usage.set_sink(seen.append)
    yield seen
    usage.set_sink(previous)


def last(seen: list[TurnKey]) -> Turn:
    return Turn(seen[-1])


def test_each_kind_of_request_counts_what_a_clinic_would_want_to_know(
    skill: CustomSkill, turns: list[TurnKey]
) -> None:
    talk = Conversation(skill=skill, locale="en-GB", screen=True)
    talk.launch()
    assert (last(turns).request, last(turns).locale, last(turns).input, last(turns).answer) == (
        "launch",
        "en-GB",
        "voice",
        "welcome",
    )
    talk.intent("TreatedMusclesIntent")
    assert (last(turns).intent, last(turns).answer) == ("TreatedMusclesIntent", "topic:muscles")
    talk.intent("BodyPartIntent", {"bodyPart": SlotFill("neck", "neck", "neck")})
    assert (last(turns).slot, last(turns).slot_outcome, last(turns).answer) == (
        "bodyPart",
        "resolved",
        "part:neck",
    )
    talk.intent("BodyPartIntent", {"bodyPart": SlotFill("my poor old knee")})
    assert (last(turns).slot_outcome, last(turns).answer) == ("unresolved", "unknown_part")
    talk.intent("BodyPartIntent")
    assert (last(turns).slot_outcome, last(turns).answer) == ("empty", "reask:bodyPart")
    talk.intent("SubjectIntent", {"subject": SlotFill("cost", "cost", "cost")})
    assert (last(turns).slot, last(turns).answer) == ("subject", "not_covered:cost")
    talk.intent("AMAZON.FallbackIntent")
    assert last(turns).answer == "fallback"
    talk.intent("AMAZON.RepeatIntent")
    assert (last(turns).repeat, last(turns).answer) == (True, "not_covered:cost")  # what was said again
    assert dict(last(turns).increments())["repeats"] == ("not_covered:cost",)
    for name, direction in (
        ("SpeakSlowerIntent", "slower"),
        ("SpeakFasterIntent", "faster"),
        ("NormalSpeedIntent", "normal"),
    ):
        talk.intent(name)
        assert (last(turns).rate, last(turns).answer) == (direction, "rate")
    talk.touch("topic", "benefits")
    assert (last(turns).request, last(turns).input, last(turns).answer) == (
        "touch",
        "touch",
        "topic:benefits",
    )
    talk.touch("more", "benefits")
    assert last(turns).answer == "more:benefits"
    talk.end("EXCEEDED_MAX_REPROMPTS")
    assert (last(turns).request, last(turns).session_end, last(turns).answer) == (
        "session_ended",
        "EXCEEDED_MAX_REPROMPTS",
        None,
    )
    assert len(turns) == 14  # one record per request, none missed and none doubled


def test_a_session_ended_by_an_error_counts_the_error_type_not_its_message(
    skill: CustomSkill, turns: list[TurnKey]
) -> None:
    request = {**envelopes.session_ended("ERROR"), "error": {"type": "ENDPOINT_TIMEOUT", "message": "boom"}}
    invoke(skill, envelopes.envelope(request, session=Session(new=False)))
    assert (last(turns).session_end, last(turns).session_error) == ("ERROR", "ENDPOINT_TIMEOUT")
    assert "boom" not in repr(turns)


def test_can_fulfill_is_counted_by_verdict_without_an_answer(
    skill: CustomSkill, turns: list[TurnKey]
) -> None:
    for name, verdict in (("SteroidIntent", "YES"), ("CostIntent", "NO")):
        invoke(skill, envelopes.envelope({**envelopes.intent(name), "type": "CanFulfillIntentRequest"}))
        assert (last(turns).request, last(turns).intent, last(turns).can_fulfill) == (
            "can_fulfill",
            name,
            verdict,
        )
        assert last(turns).answer is None


def test_every_intent_of_the_interaction_models_is_named_in_the_figures() -> None:
    named = usage.vocabulary().intents
    for model in MODELS:
        intents = json.loads(model.read_text())["interactionModel"]["languageModel"]["intents"]
        missing = {intent["name"] for intent in intents} - named
        assert not missing, f"{model.name}: counted as 'other': {missing}"
    assert usage.vocabulary().locales == {model.stem for model in MODELS}


def test_every_answer_the_skill_can_give_has_its_own_figure(skill: CustomSkill, turns: list[TurnKey]) -> None:
    """Every intent with every slot value, touches and follow-ups: no answer falls into "other"."""
    model = json.loads((ROOT / "interaction_models" / "en-US.json").read_text())["interactionModel"]
    values = {t["name"]: [v["id"] for v in t["values"]] for t in model["languageModel"]["types"]}
    for intent in model["languageModel"]["intents"]:
        fills: list[dict[str, SlotFill] | None] = [None]
        for slot in intent.get("slots", []):
            fills += [{slot["name"]: SlotFill(v, v, v)} for v in values[slot["type"]]]
            fills += [{slot["name"]: SlotFill(words)} for words in ("aardvark", "my knee")]
        for fill in fills:
            talk = Conversation(skill=skill, screen=True)
            talk.launch()
            talk.intent(intent["name"], fill)
            talk.intent("TellMeMoreIntent")
            talk.intent("AMAZON.YesIntent")
    for prefix in ("topic", "more"):
        for topic in ("about", "muscles", "safety", "nonsense"):
            Conversation(skill=skill, screen=True).touch(prefix, topic)
    talk = Conversation(skill=skill)
    for name in ("AMAZON.RepeatIntent", "AMAZON.YesIntent", "TreatedMusclesIntent", "AMAZON.NoIntent"):
        talk.intent(name)
    answers = {Turn(key).answer for key in turns} - {None}
    assert OTHER not in answers
    assert usage.vocabulary().answers - answers == {"error"}, "the vocabulary lists answers never given"


def test_a_failed_answer_is_counted_and_the_listener_still_hears_the_apology(
    monkeypatch: pytest.MonkeyPatch, skill: CustomSkill, turns: list[TurnKey]
) -> None:
    from skill.runtime.handlers.topics import TopicHandler

    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(TopicHandler, "answer", broken)
    turn = Conversation(skill=skill).intent("TreatedMusclesIntent")
    assert "sorry" in (turn.speech or "").lower()
    assert [(Turn(key).failed, Turn(key).answer) for key in turns] == [(True, "error")]
    assert dict(Turn(turns[0]).increments())["errors"] == ()


def test_a_broken_sink_never_costs_an_answer_and_logs_only_its_type_once_an_interval(
    skill: CustomSkill, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line for a burst of failures; a sink that recovers and breaks again a while later is
    reported again, with how many failures went unlogged in between."""
    broken = True
    counted: list[TurnKey] = []

    def flaky(key: TurnKey) -> None:
        if broken:
            raise ValueError("secret words")
        counted.append(key)

    now = [1000.0]
    monkeypatch.setattr(usage.sinks, "_failures", ThrottledLog(usage.sinks.log, clock=lambda: now[0]))
    previous = usage.set_sink(flaky)
    try:
        with caplog.at_level(logging.DEBUG):
            for _ in range(3):
                turn = Conversation(skill=skill).intent("TreatedMusclesIntent")
                assert "trapezius" in (turn.speech or "")
            broken = False
            now[0] += 3600
            Conversation(skill=skill).intent("TreatedMusclesIntent")
            broken = True
            Conversation(skill=skill).intent("TreatedMusclesIntent")
    finally:
        usage.set_sink(previous)
    assert len(counted) == 1
    warnings = [record.getMessage() for record in caplog.records if record.name == usage.__name__]
    assert warnings == [
        "usage figures could not be recorded (ValueError)",
        "usage figures could not be recorded (ValueError) (2 more since it was last logged)",
    ]


def test_requests_seen_again_count_exactly_as_the_first_time(
    skill: CustomSkill, turns: list[TurnKey]
) -> None:
    """The interceptor remembers common requests' keys: the same answer key with a different slot
    outcome, locale or request type must still count apart."""
    requests = [
        envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("neck", "neck", "neck")}),
        envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("neck")}),  # words only: still the neck
        envelopes.intent("TreatedMusclesIntent", locale="en-AU"),
        envelopes.intent("TreatedMusclesIntent"),
        envelopes.user_event(["topic", "muscles"]),
        envelopes.session_ended("USER_INITIATED"),
        envelopes.session_ended("ERROR"),
    ]
    for _ in range(3):
        for request in requests:
            invoke(skill, envelopes.envelope(request, session=Session(new=False)))
    first, second, third = turns[:7], turns[7:14], turns[14:]
    assert first == second == third
    assert [Turn(key).slot_outcome for key in first[:2]] == ["resolved", "unresolved"]
    assert Turn(first[0]).answer == Turn(first[1]).answer == "part:neck"
    assert [Turn(key).locale for key in first[2:4]] == ["en-AU", "en-US"]
    assert [Turn(key).request for key in first[3:5]] == ["intent", "touch"]
    assert [Turn(key).session_end for key in first[5:]] == ["USER_INITIATED", "ERROR"]


# --- the Lambda path: EMF lines ------------------------------------------------------------------


def parse_emf(line: str) -> dict[str, Any]:
    """Check one line against the Embedded Metric Format rules CloudWatch applies; return its root."""
    assert line.endswith("\n") and line.count("\n") == 1 and line.isascii()
    assert len(line.encode()) < 256 * 1024
    root = json.loads(line)
    meta = root["_aws"]
    assert isinstance(meta["Timestamp"], int) and not isinstance(meta["Timestamp"], bool)
    directives = meta["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    for directive in directives:
        assert directive["Namespace"] == usage.NAMESPACE
        assert directive["Metrics"], directive
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for dimension in dimension_set:
                value = root[dimension]  # a dimension's target member must be on the root
                assert isinstance(value, str) and value.strip() and value.isascii()
        for metric in directive["Metrics"]:
            assert set(metric) <= {"Name", "Unit", "StorageResolution"}
            assert metric["Unit"] == "Count"
            value = root[metric["Name"]]  # so must every metric's
            assert isinstance(value, int) and value in (0, 1)
    return dict(root)


def emf_lines(sink_writes: Callable[[usage.Sink], None], clock: float = 1_772_442_300.0) -> list[str]:
    """The lines an EmfWriter writes (to a real pipe) while `sink_writes` runs with it as the sink."""
    read, write = os.pipe()
    writer = usage.EmfWriter(write, service="unit-test", clock=lambda: clock)
    previous = usage.set_sink(writer)
    try:
        sink_writes(writer)
    finally:
        usage.set_sink(previous)
        os.close(write)
    with os.fdopen(read, "rb") as pipe:
        return [line.decode() + "\n" for line in pipe.read().splitlines()]


def conversation_of_every_kind(skill: CustomSkill) -> None:
    talk = Conversation(skill=skill, screen=True)
    talk.launch()
    talk.intent("TreatedMusclesIntent")
    talk.intent("BodyPartIntent", {"bodyPart": SlotFill("elbow")})
    talk.intent("AMAZON.RepeatIntent")
    talk.intent("SpeakSlowerIntent")
    talk.intent("CostIntent")
    talk.intent("AMAZON.FallbackIntent")
    talk.touch("topic", "safety")
    talk.end("USER_INITIATED")
    invoke(
        skill, envelopes.envelope({**envelopes.intent("SteroidIntent"), "type": "CanFulfillIntentRequest"})
    )


def test_emf_lines_follow_the_format_cloudwatch_extracts_metrics_from(skill: CustomSkill) -> None:
    lines = emf_lines(lambda _: conversation_of_every_kind(skill))
    roots = [parse_emf(line) for line in lines]
    assert len(roots) == 10
    assert all(root["Service"] == "unit-test" and root["Requests"] == 1 for root in roots)
    fallback = next(root for root in roots if root.get("Answer") == "fallback")
    assert (fallback["Fallback"], fallback["NotCovered"], fallback["Intent"]) == (
        1,
        0,
        "AMAZON.FallbackIntent",
    )
    elbow = next(root for root in roots if root.get("Slot") == "bodyPart")
    assert (elbow["SlotOutcome"], elbow["SlotUnresolved"], elbow["SlotEmpty"], elbow["NotCovered"]) == (
        "unresolved",
        1,
        0,
        1,
    )
    touch = next(root for root in roots if root["Request"] == "touch")
    assert (touch["Input"], touch["Touch"], touch["Answer"]) == ("touch", 1, "topic:safety")
    assert "Fallback" not in touch  # the rates are of what patients said
    ended = next(root for root in roots if root["Request"] == "session_ended")
    assert (ended["SessionEndReason"], ended["SessionEnds"]) == ("USER_INITIATED", 1)
    repeat = next(root for root in roots if root.get("Repeats"))
    assert "Answers" not in repeat and repeat["Answer"] == "unknown_part"


def test_a_line_says_the_minute_of_a_request_not_its_moment(skill: CustomSkill) -> None:
    moment = 1_772_442_345.678  # 09:05:45.678 UTC
    (line,) = emf_lines(lambda _: Conversation(skill=skill).launch(), clock=moment)
    assert parse_emf(line)["_aws"]["Timestamp"] == 1_772_442_300_000  # 09:05:00.000


def test_the_sink_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (usage.USAGE_ENV, "AWS_LAMBDA_FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert usage.sink_from_env() is None  # the command line and tests count nothing
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "my-skill")
    on_lambda = usage.sink_from_env()
    assert isinstance(on_lambda, usage.EmfWriter) and (on_lambda.fd, on_lambda.service) == (1, "my-skill")
    monkeypatch.setenv(usage.USAGE_ENV, "off")
    assert usage.sink_from_env() is None
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    monkeypatch.setenv(usage.USAGE_ENV, "emf")
    assert isinstance(usage.sink_from_env(), usage.EmfWriter)


def test_the_lambda_function_writes_one_emf_line_per_request_to_its_log(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "trigger-point-injections-skill")
    monkeypatch.delenv(usage.USAGE_ENV, raising=False)
    handler = load_lambda("lambda_function_usage", skill_id=envelopes.LOCAL_SKILL_ID).lambda_handler
    previous = usage.set_sink(usage.sink_from_env())  # what a fresh container resolves on its first request
    try:
        capfd.readouterr()
        session = Session()
        for request in (envelopes.launch(), envelopes.intent("CausesIntent"), envelopes.session_ended()):
            answer = handler(envelopes.envelope(request, session=session), None)
            session.new, session.attributes = False, dict(answer.get("sessionAttributes") or {})
        out = capfd.readouterr().out
    finally:
        usage.set_sink(previous)
    roots = [parse_emf(line + "\n") for line in out.splitlines()]
    assert [(root["Request"], root.get("Answer")) for root in roots] == [
        ("launch", "welcome"),
        ("intent", "fact:causes"),
        ("session_ended", None),
    ]
    assert {root["Service"] for root in roots} == {"trigger-point-injections-skill"}


def test_the_dashboard_shows_only_figures_the_function_writes(skill: CustomSkill) -> None:
    written_metrics: set[str] = set()
    written_dimensions: set[frozenset[str]] = set()
    failed: TurnKey = ("intent", "en-US", "TreatedMusclesIntent", "error", None, None, None, None, True)
    lines = emf_lines(lambda _: conversation_of_every_kind(skill))
    lines.append(usage.EmfWriter(-1).line(failed).decode())  # what a failed answer writes
    for line in lines:
        for directive in parse_emf(line)["_aws"]["CloudWatchMetrics"]:
            written_metrics |= {metric["Name"] for metric in directive["Metrics"]}
            written_dimensions |= {frozenset(dimensions) for dimensions in directive["Dimensions"]}
    (dashboard,) = [
        r for r in load_template()["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"
    ]
    body = json.loads(
        dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
        .replace("${AWS::Region}", "eu-west-1")
        .replace("${FunctionName}", "trigger-point-injections-skill")
    )
    shown_metrics: set[str] = set()
    shown_dimensions: set[frozenset[str]] = set()
    for widget in body["widgets"]:
        for metric in widget["properties"]["metrics"]:
            if isinstance(metric[0], dict):  # a SEARCH expression: {namespace,dimensions...} MetricName="..."
                expression = metric[0]["expression"]
                schema = expression.split("{", 1)[1].split("}", 1)[0].split(",")
                assert schema[0] == usage.NAMESPACE
                shown_dimensions.add(frozenset(schema[1:]))
                shown_metrics.add(expression.split('MetricName="', 1)[1].split('"', 1)[0])
            else:
                namespace, name, *dimensions = [part for part in metric if isinstance(part, str)]
                assert namespace == usage.NAMESPACE
                shown_metrics.add(name)
                shown_dimensions.add(frozenset(dimensions[0::2]))
    assert shown_metrics <= written_metrics
    assert shown_dimensions <= written_dimensions
    assert {"Answers", "Fallback", "SlotUnresolved", "Requests"} <= shown_metrics


def test_an_intent_request_without_an_intent_is_counted_as_other_not_lost(
    skill: CustomSkill, turns: list[TurnKey], caplog: pytest.LogCaptureFixture
) -> None:
    body = envelopes.envelope(envelopes.intent("TreatedMusclesIntent"), session=Session(new=False))
    del body["request"]["intent"]
    with caplog.at_level(logging.WARNING):
        invoke(skill, body)
    assert (last(turns).request, last(turns).intent, last(turns).answer) == ("intent", OTHER, "fallback")
    assert not [record for record in caplog.records if record.name == usage.__name__]
