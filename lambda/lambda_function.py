"""AWS Lambda entry point: the same skill as the web service and the CLI, built once per container.

Refuses to start without `ALEXA_SKILL_ID` (`ALEXA_ALLOW_ANY_SKILL=1` opts out on purpose); with it,
a request whose context or session names any other skill is refused. A genuine launch, intent or
touch the SDK cannot read (a value newer than it) is answered with the spoken fallback; any other
request it cannot read (a request type newer than it) gets a valid empty response. Nothing from the
request is logged here: no user, device or utterance ever reaches the logs.
"""

from __future__ import annotations

from typing import Any

from skill.runtime.app import required_skill_id
from skill.runtime.dispatch import Dispatcher

_skill = Dispatcher(required_skill_id())  # raises MissingSkillId: Lambda reports a failed init


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope; raises for another skill's request, so Alexa gets an error."""
    return _skill.lambda_handler(event, context)
