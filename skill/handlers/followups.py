"""Follow-ups that depend on what was just said: tell me more, yes/no to the offer, repeat."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.content import Content
from skill.handlers.base import AnswerHandler
from skill.replies import Answer, help_answer, more_answer, short_answer, topic_answer
from skill.respond import session_state


class TellMeMoreHandler(AnswerHandler):
    intents = frozenset({"TellMeMoreIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        topic_id = session_state(handler_input).topic
        topic = content.topic_by_id.get(topic_id) if topic_id else None
        return more_answer(content, topic) if topic else help_answer(content)


class YesHandler(AnswerHandler):
    intents = frozenset({"AMAZON.YesIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        offered = session_state(handler_input).offered
        topic = content.topic_by_id.get(offered) if offered else None
        return topic_answer(content, topic) if topic else short_answer(content, "nothing_offered", "ask_next")


class NoHandler(AnswerHandler):
    intents = frozenset({"AMAZON.NoIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        session_state(handler_input).decline_offer()
        return short_answer(content, "declined", "reprompt")


class RepeatHandler(AnswerHandler):
    """Says the last answer again word for word (at the listener's current speech rate), leaving what
    the conversation remembers as it was."""

    intents = frozenset({"AMAZON.RepeatIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        state = session_state(handler_input)
        last = state.last
        if last is None:
            return short_answer(content, "nothing_to_repeat", "ask_next")
        return Answer(
            speech=last.speech,
            title=last.title,
            reprompt=last.reprompt,
            card_text=last.card_text,
            topic=state.topic,  # for the screen's "more" button
            remember=False,
        )
