"""The Flask web service: flask-ask-sdk's ``SkillAdapter`` behind our request checks, with answers that
never leak.

flask-ask-sdk alone answers 500 to a body that is not JSON and to requests no handler takes, and logs
whole tracebacks; and ask-sdk deserializes a request before its verifiers run, so a failure cannot
tell whether the request was checked. The view below therefore checks the body's shape and Amazon's
rules itself, on the JSON it has already parsed, before ask-sdk sees anything; whatever fails after
that happened to a verified request and gets a valid empty Alexa response.
"""

from __future__ import annotations

# werkzeug encodes the host name with "idna" on every request: imported up front, so that workers that
# dropped to an unprivileged user (deploy/production.py run as root) never need to read Python's files.
import encodings.idna  # noqa: F401
import json
import logging
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from flask import Flask, Response, jsonify, request
from flask_ask_sdk.skill_adapter import (
    VERIFY_SIGNATURE_APP_CONFIG,
    VERIFY_TIMESTAMP_APP_CONFIG,
    SkillAdapter,
)
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from skill.runtime.throttle import ThrottledLog
from skill.web import metrics
from skill.web.clients import client_address
from skill.web.verification import (
    AlexaRequestVerifier,
    Headers,
    RefusalLog,
    RequestVerificationError,
    check_application_id,
    facts_of,
)

logger = logging.getLogger(__name__)
_unreadable_log = ThrottledLog(logger)  # genuine, yet possibly on every request of a new type

MAX_BODY_BYTES = 128 * 1024
"""Real Alexa envelopes are a few KiB; anything far larger is refused with 413 before it is parsed."""

EMPTY_RESPONSE: dict[str, Any] = {"version": "1.0", "response": {}}


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _refused(refusals: RefusalLog, refusal: RequestVerificationError) -> tuple[Response, int]:
    """Verification failures all look the same to the caller; only the log says why (once an interval)."""
    refusals.record("Alexa request refused", refusal.reason)
    metrics.note_refusal(refusal.kind)
    return _error(400, "request verification failed")


def _bad_envelope(refusals: RefusalLog, reason: str) -> tuple[Response, int]:
    refusals.record("Bad request body", reason)
    return _error(400, "body is not an Alexa request envelope")


