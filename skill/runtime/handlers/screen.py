"""A touched button on an Echo Show answers exactly as saying the same thing would."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.runtime import apl
from skill.runtime.content import Content
from skill.runtime.handlers.base import AnswerHandler
from skill.runtime.replies import Answer, help_answer, more_answer, topic_answer


class ScreenTouchHandler(AnswerHandler):
    """A touched button: a topic answers as asking for it would, "tell me more" about a topic as saying
    "tell me more" right after that topic would. Anything else (an old or altered event) gets help."""

    request_types = frozenset({apl.USER_EVENT})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        arguments = getattr(handler_input.request_envelope.request, "arguments", None) or []
        event, topic_id = [*arguments, "", ""][:2]
        topic = content.topic_by_id.get(topic_id) if isinstance(topic_id, str) else None
        if topic is not None and event == apl.TOPIC_EVENT:
            return topic_answer(content, topic)
        if topic is not None and event == apl.MORE_EVENT:
            return more_answer(content, topic)
        return help_answer(content)
