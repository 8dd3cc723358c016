"""CanFulfillIntentRequest: Alexa asks, before any session, whether this skill could answer a request
made without its name. The answer is a judgement only: nothing is said, stored or remembered."""

from __future__ import annotations

from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.canfulfill.can_fulfill_intent import CanFulfillIntent
from ask_sdk_model.canfulfill.can_fulfill_intent_values import CanFulfillIntentValues
from ask_sdk_model.canfulfill.can_fulfill_slot import CanFulfillSlot
from ask_sdk_model.canfulfill.can_fulfill_slot_values import CanFulfillSlotValues
from ask_sdk_model.canfulfill.can_understand_slot_values import CanUnderstandSlotValues
from ask_sdk_model.response import Response

from skill.runtime.content import Content, load_content
from skill.runtime.handlers.base import request_type
from skill.runtime.handlers.topics import BodyPartHandler, SubjectHandler
from skill.runtime.mentions import find_mention
from skill.runtime.replies import mention_answer
from skill.runtime.slots import read_slot

REQUEST_TYPE = "CanFulfillIntentRequest"
SLOT_INTENTS = {
    intent: handler.slot for handler in (BodyPartHandler, SubjectHandler) for intent in handler.intents
}
"""Intents whose answer depends on one slot, with that slot's name."""
LEAFLET_ANSWERS = ("topic:", "fact:", "part:")


def _answers_from_leaflet(content: Content, meaning: str | None) -> bool:
    """Whether the answer the skill would give for `meaning` is one of the leaflet's own (asked of
    the same routing that answers, so a redirect such as side effects to safety counts too)."""
    return mention_answer(content, meaning).key.startswith(LEAFLET_ANSWERS)


def judge(handler_input: HandlerInput, content: Content) -> CanFulfillIntent:
    """YES for the leaflet's topics and facts, and for a slot resolved to something the leaflet covers;
    MAYBE when only the slot's unresolved words point to such a subject; NO for everything else."""
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    name = getattr(intent, "name", None)
    if name in content.topic_by_intent or name in content.fact_by_intent:
        return CanFulfillIntent(can_fulfill=CanFulfillIntentValues.YES, slots={})
    slot = SLOT_INTENTS.get(str(name))
    if slot is None:
        return CanFulfillIntent(can_fulfill=CanFulfillIntentValues.NO, slots={})
    reading = read_slot(handler_input, slot)
    if reading.resolved_id is not None:
        understood = CanUnderstandSlotValues.YES
        covered = _answers_from_leaflet(content, reading.resolved_id)
        verdict = CanFulfillIntentValues.YES if covered else CanFulfillIntentValues.NO
    elif _answers_from_leaflet(content, find_mention(reading.heard, content.mentions, content.topic_ids)):
        verdict, understood = CanFulfillIntentValues.MAYBE, CanUnderstandSlotValues.MAYBE
    else:
        verdict, understood = CanFulfillIntentValues.NO, CanUnderstandSlotValues.NO
    fulfil = CanFulfillSlotValues.NO if verdict == CanFulfillIntentValues.NO else CanFulfillSlotValues.YES
    return CanFulfillIntent(
        can_fulfill=verdict, slots={slot: CanFulfillSlot(can_understand=understood, can_fulfill=fulfil)}
    )


class CanFulfillHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) == REQUEST_TYPE

    def handle(self, handler_input: HandlerInput) -> Response:
        builder = handler_input.response_builder
        builder.set_can_fulfill_intent(judge(handler_input, load_content()))
        return builder.response
