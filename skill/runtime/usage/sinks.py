"""Where turns go (`USAGE_METRICS`, `set_sink`), and the ask-sdk hooks that send them there.

The hooks run on every request and must never cost a listener an answer, so they cache what a sink
prepared for the common requests and swallow any failure, noting it at most once an interval.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import AbstractResponseInterceptor

from skill.runtime.throttle import ThrottledLog
from skill.runtime.usage import labels
from skill.runtime.usage.emf import MAX_CACHED_LINES, EmfWriter
from skill.runtime.usage.labels import OTHER, vocabulary
from skill.runtime.usage.turns import Emit, Sink, TurnKey, _enum_value, _slot_outcome, observe

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model.response import Response
    from ask_sdk_runtime.skill_builder import AbstractSkillBuilder

log = logging.getLogger("skill.runtime.usage")  # the name the log showed before the split

USAGE_ENV = "USAGE_METRICS"
"""`emf` (CloudWatch Embedded Metric Format on stdout) or `off`. Unset: `emf` on AWS Lambda, else off."""

_UNSET: Any = object()
_sink: Sink | None = _UNSET


def set_sink(sink: Sink | None) -> Sink | None:
    """Where every skill built in this process sends its turns from now on (None: nowhere). Returns the
    sink it replaces, to put back (tests)."""
    global _sink
    previous, _sink = _sink, sink
    _known.clear()  # what was prepared for the old sink
    return previous


def sink_from_env() -> Sink | None:
    """The sink the environment asks for: EMF on AWS Lambda (or with USAGE_METRICS=emf), else none."""
    choice = os.environ.get(USAGE_ENV, "").strip().lower()
    if choice == "off":
        return None
    if choice == "emf" or (not choice and os.environ.get("AWS_LAMBDA_FUNCTION_NAME")):
        return EmfWriter()
    return None


def current_sink() -> Sink | None:
    global _sink
    if _sink is _UNSET:
        _sink = sink_from_env()
    return _sink


_failures = ThrottledLog(log)
"""A broken sink must not flood the log, nor go quiet for good: one line per interval, with a count."""


def _failed(exc: Exception) -> None:
    """A figure is never worth a listener's answer: note the failure (the type only), and go on."""
    _failures.log("usage figures could not be recorded (%s)", type(exc).__name__)


_known: dict[tuple[object, ...], Emit] = {}
"""What most requests come down to, mapped to what the sink prepared for their TurnKey (`prepare`):
(type, locale, intent name, answer key, slot outcome) for a spoken answer in a session, (type, locale,
reason, error type) for a session's end. Only combinations whose every value is in its closed set are
kept, so it stays small whatever arrives; anything else takes `observe`'s full path."""


def prepared(sink: Sink, key: TurnKey) -> Emit:
    """What counts `key` into `sink`: its own `prepare(key)` (work done once per kind of turn), or a
    plain call."""
    prepare = getattr(sink, "prepare", None)
    if prepare is not None:
        emit: Emit = prepare(key)
        return emit
    return lambda: sink(key)


def _cacheable(key: TurnKey) -> bool:
    return OTHER not in key and not key[8] and (key[0] == "session_ended" or key[3] is not None)


class UsageInterceptor(AbstractResponseInterceptor):
    """After every answered request: count it. Never raises."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        sink = _sink if _sink is not _UNSET else current_sink()
        if sink is None:
            return
        try:
            if labels._vocabulary is None:
                vocabulary()  # before a slot intent's raw values are read below
            # The common requests' raw values, read inline (this runs on every request): see _known.
            envelope = handler_input.request_envelope
            request: Any = envelope.request
            kind = request.object_type
            raw: tuple[object, ...] | None = None
            if kind == "SessionEndedRequest":
                error = request.error
                code = None if error is None else _enum_value(error.object_type)
                raw = (kind, request.locale, _enum_value(request.reason), code)
            elif response is not None and response.output_speech is not None and envelope.session is not None:
                attributes: Any = handler_input.attributes_manager.session_attributes
                answered = attributes.get("answered")
                if kind != "IntentRequest":
                    raw = (kind, request.locale, None, answered, None)
                else:
                    intent = request.intent
                    name = getattr(intent, "name", None)  # an IntentRequest without an intent: junk
                    slot = labels._slot_intents.get(name)  # type: ignore[arg-type]
                    outcome = None if slot is None else _slot_outcome(intent, slot)
                    raw = (kind, request.locale, name, answered, outcome)
            try:
                emit = _known.get(raw) if raw is not None else None
            except TypeError:  # a value no dictionary can hold is not one of the skill's anyway
                raw = emit = None
            if emit is None:
                key = observe(handler_input, response)
                emit = prepared(sink, key)
                if raw is not None and _cacheable(key) and len(_known) < MAX_CACHED_LINES:
                    _known[raw] = emit
            emit()
        except Exception as exc:
            _failed(exc)


class FailureObserver(AbstractExceptionHandler):
    """Registered before the apology handler: counts a failed turn, then lets the apology answer it.

    Response interceptors do not run when a handler raises, so this is the only place a failure is seen.
    It never claims the exception (`can_handle` is always False)."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        sink = current_sink()
        if sink is not None:
            try:
                sink(observe(handler_input, None, failed=True))
            except Exception as exc:
                _failed(exc)
        return False

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:  # pragma: no cover
        raise exception


def count_unread(locale: object) -> None:
    """Count a request ask-sdk could not read (so no hook saw it) as one of kind "other", with its locale
    if the content has that locale. Never raises."""
    sink = current_sink()
    if sink is None:
        return
    try:
        name = locale if isinstance(locale, str) and locale in vocabulary().locales else OTHER
        sink((OTHER, name, None, None, None, None, None, None, False))
    except Exception as exc:
        _failed(exc)


def count_usage(builder: AbstractSkillBuilder) -> None:
    """Register the usage figures on a skill builder: call before the handlers' exception handler."""
    builder.add_global_response_interceptor(UsageInterceptor())
    builder.add_exception_handler(FailureObserver())
