"""The baseline: the ASK SDK's hello-world skill, a launch handler and an intent handler, built at import.

It is what every Python Alexa skill pays at least (ask-sdk-core import, deserialise, dispatch,
serialise), so our skill's figures are reported as ratios to it. It mirrors the ASK SDK sample:
speech, a reprompt and a simple card. Its intent handler answers any intent (as the sample's intent
reflector does), so both skills can be timed on the very same envelope.
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
HELLO = "Hello World!"


class LaunchRequestHandler(AbstractRequestHandler):
    """Answers LaunchRequest the way the SDK's hello-world sample does."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        builder = handler_input.response_builder
        builder.speak(SPEECH).ask(SPEECH).set_card(SimpleCard("Hello World", SPEECH))
        return builder.response


class HelloWorldIntentHandler(AbstractRequestHandler):
    """Answers every intent with one sentence and a card, as the sample's hello intent does."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        builder = handler_input.response_builder
        builder.speak(HELLO).set_card(SimpleCard("Hello World", HELLO))
        return builder.response


_builder = SkillBuilder()
_builder.add_request_handler(LaunchRequestHandler())
_builder.add_request_handler(HelloWorldIntentHandler())
lambda_handler: Callable[..., Any] = _builder.lambda_handler()
