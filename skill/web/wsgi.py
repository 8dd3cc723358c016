"""WSGI entry point for gunicorn (``gunicorn -c gunicorn.conf.py skill.web.wsgi:app``).

Verification is always on here: production has no reason to turn it off. Set ``ALEXA_SKILL_ID`` so
requests meant for other skills are refused too.
"""

from __future__ import annotations

import logging

from flask import Flask

from skill.runtime.app import skill_id_from_env
from skill.web.service import create_app


def build_app() -> Flask:
    """Build the production app from the environment."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return create_app(skill_id=skill_id_from_env())


app = build_app()
