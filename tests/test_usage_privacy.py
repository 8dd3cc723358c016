"""Counts, never people: personal markers sent through both hosts reach no figure, log, report or
picture, and junk requests cannot create new label values (so no unbounded series either)."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from skill.runtime import usage
from skill.runtime.content import load_content
from skill.runtime.usage import TurnKey
from skill.tools import envelopes, insights
from skill.tools.envelopes import Session, SlotFill
from skill.web.metrics import NO_REASON, OTHER_REASON, REASON_CLASSES
from skill.web.service import create_app
from tests import pki
from tests.lambda_handler import load_lambda

MARK = "qzmark"
"""In every planted value, in some case: found in any output, it leaked."""
ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "interaction_models").glob("*.json"))


def with_person(body: dict[str, Any], number: int) -> dict[str, Any]:
    """The envelope with a user, a person, a device, a session and a request that are someone's."""
    system = body["context"]["System"]
    system["user"] = {"userId": f"amzn1.ask.account.QZMARKUSER{number}", "accessToken": "QZMARKtoken"}
    system["person"] = {"personId": f"amzn1.ask.person.QZMARKPERSON{number}"}
    system["device"]["deviceId"] = f"amzn1.ask.device.QZMARKDEVICE{number}"
    body["request"]["requestId"] = f"amzn1.echo-api.request.QZMARKREQUEST{number}"
    if "session" in body:
        body["session"]["sessionId"] = f"amzn1.echo-api.session.QZMARKSESSION{number}"
        body["session"]["user"] = dict(system["user"])
        body["session"]["attributes"] = {
            "answered": "topic:QZMARKanswered",
            "topic": "QZMARKtopic",
            "offered": "QZMARKoffered",
            "last": {"speech": "QZMARK said", "title": "QZMARK", "card": "QZMARK", "key": "part:QZMARKkey"},
            "QZMARKattribute": "QZMARK",
        }
    return body


def planted() -> list[dict[str, Any]]:
    """Requests a patient could make, each carrying personal markers where a request can carry them."""
    requests: list[dict[str, Any]] = [
        envelopes.launch(),
        envelopes.intent("TreatedMusclesIntent"),
        envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("my QZMARK aunt's elbow")}),
        envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("neck", "neck", "neck")}),
        envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("QZMARK", "QZMARKid", "QZMARK name")}),
        envelopes.intent("SubjectIntent", {"subject": SlotFill("zanzibar QZMARK dosage")}),
        envelopes.intent("QZMARKIntent", {"QZMARKslot": SlotFill("QZMARK words")}),
        envelopes.intent("AMAZON.RepeatIntent"),
        envelopes.intent("TreatedMusclesIntent", locale="en-QZMARK"),
        envelopes.user_event(["topic", "QZMARKtopic"]),
        envelopes.user_event(["QZMARK", "muscles", "QZMARK"]),
        {**envelopes.session_ended("ERROR"), "error": {"type": "INVALID_RESPONSE", "message": "QZMARK said"}},
        {
            **envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("QZMARK knee")}),
            "type": "CanFulfillIntentRequest",
        },
    ]
    bodies = []
    for number, request in enumerate(requests):
        session = None if request["type"] == "CanFulfillIntentRequest" else Session(new=False)
        bodies.append(with_person(envelopes.envelope(request, session=session, screen=True), number))
    assert all(MARK in json.dumps(body).lower() for body in bodies)  # else this test could not fail
    return bodies


def leaks(text: str) -> bool:
    return MARK in text.lower()


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{record.name} {record.getMessage()} {record.args!r}" for record in caplog.records)


def lambda_emf(bodies: list[dict[str, Any]], path: Path) -> str:
    """Every body through the Lambda handler, EMF lines written to `path` as the function's log."""
    handler = load_lambda("lambda_function_privacy", skill_id=envelopes.LOCAL_SKILL_ID).lambda_handler
    with path.open("wb") as log:
        previous = usage.set_sink(usage.EmfWriter(log.fileno(), service="privacy-test"))
        try:
            for body in bodies:
                handler(body, None)
        finally:
            usage.set_sink(previous)
    return path.read_text()


