"""Follow-ups that depend on what was just said: tell me more, yes/no to the offer, repeat."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.runtime.content import Content
from skill.runtime.handlers.base import AnswerHandler
from skill.runtime.replies import Answer, goodbye_answer, help_answer, more_answer, short_answer, topic_answer
from skill.runtime.respond import session_state


class TellMeMoreHandler(AnswerHandler):
    """More of the topic just answered; after help, the next topics; after a narrow fact, its topic."""

    intents = frozenset({"TellMeMoreIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        state = session_state(handler_input)
        if state.help_page is not None:
            return help_answer(content, state.help_page)
        for topic_id, expand in ((state.topic, more_answer), (state.offered, topic_answer)):
            topic = content.topic_by_id.get(topic_id) if topic_id else None
            if topic is not None:
                return expand(content, topic)
        return help_answer(content)


class YesHandler(AnswerHandler):
    intents = frozenset({"AMAZON.YesIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        state = session_state(handler_input)
        topic = content.topic_by_id.get(state.offered) if state.offered else None
        if topic is not None:
            return topic_answer(content, topic)
        if state.help_page is not None:
            return help_answer(content, state.help_page)
        return short_answer(content, "acknowledged", "nothing_offered", "ask_next")


class NoHandler(AnswerHandler):
    """ "No" to an offer declines it; "no" when nothing was offered ("anything else?") ends."""

    intents = frozenset({"AMAZON.NoIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        state = session_state(handler_input)
        if state.offered is None and state.help_page is None:
            return goodbye_answer(content)
        state.decline_offer()
        return short_answer(content, "declined", "declined", "reprompt")


class RepeatHandler(AnswerHandler):
    """Says the last real answer again word for word (at the listener's current speech rate). Its offer
    stands again too: after "no" and then "repeat", "yes" accepts what was just heard offered."""

    intents = frozenset({"AMAZON.RepeatIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        state = session_state(handler_input)
        last = state.last
        if last is None:
            return short_answer(content, "nothing_to_repeat", "nothing_to_repeat", "ask_next")
        state.move_on(topic=state.topic, offered=last.offered, help_page=last.help_page)
        return Answer(
            speech=last.speech,
            title=last.title,
            key=last.key,
            reprompt=last.reprompt,
            card_text=last.card_text,
            topic=state.topic,
            offered=last.offered,
            more_topic=last.more_topic,
            elicit=last.elicit,
            remember=False,
        )
