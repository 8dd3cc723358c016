"""What a listener hears from the skill's SSML, for tests.

Kept apart from skill.runtime.speech.ssml_to_text on purpose: the tests read speech with their own parser, so
a bug in the skill's converter cannot hide the same bug in what the tests check.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    from skill.tools.local import Turn


def spoken_text(ssml: str | None) -> str:
    """What a listener hears, as plain text: the SSML's text with its tags removed and spaces collapsed."""
    assert ssml is not None, "expected speech, got silence"
    text = "".join(ElementTree.fromstring(ssml).itertext())
    return re.sub(r"\s+", " ", text).strip()


def said(turn: Turn) -> str:
    """What a listener hears of a turn, in lower case, for looking for words in it."""
    return spoken_text(turn.speech).lower()
