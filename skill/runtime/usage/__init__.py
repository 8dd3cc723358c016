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

The package, one module per concern: `labels` (the closed sets), `turns` (one request's record),
`emf` (the Lambda sink and its log lines), `sinks` (choosing the sink, and the ask-sdk hooks).
"""

from skill.runtime.usage.emf import NAMESPACE, EmfWriter, key_from_emf
from skill.runtime.usage.labels import (
    CAN_FULFILL_VERDICTS,
    FALLBACK,
    FAMILIES,
    OTHER,
    RATE_CHANGES,
    REQUEST_KINDS,
    SESSION_END_REASONS,
    SESSION_ERRORS,
    SLOT_OUTCOMES,
    is_not_covered,
    vocabulary,
)
from skill.runtime.usage.sinks import (
    USAGE_ENV,
    count_unread,
    count_usage,
    current_sink,
    prepared,
    set_sink,
    sink_from_env,
)
from skill.runtime.usage.turns import Sink, Turn, TurnKey

__all__ = [
    "CAN_FULFILL_VERDICTS",
    "FALLBACK",
    "FAMILIES",
    "NAMESPACE",
    "OTHER",
    "RATE_CHANGES",
    "REQUEST_KINDS",
    "SESSION_END_REASONS",
    "SESSION_ERRORS",
    "SLOT_OUTCOMES",
    "USAGE_ENV",
    "EmfWriter",
    "Sink",
    "Turn",
    "TurnKey",
    "count_unread",
    "count_usage",
    "current_sink",
    "is_not_covered",
    "key_from_emf",
    "prepared",
    "set_sink",
    "sink_from_env",
    "vocabulary",
]
