"""`tpi-skill`: talk to the skill in a terminal, serve it, or regenerate the interaction models."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from skill.runtime.app import skill_id_from_env
from skill.runtime.speech import rate_percent, ssml_to_text
from skill.tools import envelopes, model_builder, nlu
from skill.tools.envelopes import LOCALES, SlotFill
from skill.tools.local import Conversation, Turn

QUIT_WORDS = ("quit", "exit", ":q")
ESPEAK_WORDS_PER_MINUTE = 165


def request_for(text: str, locale: str, eliciting: tuple[str, str] | None = None) -> dict[str, object]:
    """Resolve typed text the way Alexa would, using the interaction model's own samples; `eliciting`
    is the (intent, slot) the last answer re-asked for, whose slot samples then apply."""
    if nlu.is_launch(text, locale):
        return envelopes.launch(locale)
    match = nlu.resolve(text, locale, eliciting)
    slots = {
        name: SlotFill(slot.value, slot.resolved_id, slot.resolved_name) for name, slot in match.slots.items()
    }
    return envelopes.intent(match.intent, slots, locale)


def describe(turn: Turn) -> list[str]:
    """What a person would hear, as lines for the terminal."""
    if turn.speech is None:
        return ["Alexa: (no speech)"]
    lines = [f"Alexa: {ssml_to_text(turn.speech)}"]
    if turn.reprompt:
        lines.append(f"       (if you say nothing: {ssml_to_text(turn.reprompt)})")
    if turn.directives:
        lines.append("       [the screen shows this answer with touchable topics]")
    if turn.ends_session:
        lines.append("       [session ended]")
    return lines


class Speaker:
    """Reads answers aloud with espeak-ng at the rate the skill asked for, when espeak-ng is installed."""

    def __init__(self, out: TextIO) -> None:
        self.command = shutil.which("espeak-ng") or shutil.which("espeak")
        if self.command is None:
            out.write(
                "espeak-ng is not installed, so answers are only printed. "
                "Install it with: sudo apt-get install espeak-ng\n"
            )

    def say(self, turn: Turn, voice: str) -> None:
        if self.command is None or turn.speech is None:
            return
        words_per_minute = ESPEAK_WORDS_PER_MINUTE * rate_percent(turn.speech) // 100
        subprocess.run(
            [self.command, "-v", voice, "-s", str(words_per_minute), ssml_to_text(turn.speech)],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def espeak_voice(locale: str) -> str:
    return {"en-US": "en-us", "en-GB": "en-gb", "en-IN": "en-us", "en-AU": "en-gb", "en-CA": "en-us"}[locale]


def run_chat(
    conversation: Conversation,
    read: Callable[[], str | None],
    out: TextIO,
    speaker: Speaker | None = None,
) -> int:
    """A hands-free conversation: the skill opens, then each typed line is one spoken request."""
    out.write("Type what you would say to Alexa (quit to leave). Opening the skill...\n")

    def show(turn: Turn) -> None:
        out.write("\n".join(describe(turn)) + "\n")
        if speaker is not None:
            speaker.say(turn, espeak_voice(conversation.locale))

    turn = conversation.launch()
    show(turn)
    while (line := read()) is not None:
        text = line.strip()
        if not text:
            continue
        if text.lower() in QUIT_WORDS:
            break
        eliciting = None if conversation.ended else turn.eliciting
        turn = conversation.send(request_for(text, conversation.locale, eliciting))
        show(turn)
    if not conversation.ended:
        conversation.end("USER_INITIATED")
    return 0


def _read_line() -> str | None:
    try:
        return input("You: ")
    except EOFError:
        return None


def _conversation(args: argparse.Namespace) -> Conversation:
    return Conversation(url=args.url, locale=args.locale, screen=args.screen)


def cmd_ask(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    turn = _conversation(args).send(request_for(text, args.locale))
    print("\n".join(describe(turn)))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    speaker = Speaker(sys.stdout) if args.speak else None
    return run_chat(_conversation(args), _read_line, sys.stdout, speaker)


def cmd_serve(args: argparse.Namespace) -> int:
    from skill.web.serve import UnsafeServeError, serve

    try:
        serve(args.host, args.port, args.skill_id, verify=not args.no_verify)
    except UnsafeServeError as refused:
        print(f"tpi-skill serve: {refused}", file=sys.stderr)
        return 2
    return 0


def cmd_build_models(args: argparse.Namespace) -> int:
    """Regenerate (or with --check, verify) everything generated from the reviewed sources."""
    return model_builder.main(["--check"] if args.check else [])


def _add_talk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locale", choices=LOCALES, default="en-US")
    parser.add_argument("--url", help="send requests to a running server (started with --no-verify)")
    parser.add_argument("--screen", action="store_true", help="pretend to be an Echo Show")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tpi-skill", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    ask = commands.add_parser("ask", help="one question, one answer")
    ask.add_argument("text", nargs="+", help='what you would say, e.g. "which muscles are treated"')
    _add_talk_options(ask)
    ask.set_defaults(run=cmd_ask)

    chat = commands.add_parser("chat", help="a whole conversation in the terminal")
    _add_talk_options(chat)
    chat.add_argument("--speak", action="store_true", help="read answers aloud with espeak-ng")
    chat.set_defaults(run=cmd_chat)

    serve = commands.add_parser("serve", help="run the skill as a web service (Flask)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--skill-id", default=skill_id_from_env(), help="default: $ALEXA_SKILL_ID")
    serve.add_argument(
        "--no-verify", action="store_true", help="skip Alexa request verification (loopback addresses only)"
    )
    serve.set_defaults(run=cmd_serve)

    build = commands.add_parser(
        "build-models", help="regenerate interaction_models/ from skill/data/model.yaml"
    )
    build.add_argument("--check", action="store_true", help="only report files that are out of date")
    build.set_defaults(run=cmd_build_models)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
