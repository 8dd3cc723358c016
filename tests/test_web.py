"""The web service over HTTP (Flask test client): every verification rule, bad input, and error shapes."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import Response
from flask import Flask
from flask.testing import FlaskClient

from skill.tools.envelopes import LOCAL_DEVICE_ID, LOCAL_USER_ID
from skill.web.service import create_app
from tests import pki
from tests.pki import OTHER_SKILL_ID, SKILL_ID, CountingFetcher, envelope, make_verifier, signed_headers

LogCapture = pytest.LogCaptureFixture
REFUSED = {"error": "request verification failed"}
# Written out, not imported from skill.web.service, so a change to what the app answers fails these tests.
EMPTY_RESPONSE = {"version": "1.0", "response": {}}
MAX_BODY_BYTES = 128 * 1024  # the documented cap on a request body


@pytest.fixture
def fetcher() -> CountingFetcher:
    return CountingFetcher()


@pytest.fixture
def app(fetcher: CountingFetcher) -> Flask:
    return create_app(skill_id=SKILL_ID, verifier=make_verifier(fetcher))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post(client: FlaskClient, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post("/", data=body, headers=headers or {}, content_type="application/json")


def assert_refused(response: Any, caplog: LogCapture, reason: str) -> None:
    """400 with the generic body; the reason only in the log."""
    assert response.status_code == 400
    assert response.get_json() == REFUSED
    assert reason not in response.get_data(as_text=True)
    assert any(reason in record.getMessage() for record in caplog.records), caplog.text


def test_signed_launch_request_gets_a_skill_response(client: FlaskClient, fetcher: CountingFetcher) -> None:
    body = envelope()
    response = post(client, body, signed_headers(body))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["version"] == "1.0"
    assert "outputSpeech" in answer["response"]
    assert fetcher.calls == [pki.CHAIN_URL]


def test_chain_is_fetched_once_across_requests(client: FlaskClient, fetcher: CountingFetcher) -> None:
    for _ in range(5):
        body = envelope()
        assert post(client, body, signed_headers(body)).status_code == 200
    assert fetcher.calls == [pki.CHAIN_URL]


def test_tampered_body_is_refused(client: FlaskClient, caplog: LogCapture) -> None:
    body = envelope()
    headers = signed_headers(body)
    tampered = body.replace(b'"en-US"', b'"en-GB"')
    assert_refused(post(client, tampered, headers), caplog, "does not match the body")


def test_wrong_signature_is_refused(client: FlaskClient, caplog: LogCapture) -> None:
    body = envelope()
    headers = {**signed_headers(body), "Signature-256": pki.unknown_root_chain().sign(body)}
    assert_refused(post(client, body, headers), caplog, "does not match the body")


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_missing_header_is_refused(client: FlaskClient, caplog: LogCapture, missing: str) -> None:
    body = envelope()
    headers = signed_headers(body)
    del headers[missing]
    assert_refused(post(client, body, headers), caplog, f"{missing} header is missing")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem", "not https"),
        ("https://s3.amazonaws.evil.example/echo.api/echo-api-cert-test.pem", "host"),
        ("https://evil.example/echo.api/echo-api-cert-test.pem", "host"),
        ("https://s3.amazonaws.com/echo.api/../x", "path"),
        ("https://s3.amazonaws.com/Echo.Api/echo-api-cert-test.pem", "path"),
        ("https://s3.amazonaws.com:444/echo.api/echo-api-cert-test.pem", "port"),
        ("https://s3.amazonaws.com/echo.api/%2E%2E/other-bucket/echo-api-cert-test.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem?n=1", "query"),
    ],
)
def test_bad_chain_url_is_refused(
    client: FlaskClient, fetcher: CountingFetcher, caplog: LogCapture, url: str, reason: str
) -> None:
    fetcher.chains[url] = pki.good_chain().pem  # would verify if the URL rules were not enforced
    body = envelope()
    assert_refused(post(client, body, signed_headers(body, url=url)), caplog, reason)
    assert fetcher.calls == []


def test_equivalent_chain_urls_are_accepted_and_fetched_once(
    client: FlaskClient, fetcher: CountingFetcher
) -> None:
    for url in [
        "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/%2E/echo-api-cert-test.pem",
    ]:
        body = envelope()
        assert post(client, body, signed_headers(body, url=url)).status_code == 200
    assert fetcher.calls == [pki.CHAIN_URL]


@pytest.mark.parametrize(
    "chain",
    [
        pki.wrong_san_chain,
        pki.expired_chain,
        pki.not_yet_valid_chain,
        pki.self_signed_chain,
        pki.unknown_root_chain,
    ],
)
def test_untrustworthy_signing_certificate_is_refused(
    client: FlaskClient, fetcher: CountingFetcher, caplog: LogCapture, chain: Any
) -> None:
    fetcher.chains[pki.CHAIN_URL] = chain().pem
    body = envelope()
    assert_refused(
        post(client, body, signed_headers(body, chain())), caplog, "certificate chain does not validate"
    )


@pytest.mark.parametrize("offset", [-151, 151])
def test_stale_timestamp_is_refused(client: FlaskClient, caplog: LogCapture, offset: int) -> None:
    body = envelope(timestamp=pki.NOW + dt.timedelta(seconds=offset))
    assert_refused(post(client, body, signed_headers(body)), caplog, "timestamp")


def test_timestamp_at_the_edge_is_accepted(client: FlaskClient) -> None:
    body = envelope(timestamp=pki.NOW - dt.timedelta(seconds=150))
    assert post(client, body, signed_headers(body)).status_code == 200


def test_wrong_application_id_is_refused(client: FlaskClient, caplog: LogCapture) -> None:
    body = envelope(app_id=OTHER_SKILL_ID)
    assert_refused(post(client, body, signed_headers(body)), caplog, "application ID is not this skill's")


def test_app_skill_id_is_enforced_even_if_injected_verifier_has_none(
    caplog: LogCapture,
) -> None:
    client = create_app(skill_id=SKILL_ID, verifier=make_verifier(skill_id=None)).test_client()
    body = envelope(app_id=OTHER_SKILL_ID)
    assert_refused(post(client, body, signed_headers(body)), caplog, "application ID is not this skill's")


def test_without_skill_id_other_application_ids_pass_but_signatures_do_not() -> None:
    client = create_app(verifier=make_verifier(skill_id=None)).test_client()
    body = envelope(app_id=OTHER_SKILL_ID)
    assert post(client, body, signed_headers(body)).status_code == 200
    assert post(client, body + b"\n", signed_headers(body)).status_code == 400


def test_logs_never_hold_user_or_device_ids_or_the_body(client: FlaskClient, caplog: LogCapture) -> None:
    caplog.set_level(logging.DEBUG)
    body = envelope(app_id=OTHER_SKILL_ID)
    post(client, body, signed_headers(body))
    post(client, body.replace(b"1.0", b"2.0"), signed_headers(body))
    good = envelope()
    post(client, good, signed_headers(good))
    assert caplog.records, "expected refusals to be logged"
    request_ids = [json.loads(sent)["request"]["requestId"] for sent in (body, good)]
    for secret in (LOCAL_USER_ID, LOCAL_DEVICE_ID, OTHER_SKILL_ID, *request_ids):
        assert secret not in caplog.text


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_non_post_is_405(client: FlaskClient, method: str) -> None:
    response = client.open("/", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    if method != "HEAD":
        assert response.get_json() == {"error": "method not allowed"}


def test_body_over_the_limit_is_413(client: FlaskClient) -> None:
    padding = " " * (MAX_BODY_BYTES + 1)
    body = envelope()[:-1] + padding.encode() + b"}"
    response = post(client, body, signed_headers(body))
    assert response.status_code == 413
    assert response.get_json() == {"error": "request entity too large"}


def test_body_at_the_limit_is_read(client: FlaskClient) -> None:
    body = envelope()
    body = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    assert len(body) == MAX_BODY_BYTES
    assert post(client, body, signed_headers(body)).status_code == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"not json", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
        (b'"string"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b"{}", "lacks"),
        (b'{"version": "1.0"}', "lacks"),
        (b'{"request": {"type": "LaunchRequest"}}', "lacks"),
        (b'{"version": "1.0", "request": "LaunchRequest"}', "lacks"),
        (b"[" * 50000 + b"]" * 50000, "not JSON"),  # too deep for the parser
    ],
)
def test_body_that_is_not_an_alexa_envelope_is_400(
    client: FlaskClient, caplog: LogCapture, body: bytes, reason: str
) -> None:
    response = post(client, body, signed_headers(body))
    assert response.status_code == 400
    assert response.get_json() == {"error": "body is not an Alexa request envelope"}
    assert any(reason in record.getMessage() for record in caplog.records), caplog.text


def test_unknown_path_is_a_small_json_404(client: FlaskClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not found"}


@pytest.mark.parametrize("method", ["POST", "OPTIONS", "DELETE"])
def test_healthz_answers_only_get(client: FlaskClient, method: str) -> None:
    response = client.open("/healthz", method=method)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


# --- requests the skill does not handle ---------------------------------------------------------


def test_request_type_no_handler_takes_gets_a_valid_response(client: FlaskClient) -> None:
    body = envelope(request_type="AlexaSkillEvent.SkillEnabled")
    response = post(client, body, signed_headers(body))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["version"] == "1.0"
    assert isinstance(answer["response"], dict)


def test_signed_request_type_unknown_to_the_sdk_gets_an_empty_response(client: FlaskClient) -> None:
    body = envelope(request_type="Some.FutureRequest")
    response = post(client, body, signed_headers(body))
    assert response.status_code == 200
    assert response.get_json() == EMPTY_RESPONSE


def test_a_stream_of_signed_unknown_request_types_logs_at_most_once_a_minute(
    client: FlaskClient, caplog: LogCapture
) -> None:
    body = envelope(request_type="Some.FutureRequest")
    with caplog.at_level(logging.WARNING):
        for _ in range(20):
            assert post(client, body, signed_headers(body)).status_code == 200
    assert len([r for r in caplog.records if "cannot deserialize" in r.getMessage()]) <= 1


def test_unsigned_request_type_unknown_to_the_sdk_is_refused(client: FlaskClient, caplog: LogCapture) -> None:
    body = envelope(request_type="Some.FutureRequest")
    assert_refused(post(client, body, {}), caplog, "header is missing")


class _Exploding(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        raise RuntimeError("the user said something private")


def _exploding_skill() -> Any:
    builder = SkillBuilder()
    builder.add_request_handler(_Exploding())
    return builder.create()


def _handlerless_skill() -> Any:
    return SkillBuilder().create()


@pytest.mark.parametrize(
    ("make_skill", "kind"), [(_exploding_skill, "RuntimeError"), (_handlerless_skill, "DispatchException")]
)
def test_dispatch_failure_gets_an_empty_response_and_only_its_type_is_logged(
    caplog: LogCapture, make_skill: Any, kind: str
) -> None:
    client = create_app(make_skill(), skill_id=SKILL_ID, verifier=make_verifier()).test_client()
    body = envelope()
    response = post(client, body, signed_headers(body))
    assert response.status_code == 200
    assert response.get_json() == EMPTY_RESPONSE
    failures = [r for r in caplog.records if "Skill dispatch failed" in r.getMessage()]
    assert len(failures) == 1
    assert kind in failures[0].getMessage()
    assert "private" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


def test_unexpected_error_is_a_small_json_500_without_traceback(app: Flask) -> None:
    def boom() -> str:
        raise ValueError("internal detail")

    app.add_url_rule("/boom", view_func=boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}
    assert "Traceback" not in response.get_data(as_text=True)
    assert "internal detail" not in response.get_data(as_text=True)


# --- verification is on unless explicitly switched off ------------------------------------------


def test_verification_is_on_by_default(caplog: LogCapture) -> None:
    client = create_app().test_client()
    body = envelope()
    assert_refused(post(client, body), caplog, "SignatureCertChainUrl header is missing")


def test_default_verifier_does_not_trust_the_test_ca(caplog: LogCapture) -> None:
    """Production trusts certifi's roots only: a chain from our CA is refused even if fetched."""
    from skill.web.verification import AlexaRequestVerifier

    verifier = AlexaRequestVerifier(fetcher=CountingFetcher(), clock=lambda: pki.NOW)
    client = create_app(verifier=verifier).test_client()
    body = envelope()
    assert_refused(post(client, body, signed_headers(body)), caplog, "certificate chain does not validate")


