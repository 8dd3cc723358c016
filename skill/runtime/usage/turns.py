"""One request's usage: its `TurnKey`, read from the request and the answer, and the `Turn` it names.

`observe` runs on every request's path, so it reads only what it needs and keeps none of the words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ask_sdk_model.slu.entityresolution.status_code import StatusCode

from skill.runtime.usage import labels
from skill.runtime.usage.labels import (
    CAN_FULFILL_VERDICTS,
    INPUTS,
    OTHER,
    RATE_CHANGES,
    REPEAT_INTENT,
    REQUEST_KINDS,
    SESSION_END_REASONS,
    SESSION_ERRORS,
    Vocabulary,
    vocabulary,
)

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model.response import Response

_MATCH = StatusCode.ER_SUCCESS_MATCH

TurnKey = tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None, bool]
"""What one request counts for, as a hashable tuple of closed-set values (None: not applicable):
(request, locale, intent, answer, slot outcome, session end reason, session error, CanFulfill verdict,
failed). Sinks cache what they make of each key, since only a few hundred ever occur."""


class Turn:
    """A TurnKey with names, and what follows from its intent (repeat, speech rate, slot)."""

    __slots__ = (
        "answer",
        "can_fulfill",
        "failed",
        "intent",
        "locale",
        "rate",
        "repeat",
        "request",
        "session_end",
        "session_error",
        "slot",
        "slot_outcome",
    )

    def __init__(self, key: TurnKey) -> None:
        (
            self.request,
            self.locale,
            self.intent,
            self.answer,
            self.slot_outcome,
            self.session_end,
            self.session_error,
            self.can_fulfill,
            self.failed,
        ) = key
        intent = self.intent if self.request == "intent" else None
        self.repeat = intent == REPEAT_INTENT
        self.rate = RATE_CHANGES.get(intent) if intent is not None else None
        self.slot = vocabulary().slot_intents.get(intent) if intent is not None else None

    @property
    def input(self) -> str | None:
        return INPUTS.get(self.request)

    def increments(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(family, label values) of every count this turn adds one to (see FAMILIES)."""
        yield "requests", (self.request, self.locale)
        if self.intent is not None and self.request == "intent":
            yield "intents", (self.intent,)
        if self.answer is not None:
            yield ("repeats" if self.repeat else "answers"), (self.answer,)
        if self.slot is not None and self.slot_outcome is not None:
            yield "slots", (self.slot, self.slot_outcome)
        if self.rate is not None:
            yield "speech_rate_changes", (self.rate,)
        if self.session_end is not None:
            yield "session_ends", (self.session_end, self.session_error or "none")
        if self.can_fulfill is not None:
            yield "can_fulfill", (self.can_fulfill,)
        if self.failed:
            yield "errors", ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Turn({fields})"


def _enum_value(value: object) -> object:
    return getattr(value, "value", value)


def observe(handler_input: HandlerInput, response: Response | None, failed: bool = False) -> TurnKey:
    """The TurnKey of a request the skill has just answered with `response` (or failed to answer).

    On every request's path, so it reads only what it needs, once; anything unexpected is "other"."""
    vocab = labels._vocabulary or vocabulary()
    envelope = handler_input.request_envelope
    request = envelope.request
    kind = REQUEST_KINDS.get(getattr(request, "object_type", None), OTHER)  # type: ignore[arg-type]
    locale = getattr(request, "locale", None)
    if type(locale) is not str or locale not in vocab.locales:
        locale = OTHER
    intent = answer = outcome = end = error = verdict = None
    if kind == "intent" or kind == "can_fulfill":
        name = getattr(getattr(request, "intent", None), "name", None)
        intent = name if type(name) is str and name in vocab.intents else OTHER
        slot = vocab.slot_intents.get(intent) if kind == "intent" else None
        if slot is not None:
            outcome = _slot_outcome(getattr(request, "intent", None), slot)
    if kind in INPUTS:
        answer = "error" if failed else _answer(handler_input, response, vocab)
    elif kind == "session_ended":
        reason = _enum_value(getattr(request, "reason", None))
        end = reason if reason in SESSION_END_REASONS else OTHER
        code = _enum_value(getattr(getattr(request, "error", None), "object_type", None))
        error = None if code is None else code if code in SESSION_ERRORS else OTHER
    elif kind == "can_fulfill" and response is not None:
        value = _enum_value(getattr(getattr(response, "can_fulfill_intent", None), "can_fulfill", None))
        verdict = value if value in CAN_FULFILL_VERDICTS else OTHER
    return (kind, locale, intent, answer, outcome, end, error, verdict, failed)


def _slot_outcome(intent: Any, slot: str) -> str:
    """Resolved (Alexa matched a listed value), unresolved (words, no match) or empty: what
    `skill.runtime.slots.read_slot` would say, read without keeping the words."""
    filled = (getattr(intent, "slots", None) or {}).get(slot)
    if filled is None:
        return "empty"
    for authority in getattr(filled.resolutions, "resolutions_per_authority", None) or ():
        if getattr(getattr(authority, "status", None), "code", None) == _MATCH and authority.values:
            return "resolved"
    value = filled.value
    return "unresolved" if isinstance(value, str) and value.strip() else "empty"


def _answer(handler_input: HandlerInput, response: Response | None, vocab: Vocabulary) -> str | None:
    """The key `respond` noted for this turn; None when nothing was said or there is no session."""
    if response is None or response.output_speech is None or handler_input.request_envelope.session is None:
        return None
    answered = (handler_input.attributes_manager.session_attributes or {}).get("answered")
    return answered if type(answered) is str and answered in vocab.answers else OTHER


Sink = Callable[[TurnKey], None]
"""Where turns go: `EmfWriter`, the web's Prometheus counters, or a test's list."""

Emit = Callable[[], None]
"""What a sink prepared for one TurnKey: calling it counts that turn once more."""
