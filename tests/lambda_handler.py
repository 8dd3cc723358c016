"""Load lambda/lambda_function.py the way Lambda does, with its skill ID setting, and leave the
environment as it was: the handler reads the setting once, when it is imported."""

from __future__ import annotations

import os
from types import ModuleType

from skill.tools.lambda_package import load_handler_module

SETTINGS = ("ALEXA_SKILL_ID", "ALEXA_ALLOW_ANY_SKILL")


def load_lambda(module_name: str, *, skill_id: str | None = None) -> ModuleType:
    """The handler module configured for `skill_id`, or, when None, with the documented opt-out
    (ALEXA_ALLOW_ANY_SKILL=1) so any envelope reaches the skill."""
    saved = {name: os.environ.pop(name, None) for name in SETTINGS}
    if skill_id is None:
        os.environ["ALEXA_ALLOW_ANY_SKILL"] = "1"
    else:
        os.environ["ALEXA_SKILL_ID"] = skill_id
    try:
        return load_handler_module(module_name)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
