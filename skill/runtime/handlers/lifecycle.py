"""Requests that need no speech (session ended, unknown request types) and the last-resort error."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from skill.runtime.content import load_content
from skill.runtime.handlers.base import request_type
from skill.runtime.replies import error_answer
from skill.runtime.respond import respond

log = logging.getLogger(__name__)


class SilentHandler(AbstractRequestHandler):
    """SessionEndedRequest and any request type the skill has no use for get a valid empty response."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        if request_type(handler_input) == "SessionEndedRequest":
            reason = getattr(handler_input.request_envelope.request, "reason", None)
            log.info("session ended: %s", getattr(reason, "value", reason))
        return handler_input.response_builder.response


class ApologiseOnError(AbstractExceptionHandler):
    """Whatever goes wrong, the listener hears an apology instead of silence."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        # The exception type is enough to find the bug; the message could echo what was said.
        log.error("handler failed: %s", type(exception).__name__)
        return respond(handler_input, error_answer(load_content()))
