"""Usage figures: counts of what the skill was asked and how it answered, never of who asked.

One small record (a `Turn`) per request, computed after the skill has answered, and handed to one sink:
CloudWatch Embedded Metric Format lines on AWS Lambda (`EmfWriter`), Prometheus counters in the web
service (`skill.web.metrics`), or nothing (the command line, tests).

Every value in a record comes from a closed set the skill itself defines: the request type, a locale of
the content, an intent name the handlers or `content.json` know, the answer's key (`topic:muscles`,
`part:neck`...) as `skill.runtime.replies` makes it, the session end reason Alexa's schema lists. Anything
else becomes "other". So a forged request cannot put words, IDs or an unbounded number of new label
values into any figure, and no user, device, session or request ID, and no word a patient said, is ever
read here: a slot is counted as resolved, unresolved or empty, never by its words.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Container, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import AbstractResponseInterceptor
from ask_sdk_model.slu.entityresolution.status_code import StatusCode

from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model.response import Response
    from ask_sdk_runtime.skill_builder import AbstractSkillBuilder

log = logging.getLogger(__name__)

OTHER = "other"
"""Any value outside its closed set."""
_MATCH = StatusCode.ER_SUCCESS_MATCH

REQUEST_KINDS = {
    "LaunchRequest": "launch",
    "IntentRequest": "intent",
    "Alexa.Presentation.APL.UserEvent": "touch",
    "SessionEndedRequest": "session_ended",
    "CanFulfillIntentRequest": "can_fulfill",
}
INPUTS = {"launch": "voice", "intent": "voice", "touch": "touch"}
"""How a patient asked: by voice, or by touching the Echo Show's screen. Other requests come from Alexa."""

RATE_CHANGES = {"SpeakSlowerIntent": "slower", "SpeakFasterIntent": "faster", "NormalSpeedIntent": "normal"}
REPEAT_INTENT = "AMAZON.RepeatIntent"
FALLBACK = "fallback"
SESSION_END_REASONS = frozenset({"USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"})
SESSION_ERRORS = frozenset(
    {"INVALID_RESPONSE", "DEVICE_COMMUNICATION_ERROR", "INTERNAL_SERVICE_ERROR", "ENDPOINT_TIMEOUT"}
)
CAN_FULFILL_VERDICTS = frozenset({"YES", "NO", "MAYBE"})
SLOT_OUTCOMES = ("resolved", "unresolved", "empty")

FIXED_ANSWERS = frozenset(
    {
        "welcome",
        "help",
        FALLBACK,
        "goodbye",
        "error",
        "acknowledged",
        "declined",
        "nothing_to_repeat",
        "rate",
        UNKNOWN_PART,
        NOT_COVERED,
    }
)
"""Answer keys that name no content entry (see skill.runtime.replies and the handlers)."""

FAMILIES: dict[str, tuple[tuple[str, ...], str]] = {
    "requests": (
        ("request", "locale"),
        "Requests by type (voice: launch, intent; touch; from Alexa) and locale",
    ),
    "answers": (("answer",), "Answers given, by the answer's key (repeats not included)"),
    "repeats": (("answer",), "Answers said again on request, by the answer's key"),
    "intents": (("intent",), "Intent requests by intent name"),
    "slots": (("slot", "outcome"), "Slots of slot-bearing intents: resolved, unresolved or empty"),
    "speech_rate_changes": (("direction",), "Speech rate requests: slower, faster, normal"),
    "session_ends": (("reason", "error"), "Sessions ended, by Alexa's reason and error type"),
    "can_fulfill": (("verdict",), "CanFulfillIntentRequest verdicts"),
    "errors": ((), "Requests whose handler failed (the listener heard the apology)"),
}
"""Every count a Turn adds to, with its labels: the one definition both sinks and the report share."""


class Vocabulary:
    """The closed sets a label value may come from, built from the content and the handlers once."""

    __slots__ = ("answers", "intents", "locales", "slot_intents")

    def __init__(
        self,
        locales: frozenset[str],
        intents: frozenset[str],
        answers: frozenset[str],
        slot_intents: dict[str, str],
    ) -> None:
        self.locales = locales
        self.intents = intents
        self.answers = answers
        self.slot_intents = slot_intents

    def locale(self, value: object) -> str:
        return value if isinstance(value, str) and value in self.locales else OTHER

    def intent(self, value: object) -> str:
        return value if isinstance(value, str) and value in self.intents else OTHER

    def answer(self, value: object) -> str:
        return value if isinstance(value, str) and value in self.answers else OTHER


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def build_vocabulary() -> Vocabulary:
    """Everything the skill can name: its content's locales, intents and answers, and its handlers'."""
    from skill.runtime.content import load_content
    from skill.runtime.handlers import register_all  # noqa: F401  (imports every handler class)
    from skill.runtime.handlers.base import AnswerHandler
    from skill.runtime.handlers.topics import SlotHandler

    content = load_content()
    slot_intents = {intent: cls.slot for cls in _subclasses(SlotHandler) for intent in cls.intents}  # type: ignore[attr-defined]
    intents = {name for cls in _subclasses(AnswerHandler) for name in cls.intents}  # type: ignore[attr-defined]
    intents |= set(content.topic_by_intent) | set(content.fact_by_intent) | set(content.social_by_intent)
    intents |= set(content.not_covered.subject_intents) | {"NotCoveredIntent", "AMAZON.FallbackIntent"}
    answers = set(FIXED_ANSWERS)
    answers |= {f"{kind}:{topic.id}" for topic in content.topics for kind in ("topic", "more")}
    answers |= {f"fact:{fact.id}" for fact in content.facts}
    answers |= {f"part:{part.id}" for part in content.body_parts}
    answers |= {f"{NOT_COVERED}:{subject}" for subject in content.not_covered.subjects}
    answers |= {f"social:{social}" for social in content.social}
    answers |= {f"reask:{slot}" for slot in slot_intents.values()}
    return Vocabulary(frozenset(content.pronunciations), frozenset(intents), frozenset(answers), slot_intents)


