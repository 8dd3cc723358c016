"""`tpi-skill ask` and `tpi-skill chat` as a newcomer uses them: typed words in, Alexa's words out."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from skill.cli import Speaker, main, run_chat
from skill.local import Conversation
from tests.helpers_server import running_skill

# A patient's phrasing per topic, and a fact from the leaflet the answer must contain.
QUESTIONS = {
    "what are trigger point injections": "treat muscular pain",
    "which muscles are treated": "quadratus lumborum",
    "what do they help with": "myofascial pain",
    "what are trigger points": "knots",
    "how do they find a trigger point": "palpating",
    "what is injected": "local anaesthetic",
    "where can the pain be felt": "buttocks",
    "what is piriformis syndrome": "sciatic nerve",
    "when would I need an injection": "caused by muscles",
    "are they safe": "generally safe",
    "tell me about the traps": "back of your neck and shoulders",
    "what about the biceps": "doesn't say anything about the biceps",
    "what are the side effects": "doesn't cover side effects",
    "how much does it cost": "doctor or nurse",
}


@pytest.mark.parametrize(("question", "fact"), sorted(QUESTIONS.items()))
def test_ask_answers_a_typed_question(capsys: pytest.CaptureFixture[str], question: str, fact: str) -> None:
    assert main(["ask", question]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Alexa: ")
    assert fact in out.lower()


def test_ask_in_another_locale(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ask", "--locale", "en-IN", "what", "is", "injected"])
    assert "corticosteroid" in capsys.readouterr().out


def lines(*typed: str) -> Iterator[str | None]:
    yield from typed
    yield None


def chat(*typed: str, locale: str = "en-US", url: str | None = None) -> str:
    out = io.StringIO()
    feed = lines(*typed)
    assert run_chat(Conversation(locale=locale, url=url), lambda: next(feed), out) == 0
    return out.getvalue()


def alexa_lines(transcript: str) -> list[str]:
    """What Alexa said in a chat transcript, one line per answer (reprompt notes and prompts left out)."""
    return [line for line in transcript.splitlines() if line.startswith("Alexa:")]


def test_chat_holds_a_whole_conversation_with_follow_ups() -> None:
    transcript = chat(
        "what are trigger point injections",
        "yes",
        "tell me more",
        "speak slower",
        "repeat that",
        "what's the weather like in paris",
        "stop",
    )
    answers = alexa_lines(transcript)
    assert "Welcome" in answers[0]
    assert "muscular pain" in answers[1]
    assert "quadratus lumborum" in answers[2]  # yes: the offered muscles topic
    assert "sides of your neck" in answers[3]  # more about the muscles
    assert "more slowly" in answers[4]
    assert answers[5] == answers[3]  # repeat says the last answer again
    assert "can't answer that from the leaflet" in answers[6]
    assert "Goodbye" in answers[7]
    assert "[session ended]" in transcript
    assert "(if you say nothing:" in transcript


def test_chat_starts_a_new_session_after_stop() -> None:
    transcript = chat("stop", "open trigger point guide", "which muscles are treated")
    answers = alexa_lines(transcript)
    assert "Goodbye" in answers[1]
    assert "Welcome" in answers[2]
    assert "trapezius" in answers[3]


def test_chat_over_http_carries_the_session_like_a_device() -> None:
    with running_skill() as url:
        transcript = chat("which muscles are treated", "speak slower", "say that again", "stop", url=url)
    answers = alexa_lines(transcript)
    assert "trapezius" in answers[1]
    assert answers[3] == answers[1]
    assert "Goodbye" in answers[4]


@pytest.mark.parametrize(
    "opening",
    ["Alexa, open trigger point guide", "Open Trigger Point Guide, please.", "ask trigger point guide"],
)
def test_opening_the_skill_the_way_people_say_it_welcomes_them(opening: str) -> None:
    transcript = chat("stop", opening)
    assert "Welcome" in alexa_lines(transcript)[2]


def test_start_over_is_not_mistaken_for_opening_the_skill() -> None:
    transcript = chat("which muscles are treated", "start over", "yes")
    answers = alexa_lines(transcript)
    assert "Welcome" in answers[2]
    assert "relieve" not in answers[3], "start over should forget the offered topic"


def test_speak_explains_how_to_install_espeak_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    out = io.StringIO()
    Speaker(out)
    assert "apt-get install espeak-ng" in out.getvalue()


def test_serve_refuses_no_verify_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--no-verify"]) == 2
    assert "loopback" in capsys.readouterr().err
