"""Shared fixtures: one skill per test session, and device-like conversations with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.app import create_skill
from skill.local import Conversation
from skill.speech import ssml_to_text


@pytest.fixture(scope="session")
def skill() -> CustomSkill:
    return create_skill()


@pytest.fixture
def talk(skill: CustomSkill) -> Callable[..., Conversation]:
    """A new conversation with the in-process skill: `talk(locale="en-GB", screen=True)`."""

    def start(locale: str = "en-US", screen: bool = False) -> Conversation:
        return Conversation(skill=skill, locale=locale, screen=screen)

    return start


def spoken_text(ssml: str | None) -> str:
    """What a listener hears, as plain text: the SSML with its tags removed."""
    assert ssml is not None, "expected speech, got silence"
    return ssml_to_text(ssml)
