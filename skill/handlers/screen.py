"""A touched button on an Echo Show answers exactly as saying the same thing would."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill import apl
from skill.content import Content
from skill.handlers.base import AnswerHandler
from skill.replies import Answer, help_answer, more_answer, topic_answer


class ScreenTouchHandler(AnswerHandler):
    """A touched topic button on an Echo Show answers exactly as if the topic had been asked."""

    request_types = frozenset({apl.USER_EVENT})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        arguments = getattr(handler_input.request_envelope.request, "arguments", None) or []
        event, topic_id = [*arguments, "", ""][:2]
        topic = content.topic_by_id.get(topic_id) if isinstance(topic_id, str) else None
        if topic is None:
            return help_answer(content)
        return more_answer(content, topic) if event == apl.MORE_EVENT else topic_answer(content, topic)