_vocabulary: Vocabulary | None = None
_slot_intents: dict[str, str] = {}
"""The vocabulary's slot intents, at hand for the interceptor (empty until the vocabulary is built)."""


def vocabulary() -> Vocabulary:
    global _vocabulary, _slot_intents
    if _vocabulary is None:
        _vocabulary = build_vocabulary()
        _slot_intents = _vocabulary.slot_intents
    return _vocabulary


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
    vocab = _vocabulary or vocabulary()
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


_failed_once = False


def _failed(exc: Exception) -> None:
    """A figure is never worth a listener's answer: note the failure once per process, and go on."""
    global _failed_once
    if not _failed_once:  # a broken sink must not flood the log either
        _failed_once = True
        log.warning("usage figures could not be recorded (%s)", type(exc).__name__)


Emit = Callable[[], None]

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
            if _vocabulary is None:
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
                    slot = _slot_intents.get(name)  # type: ignore[arg-type]
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


def count_usage(builder: AbstractSkillBuilder) -> None:
    """Register the usage figures on a skill builder: call before the handlers' exception handler."""
    builder.add_global_response_interceptor(UsageInterceptor())
    builder.add_exception_handler(FailureObserver())


NAMESPACE = "TriggerPointGuide"
"""The CloudWatch namespace of the figures (template.yaml's dashboard reads it)."""

_TOTALS = (
    "Requests",
    "Touch",
    "Answers",
    "Fallback",
    "NotCovered",
    "Repeats",
    "SlotUnresolved",
    "SlotEmpty",
    "SpeechRateChanges",
    "SessionEnds",
    "Errors",
)
"""Metrics published with the Service dimension alone. The 0/1 metrics (Touch on what patients asked,
Fallback and NotCovered on what they said, SlotUnresolved and SlotEmpty on slot intents) are present
only where they apply, so their Average is the rate."""
_BREAKDOWNS = (
    ("Answer", "Answers"),
    ("Locale", "Requests"),
    ("Request", "Requests"),
    ("SessionEndReason", "SessionEnds"),
    ("SpeechRate", "SpeechRateChanges"),
)
"""(dimension, metric): a metric also published per value of one dimension (with Service). Intent,
Slot, SlotOutcome, SessionError and CanFulfill stay properties of the line: in the log for the report
and Logs Insights, without a CloudWatch metric (and its cost) each."""


def is_not_covered(answer: str) -> bool:
    """An honest "the leaflet does not cover that" answer, named subject or not, or an unknown body part."""
    return answer in (UNKNOWN_PART, NOT_COVERED) or answer.startswith(f"{NOT_COVERED}:")


def emf_fields(turn: Turn, service: str) -> dict[str, object]:
    """The root members of the turn's EMF line: closed-set properties and metric values."""
    fields: dict[str, object] = {"Service": service, "Request": turn.request, "Locale": turn.locale}
    fields["Requests"] = 1
    spoken = turn.input
    if spoken is not None:
        fields["Input"] = spoken
        fields["Touch"] = int(spoken == "touch")
    if turn.intent is not None:
        fields["Intent"] = turn.intent
    if turn.answer is not None:
        fields["Answer"] = turn.answer
        fields["Repeats" if turn.repeat else "Answers"] = 1
        if turn.request == "intent":  # of what patients said: the Average is the rate
            fields["Fallback"] = int(turn.answer == FALLBACK)
            fields["NotCovered"] = int(is_not_covered(turn.answer))
    if turn.slot is not None:
        fields["Slot"] = turn.slot
        fields["SlotOutcome"] = turn.slot_outcome
        fields["SlotUnresolved"] = int(turn.slot_outcome == "unresolved")
        fields["SlotEmpty"] = int(turn.slot_outcome == "empty")
    if turn.rate is not None:
        fields["SpeechRate"] = turn.rate
        fields["SpeechRateChanges"] = 1
    if turn.session_end is not None:
        fields["SessionEndReason"] = turn.session_end
        fields["SessionEnds"] = 1
        if turn.session_error is not None:
            fields["SessionError"] = turn.session_error
    if turn.can_fulfill is not None:
        fields["CanFulfill"] = turn.can_fulfill
    if turn.failed:
        fields["Errors"] = 1
    return fields


