"""AWS Lambda entry point: the same skill object as the web service and the CLI.

The handler is built once, at import, so warm invocations pay only for dispatch. When
`ALEXA_SKILL_ID` is set, requests for any other skill are refused by the SDK's application ID check.
Nothing from the request is logged here: no user, device or utterance ever reaches the logs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skill.runtime.app import create_skill_builder, skill_id_from_env

# The SDK's own wrapper: deserialise the envelope, check the skill ID, dispatch, serialise the answer.
_handle: Callable[..., Any] = create_skill_builder(skill_id_from_env()).lambda_handler()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope; raises when the skill ID check fails, so Alexa gets an error."""
    response: dict[str, Any] = _handle(event, context)
    return response
