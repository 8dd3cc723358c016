"""Reads a slot the way Alexa resolved it: the canonical value id on ER_SUCCESS_MATCH, else nothing."""

from __future__ import annotations

from dataclasses import dataclass

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.slu.entityresolution.status_code import StatusCode


@dataclass(frozen=True)
class SlotReading:
    heard: str | None
    resolved_id: str | None


def read_slot(handler_input: HandlerInput, name: str) -> SlotReading:
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    slot = (getattr(intent, "slots", None) or {}).get(name)
    if slot is None:
        return SlotReading(None, None)
    heard = slot.value.strip() if isinstance(slot.value, str) and slot.value.strip() else None
    authorities = getattr(slot.resolutions, "resolutions_per_authority", None) or []
    for authority in authorities:
        status = getattr(getattr(authority, "status", None), "code", None)
        if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
            return SlotReading(heard, authority.values[0].value.id)
    return SlotReading(heard, None)
