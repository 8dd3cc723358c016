"""The two Alexa request envelopes the benchmarks send: a launch and a mid-conversation question."""

from __future__ import annotations

from typing import Any

from skill.tools import envelopes
from skill.tools.envelopes import Session


def launch_event() -> dict[str, Any]:
    return envelopes.envelope(envelopes.launch(), session=Session())


def intent_event() -> dict[str, Any]:
    """A mid-conversation question: the session carries the attributes our launch answer set."""
    from skill.tools.local import Conversation

    talk = Conversation()
    talk.launch()
    session = Session(new=False, attributes=talk.session.attributes)
    return envelopes.envelope(envelopes.intent("TreatedMusclesIntent"), session=session)
