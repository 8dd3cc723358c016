"""ask-sdk's `CustomSkill` that can also answer an envelope its host has already parsed.

The web service parses and checks every body before the skill sees it; flask-ask-sdk would then hand
the text to the SDK to parse again, rebuild per-request objects and deep-copy the attributes. The view
calls `dispatch_envelope` instead: the same handlers, through `skill.runtime.dispatch.Dispatcher`.
Kept apart from `dispatch` because importing `ask_sdk_core.skill` costs a Lambda cold start.
"""

from __future__ import annotations

from typing import Any

from ask_sdk_core.skill import CustomSkill, SkillConfiguration

from skill.runtime.dispatch import Dispatcher


class HostedSkill(CustomSkill):
    """A `CustomSkill` (`invoke` works as ever) plus `dispatch_envelope` over the same handlers."""

    def __init__(self, skill_configuration: SkillConfiguration) -> None:
        super().__init__(skill_configuration=skill_configuration)
        self._dispatch = Dispatcher(self.skill_id, skill=self)

    def dispatch_envelope(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """The response envelope for `envelope` (a dict, as JSON gives it), as `invoke` would give it;
        except that a launch, intent or touch ask-sdk cannot read is answered in speech, not raised
        (`Dispatcher.answer`), as on Lambda."""
        return self._dispatch.answer(envelope)