def test_verify_cannot_be_passed_positionally() -> None:
    with pytest.raises(TypeError):
        create_app(None, None, False)  # type: ignore[misc]


@pytest.mark.parametrize("value", [0, "", "false", None])
def test_verify_must_be_a_real_bool(value: object) -> None:
    with pytest.raises(TypeError, match="verify"):
        create_app(verify=value)  # type: ignore[arg-type]


def test_verifier_with_verify_false_is_contradictory() -> None:
    with pytest.raises(ValueError, match="verify=False"):
        create_app(verify=False, verifier=make_verifier())


def test_verify_false_answers_unsigned_requests_and_warns(caplog: LogCapture) -> None:
    client = create_app(verify=False).test_client()
    assert "verification is OFF" in caplog.text
    body = envelope()
    response = post(client, body)
    assert response.status_code == 200
    assert response.get_json()["version"] == "1.0"


def test_a_signed_request_without_a_context_block_is_answered() -> None:
    """The session names the skill and the signature holds: the skill answers, not an empty response."""
    client = create_app(skill_id=SKILL_ID, verifier=make_verifier()).test_client()
    raw = json.loads(envelope())
    del raw["context"]
    body = json.dumps(raw).encode()
    response = post(client, body, signed_headers(body))
    assert response.status_code == 200
    assert "Welcome" in response.get_json()["response"]["outputSpeech"]["ssml"]


