"""Resolves typed text to an intent and slots from the interaction model's own samples.

`tpi-skill ask` and `tpi-skill chat` have no Alexa service to do natural-language understanding, so this
package stands in for it with the same data Alexa is given: the generated model for the locale (plus a
few plain phrases for built-in intents that Alexa knows without samples). `text` normalises words,
`index` compiles each locale's model once, and `match` resolves against it.
"""

from __future__ import annotations

from skill.tools.nlu.match import FALLBACK_INTENT, IntentMatch, SlotValue, is_launch, normalise, resolve

__all__ = ["FALLBACK_INTENT", "IntentMatch", "SlotValue", "is_launch", "normalise", "resolve"]
