"""WSGI entry point for production: ``skill.web.wsgi:app``, served by gunicorn behind nginx
(``deploy/production.py``), or by any WSGI server.

Verification is always on here: production has no reason to turn it off. The app refuses to start
without ``ALEXA_SKILL_ID``, since a deployed skill answering every skill's signed requests is a
misconfiguration nobody notices; ``ALEXA_ALLOW_ANY_SKILL=1`` says that is meant.
"""

from __future__ import annotations

import logging

from flask import Flask

from skill.runtime.app import MissingSkillId, required_skill_id
from skill.web.service import create_app

logger = logging.getLogger(__name__)

APP_LOAD_ERROR = 4
"""gunicorn's exit code for "the app failed to load": its master then stops instead of restarting."""


def build_app() -> Flask:
    """Build the production app from the environment; raises ``MissingSkillId`` without a skill ID."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return create_app(skill_id=required_skill_id())


def __getattr__(name: str) -> Flask:
    """Build ``app`` when the server first asks for it, so importing this module (tests) builds nothing.

    Without a skill ID the process exits with one line saying what to set, not a traceback.
    """
    if name != "app":
        raise AttributeError(name)
    try:
        app = build_app()
    except MissingSkillId as missing:
        logger.critical("Refusing to start: %s", missing)
        raise SystemExit(APP_LOAD_ERROR) from None
    globals()["app"] = app
    return app