def test_verify_false_still_checks_a_configured_skill_id(caplog: LogCapture) -> None:
    client = create_app(skill_id=SKILL_ID, verify=False).test_client()
    assert post(client, envelope()).status_code == 200
    assert_refused(
        post(client, envelope(app_id=OTHER_SKILL_ID)), caplog, "application ID is not this skill's"
    )


def test_verify_false_reports_unreadable_envelopes_as_400() -> None:
    client = create_app(verify=False).test_client()
    response = post(client, envelope(request_type="Some.FutureRequest"))
    assert response.status_code == 400


def test_no_skill_id_warns_that_application_id_is_unchecked(caplog: LogCapture) -> None:
    create_app()
    assert "application ID is not checked" in caplog.text


def test_responses_are_json(client: FlaskClient) -> None:
    body = envelope()
    for response in (post(client, body, signed_headers(body)), post(client, b"x"), client.get("/")):
        assert response.mimetype == "application/json"
        json.loads(response.get_data())


class _CrashingSerializer:
    """Stands in for an SDK deserializer that fails with something other than SerializationException."""

    def deserialize(self, payload: str, obj_type: Any) -> Any:
        raise TypeError("unexpected shape")


@pytest.mark.parametrize(("signed", "status"), [(False, 400), (True, 200)])
def test_odd_sdk_failure_before_verification_answers_only_genuine_requests(
    caplog: LogCapture, signed: bool, status: int
) -> None:
    skill = SkillBuilder().create()
    skill.serializer = _CrashingSerializer()
    client = create_app(skill, skill_id=SKILL_ID, verifier=make_verifier()).test_client()
    body = envelope()
    response = post(client, body, signed_headers(body) if signed else {})
    assert response.status_code == status
    assert response.get_json() == (EMPTY_RESPONSE if signed else REFUSED)
    assert "unexpected shape" not in caplog.text
