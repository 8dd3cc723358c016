"""Every request handler, registered in one place. Order matters: the first match answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from skill.runtime.handlers.can_fulfill import CanFulfillHandler
from skill.runtime.handlers.conversation import (
    FallbackHandler,
    GoodbyeHandler,
    HelpHandler,
    LaunchHandler,
    StartOverHandler,
)
from skill.runtime.handlers.followups import NoHandler, RepeatHandler, TellMeMoreHandler, YesHandler
from skill.runtime.handlers.lifecycle import ApologiseOnError, SilentHandler
from skill.runtime.handlers.screen import ScreenTouchHandler
from skill.runtime.handlers.speech_rate import SpeechRateHandler
from skill.runtime.handlers.topics import (
    BodyPartHandler,
    FactHandler,
    NotCoveredHandler,
    SocialHandler,
    SubjectHandler,
    TopicHandler,
)

if TYPE_CHECKING:  # not at run time: ask_sdk_core.skill_builder imports every Alexa service client
    from ask_sdk_runtime.skill_builder import AbstractSkillBuilder


def register_all(builder: AbstractSkillBuilder) -> None:
    for handler in (
        CanFulfillHandler(),  # first: it must never reach a handler that speaks or remembers
        LaunchHandler(),
        TopicHandler(),
        FactHandler(),
        BodyPartHandler(),
        SubjectHandler(),
        NotCoveredHandler(),
        SocialHandler(),
        ScreenTouchHandler(),
        TellMeMoreHandler(),
        YesHandler(),
        NoHandler(),
        RepeatHandler(),
        SpeechRateHandler(),
        HelpHandler(),
        StartOverHandler(),
        GoodbyeHandler(),
        FallbackHandler(),  # after every intent handler: catches unknown intents too
        SilentHandler(),  # last: anything else gets a valid empty response
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(ApologiseOnError())
