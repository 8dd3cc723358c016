"""Shared fixtures: one skill per test session, and device-like conversations with it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.runtime.app import create_skill
from skill.tools.local import Conversation


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The local NLU caches its index under $XDG_CACHE_HOME: tests, and the commands they start, use
    their own folder rather than the developer's."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(scope="session")
def skill() -> CustomSkill:
    return create_skill()


@pytest.fixture
def talk(skill: CustomSkill) -> Callable[..., Conversation]:
    """A new conversation with the in-process skill: `talk(locale="en-GB", screen=True)`."""

    def start(locale: str = "en-US", screen: bool = False) -> Conversation:
        return Conversation(skill=skill, locale=locale, screen=screen)

    return start


@pytest.fixture
def every_log_record(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG on the root logger: a privacy check must see every line, not only WARNING and up."""
    with caplog.at_level(logging.DEBUG):
        yield caplog
