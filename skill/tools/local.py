"""A conversation with the skill from this machine: in-process, or over HTTP to a running server.

It behaves like a device: session attributes returned by the skill are sent back on the next turn,
and a response that ends the session starts a new one on the next request.

The SDK and the HTTP client are imported only by the path that uses them, so `tpi-skill ask` pays for
one of the two, not both. In-process, the skill answers through `skill.runtime.dispatch.Dispatcher`, as on
Lambda (the same answers as ask-sdk's `CustomSkill.invoke`, `tests/test_dispatch.py`), which imports none
of ask-sdk's service clients.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skill.tools import envelopes
from skill.tools.envelopes import Session, SlotFill

if TYPE_CHECKING:
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_core.skill import CustomSkill

    from skill.runtime.dispatch import Dispatcher

HTTP_TIMEOUT_S = 10.0
_serializer: DefaultSerializer | None = None


def invoke(skill: CustomSkill, body: dict[str, Any]) -> dict[str, Any]:
    """Send one envelope through the skill exactly as a host would (deserialise, dispatch, serialise)."""
    from ask_sdk_model.request_envelope import RequestEnvelope

    global _serializer
    if _serializer is None:
        from ask_sdk_core.serialize import DefaultSerializer

        _serializer = DefaultSerializer()
    request = _serializer.deserialize(json.dumps(body), RequestEnvelope)
    result = _serializer.serialize(skill.invoke(request_envelope=request, context=None))
    assert isinstance(result, dict)
    return result


@functools.cache
def local_skill() -> Dispatcher:
    """The skill, built once per process for every in-process conversation that brings none of its own."""
    from skill.runtime.dispatch import Dispatcher

    return Dispatcher()


class SkillCallError(Exception):
    """A request over HTTP got no answer from the skill, for a reason the person at the keyboard can fix.

    `refused` is true when the server answered but turned the request away (a verifying server does so
    with every request typed here, since none is signed by Alexa); otherwise nothing usable came back.
    """

    def __init__(self, url: str, problem: str, *, status: int | None = None) -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url
        self.problem = problem
        self.status = status

    @property
    def refused(self) -> bool:
        return self.status in (400, 401, 403)


def _reason(error: BaseException) -> str:
    """The useful words of a network error ("Connection refused", not "<urlopen error [Errno 111] ...>")."""
    inner = getattr(error, "reason", error)
    text = getattr(inner, "strerror", None) or str(inner)
    return str(text).strip() or type(inner).__name__


def post(url: str, body: dict[str, Any], timeout: float = HTTP_TIMEOUT_S) -> dict[str, Any]:
    """Send one envelope to a running web service (the server must be started with --no-verify).

    Every way this can fail is a `SkillCallError` saying what happened, never a raw network exception.
    """
    import http.client
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            raw = reply.read()
    except urllib.error.HTTPError as error:
        detail = _error_detail(error)
        raise SkillCallError(url, f"HTTP {error.code}{detail}", status=error.code) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        if isinstance(error, TimeoutError) or isinstance(getattr(error, "reason", None), TimeoutError):
            raise SkillCallError(url, f"no answer within {timeout:g} s") from None
        raise SkillCallError(url, _reason(error)) from None
    try:
        result = json.loads(raw)
    except ValueError:
        result = None
    if not isinstance(result, dict):
        raise SkillCallError(url, "the answer is not an Alexa response (not a JSON object)")
    return result


def _error_detail(error: Any) -> str:
    """The server's own reason for an HTTP error, when it sent one as {"error": "..."}."""
    try:
        payload = json.loads(error.read() or b"null")
    except (ValueError, OSError):
        return ""
    reason = payload.get("error") if isinstance(payload, dict) else None
    return f": {reason}" if isinstance(reason, str) and reason else ""


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
    """A device talking to the skill; `url` switches from in-process to HTTP, and `skill` from the
    process's own skill (`local_skill`) to an ask-sdk `CustomSkill` of the caller's."""

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
        elif self.skill is not None:
            raw = invoke(self.skill, body)
        else:
            raw = local_skill()(body)
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
