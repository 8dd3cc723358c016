"""AWS Lambda entry point: the same skill object as the web service and the CLI.

The handler is built once, at import, so warm invocations pay only for dispatch. When
`ALEXA_SKILL_ID` is set, requests for any other skill are refused by the SDK's application ID check.
Nothing from the request is logged here: no user, device or utterance ever reaches the logs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from skill.app import create_skill_builder

_SKILL_ID = os.environ.get("ALEXA_SKILL_ID", "").strip() or None

# The SDK's own wrapper: deserialise the envelope, check the skill ID, dispatch, serialise the answer.
_handle: Callable[..., Any] = create_skill_builder(_SKILL_ID).lambda_handler()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope; raises when the skill ID check fails, so Alexa gets an error."""
    response: dict[str, Any] = _handle(event, context)
    return response
