"""`tpi-skill ask` and `tpi-skill chat` as a newcomer uses them: typed words in, Alexa's words out."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from skill.tools.cli import main, request_for, run_chat
from skill.tools.local import Conversation, Turn
from tests.helpers_server import running_skill


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers on one line each, whatever the terminal the tests run in, and tracebacks for the tests."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setenv("TPI_SKILL_DEBUG", "1")


# A patient's phrasing per topic, and a fact from the leaflet the answer must contain (en-US spelling).
QUESTIONS = {
    "what are trigger point injections": "treat muscular pain",
    "which muscles are treated": "quadratus lumborum",
    "what do they help with": "myofascial pain",
    "what are trigger points": "knots",
    "how do they find a trigger point": "palpating",
    "what is injected": "local anesthetic",
    "where can the pain be felt": "buttocks",
    "what is piriformis syndrome": "sciatic nerve",
    "when would I need an injection": "caused by muscles",
    "are they safe": "generally safe",
    "tell me about the traps": "back of your neck and shoulders",
    "my lower back hurts": "deep muscle in your lower back",
    "what causes trigger points": "microtrauma",
    "is it a steroid": "with or without a corticosteroid",
    "what are the side effects": "risks or side effects, please ask your doctor or nurse",
    "how much does it cost": "doctor or nurse",
    "are you a doctor": "not a doctor",
}
# Words the leaflet does not know: the answer is honest and never repeats them.
UNKNOWN = {
    "what about the biceps": ("biceps", "doesn't mention that part of the body"),
    "i have pain in my knee": ("knee", "doesn't mention that part of the body"),
    "does the leaflet mention bruising": ("bruising", "doesn't cover"),
}


@pytest.mark.parametrize(("question", "fact"), sorted(QUESTIONS.items()))
def test_ask_answers_a_typed_question(capsys: pytest.CaptureFixture[str], question: str, fact: str) -> None:
    assert main(["ask", question]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Alexa: ")
    assert fact in out.lower()


@pytest.mark.parametrize(("question", "expected"), sorted(UNKNOWN.items()))
def test_ask_never_reads_back_words_the_leaflet_does_not_know(
    capsys: pytest.CaptureFixture[str], question: str, expected: tuple[str, str]
) -> None:
    word, answer = expected
    assert main(["ask", question]) == 0
    out = capsys.readouterr().out.lower()
    assert answer in out
    assert word not in out
    assert "doctor or nurse" in out


def test_ask_in_another_locale(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ask", "--locale", "en-IN", "what", "is", "injected"])
    assert "corticosteroid" in capsys.readouterr().out


def lines(*typed: str) -> Iterator[str | None]:
    yield from typed
    yield None


def chat(*typed: str, locale: str = "en-US", url: str | None = None, again: bool = False) -> str:
    out = io.StringIO()
    feed = lines(*typed)
    assert run_chat(Conversation(locale=locale, url=url), lambda: next(feed), out, again=again) == 0
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
    assert "didn't catch a question" in answers[6]
    assert "paris" not in answers[6].lower()
    assert "Goodbye" in answers[7]
    assert "[session ended]" in transcript
    assert "(if you say nothing:" in transcript


class ReAskFirst(Conversation):
    """A device whose first answer is the skill's re-ask for an empty body-part slot."""

    def launch(self) -> Turn:
        return self.intent("BodyPartIntent")


def test_chat_reads_the_answer_to_a_re_ask_with_that_slot_s_samples() -> None:
    out = io.StringIO()
    feed = lines("biceps", "biceps")
    assert run_chat(ReAskFirst(), lambda: next(feed), out) == 0
    answers = alexa_lines(out.getvalue())
    assert "Which part of your body" in answers[0]
    # Answering the re-ask, a bare "biceps" is the part asked for: the honest unknown-part answer...
    assert "doesn't mention that part of the body" in answers[1]
    # ...but outside one, a bare word is no question at all.
    assert "didn't catch a question" in answers[2]
    assert "biceps" not in out.getvalue().replace("You: ", "")


