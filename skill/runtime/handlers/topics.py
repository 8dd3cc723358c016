"""The leaflet's answers: generic handlers for every topic, fact and small-talk intent (adding one to
content.yaml needs no code), and the slot-bearing intents that name a body part or a subject."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.runtime.content import Content, load_content
from skill.runtime.handlers.base import AnswerHandler, intent_name
from skill.runtime.mentions import VAGUE, find_mention
from skill.runtime.replies import (
    Answer,
    fact_answer,
    mention_answer,
    not_covered_answer,
    reask_answer,
    social_answer,
    topic_answer,
)
from skill.runtime.slots import read_slot


class TopicHandler(AnswerHandler):
    """Any intent that content.yaml maps to a topic."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in load_content().topic_by_intent

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return topic_answer(content, content.topic_by_intent[str(intent_name(handler_input))])


class FactHandler(AnswerHandler):
    """Any intent that content.yaml maps to a narrow fact ("what causes these knots")."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in load_content().fact_by_intent

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return fact_answer(content, content.fact_by_intent[str(intent_name(handler_input))])


class SocialHandler(AnswerHandler):
    """Thanks, hello, "are you a doctor", "who wrote this"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in load_content().social_by_intent

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        return social_answer(content, content.social_by_intent[str(intent_name(handler_input))])


class SlotHandler(AnswerHandler):
    """An intent whose one open slot says what the question is about. Alexa fills such a slot with any
    words (ER_SUCCESS_NO_MATCH), so those words are understood through the mention table, never read
    back; words it does not know end like the fallback; an empty slot is asked for again."""

    slot = ""
    reask_phrase = ""

    def own_meanings(self, content: Content) -> frozenset[str]:
        """What this slot's own type stands for, preferred when its words name several things."""
        return frozenset()

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        reading = read_slot(handler_input, self.slot)
        if reading.resolved_id is not None:
            return mention_answer(content, reading.resolved_id)
        meaning = find_mention(reading.heard, content.mentions, content.topic_ids, self.own_meanings(content))
        if reading.heard is None or meaning == VAGUE:
            return reask_answer(content, str(intent_name(handler_input)), self.slot, self.reask_phrase)
        return mention_answer(content, meaning)


class BodyPartHandler(SlotHandler):
    intents = frozenset({"BodyPartIntent"})
    slot = "bodyPart"
    reask_phrase = "reask_part"

    def own_meanings(self, content: Content) -> frozenset[str]:
        return content.body_part_meanings


class SubjectHandler(SlotHandler):
    intents = frozenset({"SubjectIntent"})
    slot = "subject"
    reask_phrase = "reask_subject"


class NotCoveredHandler(AnswerHandler):
    """Questions the leaflet does not answer ("does it hurt"): the honest answer, naming the subject
    when the intent says which one it is."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        name = intent_name(handler_input)
        return name == "NotCoveredIntent" or name in load_content().not_covered.subject_intents

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        subject = content.not_covered.subject_intents.get(str(intent_name(handler_input)))
        return not_covered_answer(content, subject)
