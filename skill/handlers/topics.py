"""The leaflet's topics: one generic handler for every topic intent, plus muscles and uncovered questions."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.content import Content, load_content
from skill.handlers.base import AnswerHandler, intent_name
from skill.replies import (
    Answer,
    help_answer,
    more_answer,
    muscle_answer,
    not_covered_answer,
    topic_answer,
)
from skill.slots import read_slot


class TopicHandler(AnswerHandler):
    """Any intent that content.yaml maps to a topic; adding a topic needs no code."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in load_content().topic_by_intent

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return topic_answer(content, content.topic_by_intent[str(intent_name(handler_input))])


class MuscleHandler(AnswerHandler):
    intents = frozenset({"MuscleIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        reading = read_slot(handler_input, "muscle")
        return muscle_answer(content, reading.resolved_id, reading.heard)


class NotCoveredHandler(AnswerHandler):
    intents = frozenset({"NotCoveredIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return not_covered_answer(content, read_slot(handler_input, "subject").resolved_id)
