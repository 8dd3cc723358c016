"""The Alexa request envelopes the benchmarks send: a launch and mid-conversation turns."""

from __future__ import annotations

from typing import Any

from skill.tools import envelopes
from skill.tools.envelopes import Session


def launch_event() -> dict[str, Any]:
    return envelopes.envelope(envelopes.launch(), session=Session())


def mid_session(request: dict[str, Any], screen: bool = False) -> dict[str, Any]:
    """``request`` as the second turn of a conversation: the session carries the attributes our launch
    answer set (on a device with a screen, if ``screen``)."""
    from skill.tools.local import Conversation

    talk = Conversation(screen=screen)
    talk.launch()
    session = Session(new=False, attributes=talk.session.attributes)
    return envelopes.envelope(request, session=session, screen=screen)


def intent_event() -> dict[str, Any]:
    """A mid-conversation question."""
    return mid_session(envelopes.intent("TreatedMusclesIntent"))