def emf_directives(namespace: str, present: Iterable[str]) -> list[dict[str, Any]]:
    """The `CloudWatchMetrics` array for a line whose root has the `present` members."""
    present = frozenset(present)

    def metrics(*names: str) -> list[dict[str, str]]:
        return [{"Name": name, "Unit": "Count"} for name in names]

    totals = metrics(*(name for name in _TOTALS if name in present))
    directives: list[dict[str, Any]] = [
        {"Namespace": namespace, "Dimensions": [["Service"]], "Metrics": totals}
    ]
    by_metric: dict[str, list[list[str]]] = {}
    for dimension, metric in _BREAKDOWNS:
        if dimension in present and metric in present:
            by_metric.setdefault(metric, []).append(["Service", dimension])
    directives += [
        {"Namespace": namespace, "Dimensions": dimensions, "Metrics": metrics(metric)}
        for metric, dimensions in by_metric.items()
    ]
    return directives


MAX_CACHED_LINES = 2048
"""Distinct turns whose line is kept ready: far more than real traffic makes (every value is from a
closed set), a bound on memory whatever requests arrive."""


class EmfWriter:
    """A sink writing one CloudWatch Embedded Metric Format line per turn to a file descriptor.

    On Lambda, the function's stdout goes to its CloudWatch log group, where each line becomes metrics in
    `NAMESPACE` without any AWS call. A line's time is the minute it falls in: CloudWatch keeps these
    metrics per minute anyway, and the line then says no more about when someone asked than that. So
    each distinct turn's line is made once a minute and kept, and a request pays for a look-up and one
    unbuffered `os.write`: nothing waits in a buffer when the container is frozen, and lines from
    several threads never interleave.
    """

    def __init__(
        self,
        fd: int = 1,
        *,
        namespace: str = NAMESPACE,
        service: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fd = fd
        self.namespace = namespace
        # The function's name tells deployments apart in one account; it is configuration, not a person.
        self.service = service or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "tpi-skill"
        self.clock = clock
        self._parts: dict[TurnKey, tuple[str, str]] = {}
        self._lines: dict[TurnKey, tuple[int, bytes]] = {}

    def _line(self, key: TurnKey, minute: int) -> tuple[int, bytes]:
        """The line for `key` in `minute`, kept for the next request in that minute."""
        parts = self._parts.get(key)
        if parts is None:
            fields = emf_fields(Turn(key), self.service)
            directives = json.dumps(emf_directives(self.namespace, fields), separators=(",", ":"))
            body = json.dumps(fields, separators=(",", ":"))  # ASCII: json escapes anything else
            parts = ('{"_aws":{"Timestamp":', f',"CloudWatchMetrics":{directives}}},{body[1:]}\n')
            if len(self._parts) < MAX_CACHED_LINES:
                self._parts[key] = parts
        line = (minute, f"{parts[0]}{minute * 60_000}{parts[1]}".encode())
        if len(self._lines) < MAX_CACHED_LINES:
            self._lines[key] = line
        return line

    def line(self, key: TurnKey) -> bytes:
        minute = int(self.clock()) // 60
        kept = self._lines.get(key)
        return (kept if kept is not None and kept[0] == minute else self._line(key, minute))[1]

    def __call__(self, key: TurnKey) -> None:
        os.write(self.fd, self.line(key))

    def prepare(self, key: TurnKey) -> Emit:
        """Writes `key`'s line: on every request's path, so it does no more than that."""
        clock, write, fd = self.clock, os.write, self.fd
        kept = self._line(key, int(clock()) // 60)

        def emit() -> None:
            nonlocal kept
            minute = int(clock()) // 60
            if minute != kept[0]:
                kept = self._line(key, minute)
            write(fd, kept[1])

        return emit


def key_from_emf(fields: dict[str, Any]) -> TurnKey | None:
    """The TurnKey of an EMF line's root members (for the report); None for any other line.

    Every value is checked against its closed set again, so a tampered log cannot bring words in."""
    vocab = vocabulary()
    kind = fields.get("Request")
    if kind not in INPUTS and kind not in ("session_ended", "can_fulfill", OTHER):
        return None

    def pick(name: str, allowed: Container[str]) -> str | None:
        value = fields.get(name)
        if value is None:
            return None
        return value if type(value) is str and value in allowed else OTHER

    return (
        str(kind),
        pick("Locale", vocab.locales) or OTHER,
        pick("Intent", vocab.intents),
        pick("Answer", vocab.answers),
        pick("SlotOutcome", SLOT_OUTCOMES),
        pick("SessionEndReason", SESSION_END_REASONS),
        pick("SessionError", SESSION_ERRORS),
        pick("CanFulfill", CAN_FULFILL_VERDICTS),
        bool(fields.get("Errors")),
    )
