"""A conversation with the skill from this machine: in-process, or over HTTP to a running server.

It behaves like a device: session attributes returned by the skill are sent back on the next turn,
and a response that ends the session starts a new one on the next request.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model.request_envelope import RequestEnvelope

from skill.tools import envelopes
from skill.tools.envelopes import Session, SlotFill

_serializer = DefaultSerializer()


def invoke(skill: CustomSkill, body: dict[str, Any]) -> dict[str, Any]:
    """Send one envelope through the skill exactly as a host would (deserialise, dispatch, serialise)."""
    request = _serializer.deserialize(json.dumps(body), RequestEnvelope)
    result = _serializer.serialize(skill.invoke(request_envelope=request, context=None))
    assert isinstance(result, dict)
    return result


def post(url: str, body: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one envelope to a running web service (the server must be started with --no-verify)."""
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        result: dict[str, Any] = json.loads(reply.read())
        return result


@dataclass(frozen=True)
class Turn:
    """What Alexa would say and show for one request."""

    speech: str | None
    reprompt: str | None
    card_title: str | None
    card_text: str | None
    ends_session: bool
    directives: list[dict[str, Any]]
    raw: dict[str, Any]

    @property
    def eliciting(self) -> tuple[str, str] | None:
        """The (intent, slot) a Dialog.ElicitSlot directive asks Alexa to listen for next, if any."""
        for directive in self.directives:
            if directive.get("type") == "Dialog.ElicitSlot":
                intent = (directive.get("updatedIntent") or {}).get("name")
                slot = directive.get("slotToElicit")
                if isinstance(intent, str) and isinstance(slot, str):
                    return intent, slot
        return None

    @classmethod
    def from_response(cls, raw: dict[str, Any]) -> Turn:
        response = raw.get("response") or {}
        card = response.get("card") or {}
        reprompt = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        return cls(
            speech=(response.get("outputSpeech") or {}).get("ssml"),
            reprompt=reprompt,
            card_title=card.get("title"),
            card_text=card.get("content"),
            ends_session=bool(response.get("shouldEndSession", True)),
            directives=list(response.get("directives") or []),
            raw=raw,
        )


@dataclass
class Conversation:
    """A device talking to the skill; `url` switches from in-process to HTTP."""

    skill: CustomSkill | None = None
    url: str | None = None
    locale: str = "en-US"
    screen: bool = False
    session: Session = field(default_factory=Session)
    ended: bool = False

    def send(self, request: dict[str, Any]) -> Turn:
        if self.ended:
            self.session, self.ended = Session(), False
        body = envelopes.envelope(request, session=self.session, screen=self.screen)
        if self.url is not None:
            raw = post(self.url, body)
        else:
            if self.skill is None:
                from skill.runtime.app import create_skill

                self.skill = create_skill()
            raw = invoke(self.skill, body)
        turn = Turn.from_response(raw)
        self.session.new = False
        self.session.attributes = dict(raw.get("sessionAttributes") or {})
        self.ended = turn.ends_session or request.get("type") == "SessionEndedRequest"
        return turn

    def launch(self) -> Turn:
        return self.send(envelopes.launch(self.locale))

    def intent(self, name: str, slots: dict[str, SlotFill] | None = None) -> Turn:
        return self.send(envelopes.intent(name, slots, self.locale))

    def touch(self, *arguments: str) -> Turn:
        return self.send(envelopes.user_event(list(arguments), self.locale))

    def end(self, reason: str = "USER_INITIATED") -> Turn:
        return self.send(envelopes.session_ended(reason, self.locale))
