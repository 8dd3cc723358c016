"""Real Alexa request envelopes, as the Alexa service sends them (for the CLI, tests and benchmarks).

The IDs are fixed local placeholders: they identify no one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skill.runtime import apl
from skill.tools.locales import LOCALES as LOCALES  # where tests and benchmarks have found it

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
LOCAL_USER_ID = "amzn1.ask.account.LOCAL"
LOCAL_DEVICE_ID = "amzn1.ask.device.LOCAL"
APL_INTERFACE = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}


@dataclass(frozen=True)
class SlotFill:
    """A slot as Alexa fills it: what was heard and, when entity resolution matched, the value id."""

    value: str | None
    resolved_id: str | None = None
    resolved_name: str | None = None
    slot_type: str = ""


@dataclass
class Session:
    """One conversation: its ID, whether the next request is its first, and the carried attributes."""

    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    new: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slot_json(name: str, fill: SlotFill) -> dict[str, Any]:
    slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if fill.value is None:
        return slot
    slot["value"] = fill.value
    authority = f"amzn1.er-authority.echo-sdk.{LOCAL_SKILL_ID}.{fill.slot_type or name}"
    if fill.resolved_id is not None:
        resolution = {
            "authority": authority,
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": fill.resolved_name or fill.value, "id": fill.resolved_id}}],
        }
    else:
        resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
    slot["resolutions"] = {"resolutionsPerAuthority": [resolution]}
    return slot


def envelope(
    request: dict[str, Any],
    *,
    session: Session | None = None,
    screen: bool = False,
    skill_id: str = LOCAL_SKILL_ID,
) -> dict[str, Any]:
    """Wrap a `request` object in a complete envelope with session and device context."""
    application = {"applicationId": skill_id}
    user = {"userId": LOCAL_USER_ID}
    body: dict[str, Any] = {
        "version": "1.0",
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {
                    "deviceId": LOCAL_DEVICE_ID,
                    "supportedInterfaces": dict(APL_INTERFACE) if screen else {},
                },
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "timestamp": _now(), **request},
    }
    if session is not None:
        body["session"] = {
            "new": session.new,
            "sessionId": session.session_id,
            "application": application,
            "attributes": session.attributes,
            "user": user,
        }
    return body


def launch(locale: str = "en-US") -> dict[str, Any]:
    return {"type": "LaunchRequest", "locale": locale}


def intent(name: str, slots: dict[str, SlotFill] | None = None, locale: str = "en-US") -> dict[str, Any]:
    filled = {slot: _slot_json(slot, fill) for slot, fill in (slots or {}).items()}
    return {
        "type": "IntentRequest",
        "locale": locale,
        "dialogState": "STARTED",
        "intent": {"name": name, "confirmationStatus": "NONE", "slots": filled},
    }


def session_ended(reason: str = "USER_INITIATED", locale: str = "en-US") -> dict[str, Any]:
    return {"type": "SessionEndedRequest", "locale": locale, "reason": reason}


def user_event(arguments: list[str], locale: str = "en-US") -> dict[str, Any]:
    return {
        "type": apl.USER_EVENT,
        "locale": locale,
        "token": apl.TOKEN,
        "arguments": arguments,
        "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
    }
