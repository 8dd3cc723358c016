"""The README's sample conversation is what the skill really says, typed as a newcomer would type it."""

from __future__ import annotations

import re
from pathlib import Path

from skill.tools.cli import request_for
from skill.tools.local import Conversation
from tests.speech_text import spoken_text

README = Path(__file__).resolve().parent.parent / "README.md"


def sample_conversation() -> list[tuple[str, str]]:
    """(what was typed, what Alexa says) pairs from the README; the first is the opening (typed "")."""
    text = README.read_text("utf-8")
    block = text.split("## A sample conversation", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    turns: list[tuple[str, str]] = []
    typed = ""
    for line in block.splitlines():
        if line.startswith("You: "):
            typed = line.removeprefix("You: ").strip()
        elif line.startswith("Alexa: "):
            turns.append((typed, line.removeprefix("Alexa: ").strip()))
        elif line.startswith(" ") and turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]} {line.strip()}")
    return turns


def test_the_readme_conversation_is_what_the_skill_says() -> None:
    turns = sample_conversation()
    assert len(turns) >= 8
    conversation = Conversation(locale="en-US")
    for typed, expected in turns:
        turn = conversation.launch() if not typed else conversation.send(request_for(typed, "en-US"))
        heard = re.sub(r"\s+", " ", spoken_text(turn.speech))
        if expected.endswith("..."):
            assert heard.startswith(expected.removesuffix("...").strip()), f"{typed!r}: {heard}"
        else:
            assert heard == expected, f"{typed!r}: {heard}"
