"""Small helpers shared by the handlers: matching requests and answering through `respond`."""

from __future__ import annotations

from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from skill.runtime.content import Content, load_content
from skill.runtime.replies import Answer
from skill.runtime.respond import respond


def request_type(handler_input: HandlerInput) -> str:
    return str(getattr(handler_input.request_envelope.request, "object_type", "") or "")


def intent_name(handler_input: HandlerInput) -> str | None:
    if request_type(handler_input) != "IntentRequest":
        return None
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    name = getattr(intent, "name", None)
    return name if isinstance(name, str) else None


class AnswerHandler(AbstractRequestHandler):
    """A handler for a fixed set of intents (or request types) that answers with one Answer."""

    intents: frozenset[str] = frozenset()
    request_types: frozenset[str] = frozenset()

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in self.intents or request_type(handler_input) in self.request_types

    def handle(self, handler_input: HandlerInput) -> Response:
        return respond(handler_input, self.answer(handler_input, load_content()))

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        raise NotImplementedError
