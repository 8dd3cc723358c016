"""Turns an Answer into an Alexa response: SSML at the listener's rate, a card, and a screen if any."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils.request_util import get_supported_interfaces
from ask_sdk_model.dialog.elicit_slot_directive import ElicitSlotDirective
from ask_sdk_model.response import Response
from ask_sdk_model.ui.simple_card import SimpleCard

from skill import apl
from skill.content import Content, load_content
from skill.replies import Answer
from skill.speech import speak, to_ssml
from skill.spelling import localise
from skill.state import SessionState, Spoken


def session_state(handler_input: HandlerInput) -> SessionState:
    if handler_input.request_envelope.session is None:
        # Some requests come without a session (the SDK refuses attribute access then): nothing to keep.
        return SessionState({})
    attributes = handler_input.attributes_manager.session_attributes
    return SessionState(attributes if attributes is not None else {})


def current_rate(content: Content, state: SessionState) -> str:
    rates = content.speech_rates
    return rates.levels[state.rate_level(rates)]


def has_screen(handler_input: HandlerInput) -> bool:
    try:
        interfaces = get_supported_interfaces(handler_input)
    except (AttributeError, TypeError):  # no device block: a simulator or a hand-made request
        return False
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def respond(handler_input: HandlerInput, answer: Answer) -> Response:
    """Build the response for `answer` and remember it for repeat and follow-ups."""
    content = load_content()
    state = session_state(handler_input)
    rate = current_rate(content, state)
    locale = getattr(handler_input.request_envelope.request, "locale", None)
    card_text = localise(answer.card_text or answer.speech, locale)
    pronunciations = content.pronunciation_pairs(locale)
    builder = handler_input.response_builder
    builder.speak(speak(to_ssml(localise(answer.speech, locale), pronunciations), rate))
    builder.set_card(SimpleCard(title=localise(answer.title, locale), content=card_text))
    if answer.reprompt and not answer.end_session:
        builder.ask(
            speak(to_ssml(localise(answer.reprompt, locale), content.pronunciation_pairs(locale)), rate)
        )
    builder.set_should_end_session(answer.end_session)
    if has_screen(handler_input) and not answer.end_session:
        builder.add_directive(apl.render_directive(content, answer, locale))
    if answer.elicit_slot is not None:
        builder.add_directive(elicit_directive(handler_input, answer.elicit_slot))
    if answer.remember:
        state.move_on(topic=answer.topic, offered=answer.offered, help_page=answer.next_help_page)
        if answer.repeatable:
            card = answer.card_text or answer.speech
            state.remember_last(Spoken(answer.speech, answer.reprompt, answer.title, card, answer.key))
    state.note_answered(answer.key)
    return builder.response


def elicit_directive(handler_input: HandlerInput, slot: str) -> ElicitSlotDirective:
    """Ask Alexa to listen for `slot` of the request's own intent (its slot samples apply)."""
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    return ElicitSlotDirective(updated_intent=intent, slot_to_elicit=slot)
