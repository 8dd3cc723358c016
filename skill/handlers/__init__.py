"""Every request handler, registered in one place (order matters: first match wins)."""

from __future__ import annotations

from ask_sdk_core.skill_builder import SkillBuilder


def register_all(builder: SkillBuilder) -> None:
    from skill.handlers import placeholder

    builder.add_request_handler(placeholder.LaunchHandler())
