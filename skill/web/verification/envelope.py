"""The envelope fields verification needs (timestamp, application ID), read from the raw JSON.

Reading them from the raw body rather than ask-sdk's model keeps verification independent of the SDK
version: a genuine request of a type the SDK cannot parse can still be verified.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from skill.web.verification.errors import RequestVerificationError

TOLERANCE = dt.timedelta(seconds=150)


@dataclass(frozen=True)
class EnvelopeFacts:
    timestamp: dt.datetime | None
    """None when the envelope has no parseable timestamp; the timestamp rule then refuses it."""
    application_ids: tuple[str, ...]
    """Every application ID the envelope names (context.System and session); usually one value twice."""


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):  # json.loads only makes dicts; dict is much cheaper than Mapping
            return None
        obj = obj.get(key)
    return obj


def parse_timestamp(value: object) -> dt.datetime | None:
    """Alexa sends ISO 8601 in UTC (``2025-06-01T12:00:00Z``); a naive value is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def facts_of(envelope: dict[str, Any]) -> EnvelopeFacts:
    """What the timestamp and application ID rules look at, from an envelope already parsed."""
    timestamp = parse_timestamp(_get(envelope, "request", "timestamp"))
    candidates = (
        _get(envelope, "context", "System", "application", "applicationId"),
        _get(envelope, "session", "application", "applicationId"),
    )
    return EnvelopeFacts(timestamp, tuple(app_id for app_id in candidates if app_id is not None))


def envelope_facts(body: bytes) -> EnvelopeFacts:
    """Parse ``body`` and pull out what the timestamp and application ID rules look at."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        raise RequestVerificationError("body is not JSON", "body") from None
    if not isinstance(envelope, dict):
        raise RequestVerificationError("body is not a JSON object", "body")
    return facts_of(envelope)


def check_timestamp(timestamp: dt.datetime | None, now: dt.datetime) -> None:
    """Refuse replays: Amazon requires the request to be at most 150 seconds from our clock."""
    if timestamp is None:
        raise RequestVerificationError("request timestamp is missing or not ISO 8601", "timestamp")
    if abs(now - timestamp) > TOLERANCE:
        raise RequestVerificationError("request timestamp is outside the allowed window", "timestamp")


def check_application_id(application_ids: tuple[str, ...], skill_id: str) -> None:
    """Every application ID the envelope names must be ours, and it must name at least one."""
    if not application_ids:
        raise RequestVerificationError("request names no application ID", "application_id")
    if any(app_id != skill_id for app_id in application_ids):
        raise RequestVerificationError("request application ID is not this skill's", "application_id")
