"""The closed sets every usage label value comes from, and the vocabulary built from the content.

Anything outside its set is counted as "other", so this module is what keeps words, IDs and an unbounded
number of label values out of every figure.
"""

from __future__ import annotations

from collections.abc import Iterator

from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART

OTHER = "other"
"""Any value outside its closed set."""

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


def is_not_covered(answer: str) -> bool:
    """An honest "the leaflet does not cover that" answer, named subject or not, or an unknown body part."""
    return answer in (UNKNOWN_PART, NOT_COVERED) or answer.startswith(f"{NOT_COVERED}:")


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