def web_metrics(bodies: list[dict[str, Any]]) -> str:
    """Every body, signed, through the web service (and some refused ones); then its /metrics page."""
    app = create_app(
        skill_id=envelopes.LOCAL_SKILL_ID, verifier=pki.make_verifier(skill_id=envelopes.LOCAL_SKILL_ID)
    )
    client = app.test_client()
    for body in bodies:
        body["request"]["timestamp"] = pki.NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        raw = json.dumps(body).encode()
        assert (
            client.post(
                "/", data=raw, headers=pki.signed_headers(raw), content_type="application/json"
            ).status_code
            == 200
        )
        forged = {
            "SignatureCertChainUrl": "https://QZMARK.example/echo.api/QZMARK.pem",
            "Signature-256": "QZMARK",
        }
        assert client.post("/", data=raw, headers=forged, content_type="application/json").status_code == 400
    client.post("/", data=b'{"QZMARK": "not an envelope"}', content_type="application/json")
    client.get("/QZMARK/path?user=QZMARK")
    reply = client.get("/metrics")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def test_no_personal_marker_reaches_any_figure_log_report_or_picture(
    tmp_path: Path, every_log_record: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    emf = lambda_emf(planted(), tmp_path / "lambda-log.txt")
    page = web_metrics(planted())
    (tmp_path / "metrics.prom").write_text(page)
    assert emf.count("\n") == len(planted()) and "tpi_skill_answers_total" in page  # both really counted
    assert not leaks(emf), [line for line in emf.splitlines() if leaks(line)]
    assert not leaks(page), [line for line in page.splitlines() if leaks(line)]

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.text import Text

    for source, name in ((tmp_path / "lambda-log.txt", "lambda"), (tmp_path / "metrics.prom", "web")):
        for out in (tmp_path / f"{name}.html", tmp_path / f"{name}.png"):
            insights.run([str(source)], out)
        page_html = (tmp_path / f"{name}.html").read_text()
        assert not leaks(page_html)
        data = insights.read_sources([str(source)])
        numbers = insights.figures(data)
        figure = insights.build_figure(data, numbers, load_content())
        drawn = [text.get_text() for text in figure.findobj(Text)]
        assert any("What patients asked most" in text for text in drawn)
        assert not [text for text in drawn if leaks(text)]

    assert not leaks(log_text(every_log_record)), [
        r.getMessage() for r in every_log_record.records if leaks(r.getMessage())
    ]
    printed = capfd.readouterr()
    assert not leaks(printed.out + printed.err)


# --- closed sets: junk cannot make new label values ----------------------------------------------


def junk(rng: random.Random, number: int) -> dict[str, Any]:
    """A request made of random names and words, as an attacker with a signing key or a buggy client
    might send: new intent names, locales, slot words, attributes and touch arguments every time."""

    def word() -> str:
        return "".join(rng.choices(string.ascii_letters, k=rng.randint(3, 12)))

    kind = number % 4
    locale = rng.choice(["en-US", "en-GB", f"{word()}-{word()}"])
    if kind == 0:
        request = envelopes.intent(f"{word()}Intent", {word(): SlotFill(word(), word(), word())}, locale)
    elif kind == 1:
        request = envelopes.intent(
            rng.choice(["BodyPartIntent", "SubjectIntent"]),
            {"bodyPart": SlotFill(word()), "subject": SlotFill(word(), word())},
            locale,
        )
    elif kind == 2:
        request = envelopes.user_event([word(), word()], locale)
    else:
        request = envelopes.intent("AMAZON.RepeatIntent", None, locale)
    session = Session(
        new=False,
        attributes={
            "answered": word(),
            "last": {"speech": word(), "title": word(), "card": word(), "key": word()},
            word(): word(),
        },
    )
    return envelopes.envelope(request, session=session, screen=True)


def allowed_values() -> dict[str, set[str]]:
    """Every value each label may take, from the interaction models and the content (not the code)."""
    intents = {
        intent["name"]
        for model in MODELS
        for intent in json.loads(model.read_text())["interactionModel"]["languageModel"]["intents"]
    }
    return {
        "request": {"launch", "intent", "touch", "session_ended", "can_fulfill", "other"},
        "locale": {model.stem for model in MODELS} | {"other"},
        "intent": intents | {"other"},
        "answer": set(usage.vocabulary().answers) | {"other"},
        "slot": {"bodyPart", "subject"},
        "outcome": {"resolved", "unresolved", "empty"},
        "direction": {"slower", "faster", "normal"},
        "reason": {"USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS", "other", NO_REASON, OTHER_REASON}
        | {name for name, _ in REASON_CLASSES},
        "error": {
            "none",
            "other",
            "INVALID_RESPONSE",
            "DEVICE_COMMUNICATION_ERROR",
            "INTERNAL_SERVICE_ERROR",
            "ENDPOINT_TIMEOUT",
        },
        "verdict": {"YES", "NO", "MAYBE", "other"},
        "result": {"accepted", "refused", "bad_request", "too_large", "other"},
        "route": {"alexa", "healthz", "metrics", "other"},
        "status": {"2xx", "3xx", "4xx", "5xx"},
        "le": set(),  # histogram bounds: numbers fixed in the code
    }


def series(page: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    found = set()
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found.add((sample.name, tuple(sorted(sample.labels.items()))))
    return found


def test_junk_requests_make_no_new_label_values_and_no_new_series() -> None:
    rng = random.Random(13)
    app = create_app(verify=False)
    client: FlaskClient = app.test_client()

    def send(count: int, start: int) -> str:
        for number in range(start, start + count):
            client.post("/", data=json.dumps(junk(rng, number)), content_type="application/json")
            client.get(f"/{rng.randint(0, 10**9)}")
        return client.get("/metrics").get_data(as_text=True)

    client.get("/metrics")  # the scrape is timed too: its own series exist from the second page on
    early = series(send(40, 0))
    late = series(send(400, 40))
    assert late == early, sorted(late - early)[:10]  # ten times the junk, not one series more
    allowed = allowed_values()
    for _, labels in late:
        for name, value in labels:
            assert name in allowed, name
            assert name == "le" or value in allowed[name], (name, value)


def test_junk_through_lambda_writes_only_closed_set_values(tmp_path: Path) -> None:
    rng = random.Random(14)
    bodies = [junk(rng, number) for number in range(200)]
    lines = lambda_emf(bodies, tmp_path / "junk.log").splitlines()
    assert len(lines) == 200
    allowed = allowed_values()
    by_field = {
        "Request": allowed["request"],
        "Locale": allowed["locale"],
        "Intent": allowed["intent"],
        "Answer": allowed["answer"],
        "Slot": allowed["slot"],
        "SlotOutcome": allowed["outcome"],
        "Input": {"voice", "touch"},
        "Service": {"privacy-test"},
    }
    distinct: set[tuple[tuple[str, Any], ...]] = set()
    for line in lines:
        root = json.loads(line)
        root.pop("_aws")
        for name, value in root.items():
            assert name in by_field or isinstance(value, int), name
            if name in by_field:
                assert value in by_field[name], (name, value)
        distinct.add(tuple(sorted(root.items())))
    assert len(distinct) <= 20, len(distinct)  # 200 different junk requests, a handful of kinds of line


def test_junk_does_not_fill_the_interceptors_memory() -> None:
    rng = random.Random(15)
    from skill.runtime.app import create_skill
    from skill.tools.local import invoke

    skill = create_skill()
    seen: list[TurnKey] = []
    previous = usage.set_sink(seen.append)
    try:
        invoke(skill, junk(rng, 1))
        before = len(usage.sinks._known)
        for number in range(300):
            invoke(skill, junk(rng, number))
    finally:
        usage.set_sink(previous)
    assert len(usage.sinks._known) <= before + 4  # the few valid combinations junk can land on, not 300
    assert len(seen) == 301
