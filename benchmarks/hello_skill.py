"""The baseline: the ASK SDK's hello-world skill, one LaunchRequest handler, built at import.

It is what every Python Alexa skill pays at least (ask-sdk-core import, deserialise, dispatch,
serialise), so our skill's figures are reported as ratios to it. It mirrors the ASK SDK sample:
speech, a reprompt and a simple card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils.predicate import is_request_type
from ask_sdk_model.response import Response
from ask_sdk_model.ui.simple_card import SimpleCard

SPEECH = "Welcome to the Alexa Skills Kit, you can say hello!"


class LaunchRequestHandler(AbstractRequestHandler):
    """Answers LaunchRequest the way the SDK's hello-world sample does."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        builder = handler_input.response_builder
        builder.speak(SPEECH).ask(SPEECH).set_card(SimpleCard("Hello World", SPEECH))
        return builder.response


_builder = SkillBuilder()
_builder.add_request_handler(LaunchRequestHandler())
lambda_handler: Callable[..., Any] = _builder.lambda_handler()
