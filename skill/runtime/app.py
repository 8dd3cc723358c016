"""Builds the skill object shared by the web service, AWS Lambda and the command line."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Lambda path never imports these: ask_sdk_core.skill pulls in every service client
    from ask_sdk_core.skill import CustomSkill
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_runtime.skill_builder import AbstractSkillBuilder

SKILL_ID_ENV = "ALEXA_SKILL_ID"


def skill_id_from_env() -> str | None:
    """The configured skill ID (Lambda, gunicorn, `tpi-skill serve`); blank counts as not set."""
    return os.environ.get(SKILL_ID_ENV, "").strip() or None


ALLOW_ANY_SKILL_ENV = "ALEXA_ALLOW_ANY_SKILL"
"""Exactly `1` lets a production entry point run without a skill ID, answering any skill's requests."""


class MissingSkillId(RuntimeError):
    """A production entry point was started without a skill ID and without the explicit opt-out."""


def required_skill_id() -> str | None:
    """The skill ID a production entry point (Lambda, gunicorn) must check, read once at start-up.

    Refuses to start without one: a deployed skill that answers every skill's signed requests is a
    misconfiguration nobody notices. `ALEXA_ALLOW_ANY_SKILL=1` is the documented way to mean it on purpose.
    """
    skill_id = skill_id_from_env()
    if skill_id or os.environ.get(ALLOW_ANY_SKILL_ENV, "").strip() == "1":
        return skill_id
    raise MissingSkillId(
        f"set {SKILL_ID_ENV} to your skill's ID (amzn1.ask.skill...), or {ALLOW_ANY_SKILL_ENV}=1 to answer"
        " requests for any skill on purpose"
    )


def register(builder: AbstractSkillBuilder) -> None:
    """Everything the skill is made of, on any builder: ask-sdk's `SkillBuilder` (web service, command
    line) or the plain one behind `skill.runtime.dispatch.Dispatcher` (Lambda, and the web's dispatch)."""
    from skill.runtime.handlers import register_all
    from skill.runtime.usage import count_usage

    count_usage(builder)  # first: its failure observer must see a failed turn before the apology answers
    register_all(builder)


def create_skill_builder(skill_id: str | None = None) -> SkillBuilder:
    """Return ask-sdk's builder with every handler registered; `skill_id` turns on its skill ID check."""
    from ask_sdk_core.skill_builder import SkillBuilder

    builder = SkillBuilder()
    if skill_id:
        builder.skill_id = skill_id  # type: ignore[assignment]  # the SDK annotates it as None
    register(builder)
    return builder


def create_skill(skill_id: str | None = None) -> CustomSkill:
    """Return the ready-to-invoke skill (ask-sdk's `CustomSkill`).

    It can also answer an envelope its host has already parsed, without the SDK's second parse and
    per-request work: `skill.dispatch_envelope(envelope)` (see `skill.runtime.hosted`). The web
    service's view calls that.
    """
    from skill.runtime.hosted import HostedSkill

    return HostedSkill(create_skill_builder(skill_id).skill_configuration)
