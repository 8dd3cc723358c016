"""Speech rate for listeners who need it slower (or faster), kept for the whole session."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput

from skill.runtime.content import Content
from skill.runtime.handlers.base import AnswerHandler, intent_name
from skill.runtime.replies import Answer, short_answer
from skill.runtime.respond import session_state

STEP = {"SpeakSlowerIntent": -1, "SpeakFasterIntent": +1}


class SpeechRateHandler(AnswerHandler):
    intents = frozenset({"SpeakSlowerIntent", "SpeakFasterIntent", "NormalSpeedIntent"})

    def answer(self, handler_input: HandlerInput, content: Content) -> Answer:
        rates = content.speech_rates
        state = session_state(handler_input)
        current = state.rate_level(rates)
        name = intent_name(handler_input)
        if name == "NormalSpeedIntent":
            state.set_rate_level(rates.normal)
            return short_answer(content, "rate", "normal_speed", "rate_hint")
        wanted = current + STEP[str(name)]
        if not 0 <= wanted < len(rates.levels):
            return short_answer(content, "rate", "slowest" if wanted < 0 else "fastest", "rate_hint")
        state.set_rate_level(wanted)
        return short_answer(content, "rate", "slower" if wanted < current else "faster", "rate_hint")
