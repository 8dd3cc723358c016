"""The locales the skill is built for (`model.yaml` must list exactly these).

A module of its own, with no imports, so the command line can offer them as choices without loading
what builds requests or models.
"""

from __future__ import annotations

LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
