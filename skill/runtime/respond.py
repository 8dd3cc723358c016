"""Turns an Answer into an Alexa response: SSML at the listener's rate, a card, and a screen if any."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_core.utils.request_util import get_supported_interfaces
from ask_sdk_model.response import Response
from ask_sdk_model.ui.simple_card import SimpleCard

from skill.runtime import apl
from skill.runtime.content import Content, load_content
from skill.runtime.replies import Answer
from skill.runtime.speech import speak, to_ssml
from skill.runtime.spelling import localise
from skill.runtime.state import SessionState, Spoken

if TYPE_CHECKING:
    from ask_sdk_model.dialog.elicit_slot_directive import ElicitSlotDirective


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


def _say(builder: ResponseFactory, content: Content, answer: Answer, locale: str | None, rate: str) -> None:
    """The answer's speech at `rate`, its card, its reprompt and whether the session ends."""
    card = answer.card_text or answer.speech
    pronunciations = content.pronunciation_pairs(locale)
    builder.speak(speak(to_ssml(localise(answer.speech, locale), pronunciations), rate))
    builder.set_card(SimpleCard(title=localise(answer.title, locale), content=localise(card, locale)))
    if answer.reprompt and not answer.end_session:
        builder.ask(speak(to_ssml(localise(answer.reprompt, locale), pronunciations), rate))
    builder.set_should_end_session(answer.end_session)


def respond(handler_input: HandlerInput, answer: Answer) -> Response:
    """Build the response for `answer` and remember it for repeat and follow-ups."""
    content = load_content()
    state = session_state(handler_input)
    rate = current_rate(content, state)
    locale = getattr(handler_input.request_envelope.request, "locale", None)
    card = answer.card_text or answer.speech
    builder = handler_input.response_builder
    _say(builder, content, answer, locale, rate)
    if has_screen(handler_input) and not answer.end_session:
        builder.add_directive(apl.render_directive(content, answer, locale))
    if answer.elicit is not None:
        builder.add_directive(elicit_directive(*answer.elicit))
    if answer.remember:
        state.move_on(topic=answer.topic, offered=answer.offered, help_page=answer.next_help_page)
        if answer.repeatable:
            spoken = Spoken(
                answer.speech,
                answer.reprompt,
                answer.title,
                card,
                answer.key,
                answer.more_topic,
                answer.elicit,
                answer.offered,
                answer.next_help_page,
            )
            state.remember_last(spoken)
    state.note_answered(answer.key)
    return builder.response


def say_only(answer: Answer, attributes: object, locale: object, screen: bool = False) -> Response:
    """`answer` spoken at the rate `attributes` (a session's, unread by ask-sdk) keep, without changing
    them: for a request no handler could be given. With `screen`, the answer replaces what the screen
    showed, so the words on it never contradict what was just said."""
    content = load_content()
    state = SessionState(attributes if isinstance(attributes, dict) else {})
    builder = ResponseFactory()
    chosen = locale if isinstance(locale, str) else None
    _say(builder, content, answer, chosen, current_rate(content, state))
    if screen and not answer.end_session:
        builder.add_directive(apl.render_directive(content, answer, chosen))
    return builder.response


def elicit_directive(intent: str, slot: str) -> ElicitSlotDirective:
    """Ask Alexa to listen for `slot` of `intent` next (the slot's own samples then apply)."""
    # Imported here: only a re-ask needs the dialog model classes (14 modules on a cold start).
    from ask_sdk_model.dialog.elicit_slot_directive import ElicitSlotDirective
    from ask_sdk_model.intent import Intent
    from ask_sdk_model.intent_confirmation_status import IntentConfirmationStatus
    from ask_sdk_model.slot import Slot
    from ask_sdk_model.slot_confirmation_status import SlotConfirmationStatus

    empty = Slot(name=slot, confirmation_status=SlotConfirmationStatus.NONE)
    updated = Intent(name=intent, slots={slot: empty}, confirmation_status=IntentConfirmationStatus.NONE)
    return ElicitSlotDirective(updated_intent=updated, slot_to_elicit=slot)
