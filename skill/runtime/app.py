"""Builds the skill object shared by the web service, AWS Lambda and the command line."""

from __future__ import annotations

import os

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder

SKILL_ID_ENV = "ALEXA_SKILL_ID"


def skill_id_from_env() -> str | None:
    """The configured skill ID (Lambda, gunicorn, `tpi-skill serve`); blank counts as not set."""
    return os.environ.get(SKILL_ID_ENV, "").strip() or None


def create_skill_builder(skill_id: str | None = None) -> SkillBuilder:
    """Return a builder with every handler registered; `skill_id` turns on the application ID check."""
    builder = SkillBuilder()
    if skill_id:
        builder.skill_id = skill_id  # type: ignore[assignment]  # the SDK annotates it as None
    from skill.runtime.handlers import register_all

    register_all(builder)
    return builder


def create_skill(skill_id: str | None = None) -> CustomSkill:
    """Return the ready-to-invoke skill."""
    return create_skill_builder(skill_id).create()