@pytest.mark.parametrize(("typed", "fact"), [("my neck", "neck muscles"), ("the hip", "muscle in your hip")])
def test_a_re_ask_is_answered_with_the_part_named(typed: str, fact: str) -> None:
    conversation = Conversation()
    asked = conversation.intent("BodyPartIntent")
    assert asked.eliciting == ("BodyPartIntent", "bodyPart")
    assert asked.ends_session is False
    answer = conversation.send(request_for(typed, "en-US", asked.eliciting))
    assert answer.eliciting is None
    assert fact in (answer.speech or "")


def test_stop_ends_chat_with_the_goodbye_and_reads_no_further() -> None:
    read: list[str] = []
    typed = iter(["which muscles are treated", "stop", "which muscles are treated", "what is injected"])

    def reader() -> str | None:
        line = next(typed, None)
        if line is not None:
            read.append(line)
        return line

    out = io.StringIO()
    assert run_chat(Conversation(), reader, out) == 0
    answers = alexa_lines(out.getvalue())
    assert read == ["which muscles are treated", "stop"]
    assert len(answers) == 3
    assert "Goodbye" in answers[2]
    assert out.getvalue().rstrip().endswith("[session ended]")


def test_again_opens_the_skill_afresh_after_the_goodbye() -> None:
    transcript = chat("speak slower", "stop", "which muscles are treated", again=True)
    answers = alexa_lines(transcript)
    assert "Goodbye" in answers[2]
    assert "Welcome" in answers[3]  # a new conversation opens with its welcome, never silently
    assert "trapezius" in answers[4]


def test_a_new_conversation_forgets_the_last_one() -> None:
    transcript = chat("which muscles are treated", "stop", "repeat", again=True)
    answers = alexa_lines(transcript)
    assert "Welcome" in answers[3]
    assert "trapezius" not in answers[4]


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
def test_opening_the_skill_the_way_people_say_it_welcomes_them(
    capsys: pytest.CaptureFixture[str], opening: str
) -> None:
    assert main(["ask", opening]) == 0
    assert "Welcome" in capsys.readouterr().out
    assert "Welcome" in alexa_lines(chat("which muscles are treated", opening))[2]


def test_start_over_is_not_mistaken_for_opening_the_skill() -> None:
    transcript = chat("which muscles are treated", "start over", "yes")
    answers = alexa_lines(transcript)
    assert "Welcome" in answers[2]
    assert "relieve" not in answers[3], "start over should forget the offered topic"


def test_serve_refuses_no_verify_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--no-verify"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_answers_are_wrapped_to_the_width_asked_for(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["ask", "which muscles are treated"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 60 for line in out)
    assert out[0].startswith("Alexa: ")
    assert out[1].startswith("       ") and not out[1].startswith("        ")
    monkeypatch.delenv("COLUMNS")
    assert main(["ask", "which muscles are treated"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # the answer and its reprompt, one line each


def test_an_unexpected_error_is_one_line_with_a_way_to_see_more(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> dict[str, object]:
        raise RuntimeError("the model could not be read")

    monkeypatch.setattr("skill.tools.cli.request_for", broken)
    monkeypatch.delenv("TPI_SKILL_DEBUG")
    assert main(["ask", "which muscles are treated"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "tpi-skill ask: unexpected RuntimeError: the model could not be read",
        "Please report it; TPI_SKILL_DEBUG=1 tpi-skill ... shows where it happened.",
    ]
    monkeypatch.setenv("TPI_SKILL_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["ask", "which muscles are treated"])


def test_repeat_after_no_replays_the_answer_that_was_declined() -> None:
    answers = alexa_lines(chat("which muscles are treated", "no", "repeat"))
    assert answers[2].startswith("Alexa: Okay.")
    assert answers[3] == answers[1]  # what the listener last heard as an answer, not the "Okay."
