"""Opening, help, start over, fallback and goodbye: the frame around the leaflet's topics."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.runtime.content import Content
from skill.runtime.handlers.base import AnswerHandler, request_type
from skill.runtime.replies import Answer, fallback_answer, goodbye_answer, help_answer, welcome_answer
from skill.runtime.respond import session_state


class LaunchHandler(AnswerHandler):
    request_types = frozenset({"LaunchRequest"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return welcome_answer(content)


class StartOverHandler(AnswerHandler):
    intents = frozenset({"AMAZON.StartOverIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        session_state(handler_input).forget_conversation()
        return welcome_answer(content)


class HelpHandler(AnswerHandler):
    intents = frozenset({"AMAZON.HelpIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return help_answer(content)


class GoodbyeHandler(AnswerHandler):
    intents = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return goodbye_answer(content)


class FallbackHandler(AnswerHandler):
    """AMAZON.FallbackIntent, and any intent this version of the skill does not know."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) == "IntentRequest"

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return fallback_answer(content)