def _request_body() -> bytes:
    """The body, refused with 413 past ``MAX_BODY_BYTES`` whether its length was declared or not.

    werkzeug refuses a declared length over the cap, but cuts a chunked body at the cap without a
    word, so a chunked body is read here instead, to one byte past the cap. Whatever the server's
    reader raises on broken chunked framing propagates for the caller to answer 400.
    """
    if request.content_length is not None or not request.environ.get("wsgi.input_terminated"):
        return request.get_data(cache=True)  # werkzeug raises 413 past MAX_CONTENT_LENGTH
    stream = request.environ["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        chunk = stream.read(MAX_BODY_BYTES + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    return b"".join(chunks)


class RequestChecks:
    """Every rule a request must pass before the skill sees it: Amazon's (signature, chain, timestamp),
    when ``verifier`` is given, and the application ID whenever a skill ID is configured."""

    def __init__(self, verifier: AlexaRequestVerifier | None, skill_id: str | None) -> None:
        self.verifier = verifier
        # The verifier checks the ID itself when it was built with this one; don't check it twice.
        self.skill_id = skill_id if verifier is None or verifier.skill_id != skill_id else None

    @property
    def signature_checked(self) -> bool:
        return self.verifier is not None

    def check(
        self, headers: Headers, body: bytes, envelope: dict[str, Any], client: str | None = None
    ) -> None:
        """Return quietly, or raise ``RequestVerificationError`` with the reason."""
        facts = facts_of(envelope)
        if self.verifier is not None:
            self.verifier.verify(headers, body, facts, client=client)
        if self.skill_id is not None:
            check_application_id(facts.application_ids, self.skill_id)


class _AlexaEndpoint(SkillAdapter):  # type: ignore[misc]
    """``SkillAdapter`` whose view checks the body and the request first and maps every failure to an
    answer. ask-sdk's own verifier list is left empty: ``checks`` does that work, once, up front."""

    def __init__(self, skill: CustomSkill, skill_id: str, checks: RequestChecks, app: Flask) -> None:
        self._checks = checks
        self._refusals = RefusalLog(logger)
        super().__init__(skill=skill, skill_id=skill_id, verifiers=[], app=app)

    def dispatch_request(self) -> Response | tuple[Response, int]:
        try:
            body = _request_body()
        except HTTPException:
            raise  # 413, or werkzeug's own 400 for a client that went away
        except Exception as exc:
            # Broken chunked framing (gunicorn's InvalidChunkSize...): the client's fault, so a 400.
            self._refusals.record("Bad request body", f"body could not be read ({type(exc).__name__})")
            return _error(400, "body could not be read")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _bad_envelope(self._refusals, "body is not UTF-8")
        try:
            envelope = json.loads(text)
        except (ValueError, RecursionError):
            return _bad_envelope(self._refusals, "body is not JSON")
        if not isinstance(envelope, dict):
            return _bad_envelope(self._refusals, "body is not a JSON object")
        if not isinstance(envelope.get("request"), dict) or "version" not in envelope:
            return _bad_envelope(self._refusals, "envelope lacks 'version' or a 'request' object")
        try:
            self._checks.check(request.headers, body, envelope, client_address(request.environ))
        except RequestVerificationError as exc:
            return _refused(self._refusals, exc)

        # create_skill()'s skill answers the envelope parsed above (skill.runtime.hosted: no second
        # parse, no per-request rebuild); a skill built elsewhere goes through flask-ask-sdk as before.
        dispatch_envelope = getattr(self._skill, "dispatch_envelope", None)
        try:
            if dispatch_envelope is not None:
                result = dispatch_envelope(envelope)
            else:
                result = self._webservice_handler.verify_request_and_dispatch(
                    http_request_headers=request.headers, http_request_body=text
                )
        except SerializationException:
            # A request type newer than the installed SDK, say: genuine, so answer it, emptily.
            if not self._checks.signature_checked:
                return _bad_envelope(self._refusals, "ask-sdk cannot deserialize the envelope")
            _unreadable_log.log("Verified request ask-sdk cannot deserialize; answered with nothing to say")
            return jsonify(EMPTY_RESPONSE)
        except Exception as exc:
            # Types only: a handler's message could quote what the user said.
            logger.error("Skill dispatch failed (%s); answering with an empty response", type(exc).__name__)
            return jsonify(EMPTY_RESPONSE)
        return jsonify(result)


def _checks(skill_id: str | None, verify: bool, verifier: AlexaRequestVerifier | None) -> RequestChecks:
    if not verify:
        logger.warning("Request verification is OFF: anyone who can reach this server can call the skill")
        return RequestChecks(None, skill_id)
    if verifier is None:
        verifier = AlexaRequestVerifier(skill_id=skill_id)
    if not skill_id and verifier.skill_id is None:
        logger.warning("No skill ID configured: the application ID is not checked (the signature is)")
    return RequestChecks(verifier, skill_id)


def create_app(
    skill: CustomSkill | None = None,
    *,
    skill_id: str | None = None,
    verify: bool = True,
    verifier: AlexaRequestVerifier | None = None,
) -> Flask:
    """Build the web app serving ``skill`` (default: ``create_skill()``) at ``POST /``.

    Verification is on unless ``verify=False`` is passed as a real bool, so a stray truthy/falsy value
    from configuration cannot turn it off. ``verifier`` replaces the default (certifi roots, HTTPS
    fetch); the skill ID given here is enforced whatever that verifier is configured with.
    """
    if not isinstance(verify, bool):
        raise TypeError("verify must be True or False")
    if not verify and verifier is not None:
        raise ValueError("a verifier was given with verify=False")
    skill_id = skill_id or None
    if skill is None:
        from skill.runtime.app import create_skill

        skill = create_skill(None)  # the application ID is RequestChecks' to check, before ask-sdk

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # ask-sdk-webservice-support 1.2's own checks: SHA-1 only and no chain validation; ours replace them.
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False

    endpoint = _AlexaEndpoint(skill, skill_id or "default", _checks(skill_id, verify, verifier), app)
    app.add_url_rule(
        "/",
        endpoint="alexa",
        view_func=endpoint.dispatch_request,
        methods=["POST"],
        provide_automatic_options=False,
    )
    app.add_url_rule(
        "/healthz", endpoint="healthz", view_func=_healthz, methods=["GET"], provide_automatic_options=False
    )
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    metrics.install(app)  # GET /metrics (loopback or METRICS_TOKEN), and the figures behind it
    return app


def _healthz() -> Response:
    return jsonify(status="ok")


def _http_error(exc: HTTPException) -> Response | tuple[Response, int]:
    if exc.code is None:
        return _unexpected_error(exc)
    response = exc.get_response()
    body = jsonify(error=(exc.name or "error").lower())
    body.status_code = exc.code
    if "Allow" in response.headers:
        body.headers["Allow"] = response.headers["Allow"]
    return body


def _unexpected_error(exc: Exception) -> tuple[Response, int]:
    """Last resort: never a traceback to the caller, and only the exception type in the log."""
    logger.error("Unhandled %s in the web app", type(exc).__name__)
    return _error(500, "internal error")
