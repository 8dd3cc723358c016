"""What the skill remembers within one conversation, kept only in Alexa session attributes.

Attributes come back from the device on every turn, so they are read defensively: a value of the
wrong type is treated as absent rather than trusted. Nothing here identifies a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skill.runtime.content import SpeechRates

RATE = "rate"
TOPIC = "topic"
OFFERED = "offered"
LAST = "last"
HELP_PAGE = "help_page"
ANSWERED = "answered"


def _page_number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass(frozen=True)
class Spoken:
    """The last answer, kept so "repeat" can say it again word for word."""

    speech: str
    reprompt: str | None
    title: str
    card_text: str
    key: str = ""
    more_topic: str | None = None
    """The topic whose "more" was still unheard: the screen's first button when said again."""
    elicit: tuple[str, str] | None = None
    """(intent, slot) the answer asked for, asked for again when it is repeated."""
    offered: str | None = None
    """The topic the answer offered ("Would you like to hear...?"): offered again when it is repeated."""
    help_page: int | None = None
    """The help page the answer offered next, likewise."""

    def to_attributes(self) -> dict[str, Any]:
        return {
            "speech": self.speech,
            "reprompt": self.reprompt,
            "title": self.title,
            "card": self.card_text,
            "key": self.key,
            "more_topic": self.more_topic,
            "elicit": list(self.elicit) if self.elicit else None,
            "offered": self.offered,
            "help_page": self.help_page,
        }

    @classmethod
    def from_attributes(cls, raw: object) -> Spoken | None:
        if not isinstance(raw, dict):
            return None
        speech, reprompt, title, card = (raw.get(key) for key in ("speech", "reprompt", "title", "card"))
        if not (isinstance(speech, str) and isinstance(title, str) and isinstance(card, str)):
            return None
        if not speech.strip():  # never saved by the skill; repeating it would be silence
            return None
        key, more_topic, elicit = raw.get("key"), raw.get("more_topic"), raw.get("elicit")
        offered, help_page = raw.get("offered"), raw.get("help_page")
        wanted = (
            (elicit[0], elicit[1])
            if isinstance(elicit, list) and len(elicit) == 2 and all(isinstance(part, str) for part in elicit)
            else None
        )
        return cls(
            speech,
            reprompt if isinstance(reprompt, str) else None,
            title,
            card,
            key if isinstance(key, str) else "",
            more_topic if isinstance(more_topic, str) else None,
            wanted,
            offered if isinstance(offered, str) else None,
            _page_number(help_page),
        )


class SessionState:
    """Typed view over the session attributes dict (mutations write through)."""

    def __init__(self, attributes: dict[str, Any]) -> None:
        self._attributes = attributes

    def _text(self, key: str) -> str | None:
        value = self._attributes.get(key)
        return value if isinstance(value, str) else None

    def rate_level(self, rates: SpeechRates) -> int:
        """The listener's chosen level, or normal when none (or a nonsense one) was kept."""
        value = self._attributes.get(RATE)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(rates.levels):
            return value
        return rates.normal

    def set_rate_level(self, level: int) -> None:
        self._attributes[RATE] = level

    @property
    def topic(self) -> str | None:
        return self._text(TOPIC)

    @property
    def offered(self) -> str | None:
        return self._text(OFFERED)

    @property
    def last(self) -> Spoken | None:
        return Spoken.from_attributes(self._attributes.get(LAST))

    @property
    def help_page(self) -> int | None:
        return _page_number(self._attributes.get(HELP_PAGE))

    def move_on(self, topic: str | None, offered: str | None, help_page: int | None) -> None:
        """A new answer was given: what "tell me more", "yes" and "more" now refer to."""
        self._set_or_clear(TOPIC, topic)
        self._set_or_clear(OFFERED, offered)
        self._set_or_clear(HELP_PAGE, help_page)

    def remember_last(self, spoken: Spoken) -> None:
        self._attributes[LAST] = spoken.to_attributes()

    def note_answered(self, key: str) -> None:
        """What kind of answer this turn gave (the skill's own key, no words of the listener's). The skill
        never reads it back: it is the observable record the tests and the understanding evaluation
        judge a response by, so they need no guesses from its wording."""
        self._attributes[ANSWERED] = key

    def decline_offer(self) -> None:
        """ "No" to the offered topic: stop offering it, keep the topic for "tell me more"."""
        self._attributes.pop(OFFERED, None)
        self._attributes.pop(HELP_PAGE, None)

    def forget_conversation(self) -> None:
        """Start over: drop what was said, keep the listener's chosen speech rate."""
        for key in (TOPIC, OFFERED, LAST, HELP_PAGE):
            self._attributes.pop(key, None)

    def _set_or_clear(self, key: str, value: str | int | None) -> None:
        if value is None:
            self._attributes.pop(key, None)
        else:
            self._attributes[key] = value
