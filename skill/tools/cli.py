"""`tpi-skill`: talk to the skill in a terminal, serve it, or regenerate the interaction models.

Each subcommand imports only what it uses (`ask` needs neither Flask nor the web service, `serve` needs
no NLU), so a one-shot `ask` starts quickly. Every failure a user can meet is one or two plain lines on
stderr that say what to do, and a non-zero exit; a traceback only with TPI_SKILL_DEBUG=1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from skill.tools.locales import LOCALES

if TYPE_CHECKING:
    import subprocess

    from skill.tools.local import Conversation, SkillCallError, Turn

    CompletedText = subprocess.CompletedProcess[str]

QUIT_WORDS = ("quit", "exit", ":q")
ESPEAK_WORDS_PER_MINUTE = 165
DEFAULT_PORT = 5000
PROGRAM = "tpi-skill"
"""How this tool names itself at the start of an error line."""
COMMAND_ENV = "TPI_SKILL_COMMAND"
"""How the user runs this tool (scripts/run.sh sets "bash scripts/run.sh"), so hints are copied as shown."""
DEBUG_ENV = "TPI_SKILL_DEBUG"
INDENT = " " * len("Alexa: ")


class UserError(Exception):
    """A failure the person at the keyboard can fix: one or two lines saying what happened and what to do."""

    def __init__(self, *lines: str, status: int = 1) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.status = status


def command_name() -> str:
    """The command a user types to run this tool, for hints they can copy."""
    return os.environ.get(COMMAND_ENV, "").strip() or PROGRAM


def request_for(text: str, locale: str, eliciting: tuple[str, str] | None = None) -> dict[str, object]:
    """Resolve typed text the way Alexa would, using the interaction model's own samples; `eliciting`
    is the (intent, slot) the last answer re-asked for, whose slot samples then apply."""
    from skill.tools import envelopes, nlu
    from skill.tools.envelopes import SlotFill

    if nlu.is_launch(text, locale):
        return envelopes.launch(locale)
    match = nlu.resolve(text, locale, eliciting)
    slots = {
        name: SlotFill(slot.value, slot.resolved_id, slot.resolved_name) for name, slot in match.slots.items()
    }
    return envelopes.intent(match.intent, slots, locale)


def _wrap(first: str, text: str, width: int) -> list[str]:
    """`first` + `text`, wrapped to `width` with a hanging indent (0: one line)."""
    if width <= len(INDENT) + 20:
        return [first + text]
    import textwrap

    return textwrap.wrap(
        text, width, initial_indent=first, subsequent_indent=INDENT, break_long_words=False
    ) or [first]


def describe(turn: Turn, width: int = 0) -> list[str]:
    """What a person would hear, as lines for the terminal, wrapped to `width` columns (0: not wrapped)."""
    from skill.runtime.speech import ssml_to_text

    if turn.speech is None:
        return ["Alexa: (no speech)"]
    lines = _wrap("Alexa: ", ssml_to_text(turn.speech), width)
    if turn.reprompt:
        lines += _wrap(INDENT, f"(if you say nothing: {ssml_to_text(turn.reprompt)})", width)
    if turn.directives:
        lines.append(f"{INDENT}[the screen shows this answer with touchable topics]")
    if turn.ends_session:
        lines.append(f"{INDENT}[session ended]")
    return lines


def output_width(out: TextIO) -> int:
    """The terminal's width, or $COLUMNS; 0 (no wrapping) when writing to a pipe or file without it."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit():
        return int(columns)
    try:
        return os.get_terminal_size(out.fileno()).columns if out.isatty() else 0
    except (OSError, ValueError, AttributeError):
        return 0


ESPEAK_REGIONS = {"en-GB": "en-gb", "en-AU": "en-gb"}
"""Locales whose closest espeak-ng voice is not their language's usual one."""
ESPEAK_LANGUAGES = {"en": "en-us"}
"""A language's usual espeak-ng voice, where it is not the language code itself."""


def espeak_voice(locale: str) -> str:
    """The espeak-ng voice for `locale`: by region where one is listed, else by language (so a locale
    added to the skill later still speaks)."""
    language = locale.partition("-")[0].lower()
    return ESPEAK_REGIONS.get(locale) or ESPEAK_LANGUAGES.get(language, language)


def find_espeak() -> str | None:
    import shutil

    return shutil.which("espeak-ng") or shutil.which("espeak")


def _gist(stderr: str) -> str:
    """The line of espeak-ng's complaint worth showing (ALSA prints a dozen; 'cannot find card' says it)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "cannot find card" in line or "No such device" in line:
            return line
    return lines[-1] if lines else "no reason given"


class Speaker:
    """Reads answers aloud with espeak-ng and/or writes each as a WAV file, at the rate the skill asked for
    (so "speak slower" is heard, and measurable in the files).

    espeak-ng exits 0 even when there is no audio device (it only prints ALSA errors), so anything it says
    on stderr while playing counts as "nothing was heard".
    """

    def __init__(
        self,
        voice: str = "en-us",
        *,
        play: bool = True,
        directory: Path | None = None,
        command: str | None = None,
    ) -> None:
        self.command = command or find_espeak()
        if self.command is None:
            wanted = " or ".join(
                option for option, on in (("--speak", play), ("--speak-to", directory)) if on
            )
            raise UserError(
                "espeak-ng is not installed, so no answer can be spoken.",
                f"Install it (sudo apt-get install espeak-ng), or leave out {wanted or '--speak'}.",
            )
        if directory is not None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise UserError(
                    f"Cannot write audio files to {directory}: {error.strerror or error}.",
                    "Give --speak-to a folder you can write to.",
                ) from None
        self.voice = voice
        self.play = play
        self.directory = directory
        self.written = 0

    def say(self, turn: Turn) -> str | None:
        """Speak and/or write one answer; returns a note for the terminal (where the file went), if any."""
        if turn.speech is None:
            return None
        from skill.runtime.speech import rate_percent, ssml_to_text

        text = ssml_to_text(turn.speech)
        words_per_minute = ESPEAK_WORDS_PER_MINUTE * rate_percent(turn.speech) // 100
        base = [str(self.command), "-v", self.voice, "-s", str(words_per_minute)]
        note = None
        if self.directory is not None:
            self.written += 1
            path = self.directory / f"answer-{self.written:02d}.wav"
            done = self._run([*base, "-w", str(path)], text)
            if done.returncode != 0 or not path.is_file() or path.stat().st_size <= 44:  # 44: a bare header
                raise UserError(
                    f"espeak-ng could not write {path}: {_gist(done.stderr)}.",
                    "Check the folder given to --speak-to, and that `espeak-ng --voices` lists a voice for "
                    f"{self.voice}.",
                )
            note = f"{INDENT}[spoken answer written to {path}]"
        if self.play:
            done = self._run(base, text)
            if done.returncode != 0 or done.stderr.strip():
                raise UserError(
                    f"Nothing can be heard: espeak-ng found no working audio device ({_gist(done.stderr)}).",
                    "Check the sound output, or write the answers as WAV files to play elsewhere: "
                    f"{command_name()} chat --speak-to answers",
                )
        return note

    @staticmethod
    def _run(command: list[str], text: str) -> CompletedText:
        import subprocess

        try:
            return subprocess.run(
                command, input=text, capture_output=True, text=True, check=False, timeout=300
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise UserError(f"espeak-ng did not run: {error}.", "Check the espeak-ng installation.") from None


def run_chat(
    conversation: Conversation,
    read: Callable[[], str | None],
    out: TextIO,
    speaker: Speaker | None = None,
    *,
    again: bool = False,
    width: int = 0,
) -> int:
    """A hands-free conversation: the skill opens, then each typed line is one spoken request.

    It ends when the skill ends the session (after "stop", the goodbye), as on a device; `again` opens
    the skill afresh instead, with its welcome. End of input or "quit" leaves without a goodbye.
    """
    where = f"at {conversation.url}" if conversation.url else "in-process"
    where += f", {conversation.locale}"
    out.write(f'Type what you would say to Alexa ("stop" to end). Opening the skill {where}...\n')

    def show(turn: Turn) -> None:
        out.write("\n".join(describe(turn, width)) + "\n")
        out.flush()
        if speaker is not None:
            note = speaker.say(turn)
            if note:
                out.write(note + "\n")

    turn = conversation.launch()
    show(turn)
    while (line := read()) is not None:
        text = line.strip()
        if not text:
            continue
        if text.lower() in QUIT_WORDS:
            break
        turn = conversation.send(request_for(text, conversation.locale, turn.eliciting))
        show(turn)
        if conversation.ended:
            if not again:
                return 0
            turn = conversation.launch()
            show(turn)
    if not conversation.ended:
        conversation.end("USER_INITIATED")
    return 0


def terminal_reader(out: TextIO) -> Callable[[], str | None]:
    """Reads what is typed. At a terminal: a "You: " prompt with line editing. From a pipe or file: each
    line is echoed after "You: ", so the output reads as the same conversation at a terminal would."""
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (arrow keys and history for input())

    def read() -> str | None:
        try:
            line = input("You: ") if interactive else sys.stdin.readline()
        except EOFError:
            return None
        except UnicodeDecodeError:
            raise _not_text("What was typed") from None
        except OSError as error:
            raise UserError(
                f"Cannot read the input: {error.strerror or error}.",
                "Type into a terminal, or pipe in a text file.",
            ) from None
        if not interactive:
            if not line:
                return None
            line = line.rstrip("\r\n")
        _check_text(line, "What was typed")
        if not interactive:
            out.write(f"You: {line}\n")
        return line

    return read


def _not_text(what: str) -> UserError:
    return UserError(
        f"{what} is not UTF-8 text, so it cannot be read.",
        "Use UTF-8 text (check the encoding of the terminal, or of the file given as input).",
    )


def _check_text(text: str, what: str) -> None:
    """Python reads undecodable bytes as lone surrogates under a C locale; say so instead of guessing."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _not_text(what) from None


def _conversation(args: argparse.Namespace) -> Conversation:
    from skill.tools.local import Conversation

    return Conversation(url=args.url, locale=args.locale, screen=args.screen)


def _speaker(args: argparse.Namespace) -> Speaker | None:
    if not (args.speak or args.speak_to):
        return None
    return Speaker(espeak_voice(args.locale), play=args.speak, directory=args.speak_to)


def _no_answer(error: SkillCallError) -> UserError:
    """What to say when the skill at --url gave no answer, with what to do about it."""
    from urllib.parse import urlsplit

    url = urlsplit(error.url)
    port = url.port or (443 if url.scheme == "https" else 80)
    root = f"{url.scheme}://{url.netloc}/"
    if error.refused:
        first = (
            f"The server at {error.url} refused the request ({error.problem}): it checks Alexa's "
            "signatures, and requests typed here are not signed."
        )
        port += 1  # taken by the verifying server
        then = f"then use --url http://127.0.0.1:{port}/"
    elif error.status in (404, 405) and error.url != root:
        return UserError(
            f"No answer from the skill at {error.url}: {error.problem}.",
            f"The skill answers at the server's root: --url {root}",
        )
    elif error.status is not None and error.status >= 500:
        return UserError(
            f"The server at {error.url} failed to answer ({error.problem}).",
            "Its log (in the terminal where it runs) says why.",
        )
    else:
        first = f"No answer from the skill at {error.url}: {error.problem}."
        then = "or leave out --url to use the skill in-process"
    option = "" if port == DEFAULT_PORT else f" --port {port}"
    serve = f"{command_name()} serve --no-verify{option}"
    return UserError(first, f"Start a server that --url can talk to: {serve}  ({then})")


def cmd_ask(args: argparse.Namespace) -> int:
    from skill.tools.local import SkillCallError

    text = " ".join(args.text).strip()
    _check_text(text, "The question")
    if not text:
        raise UserError(
            "There is no question to ask.",
            f'Say what you would say to Alexa: {command_name()} ask "which muscles are treated"',
            status=2,
        )
    speaker = _speaker(args)
    try:
        turn = _conversation(args).send(request_for(text, args.locale))
    except SkillCallError as error:
        raise _no_answer(error) from None
    print("\n".join(describe(turn, output_width(sys.stdout))))
    if speaker is not None:
        note = speaker.say(turn)
        if note:
            print(note)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from skill.tools.local import SkillCallError

    speaker = _speaker(args)
    out = sys.stdout
    try:
        return run_chat(
            _conversation(args),
            terminal_reader(out),
            out,
            speaker,
            again=args.again,
            width=output_width(out),
        )
    except SkillCallError as error:
        raise _no_answer(error) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from skill.runtime.app import skill_id_from_env
    from skill.web.serve import CannotServeError, UnsafeServeError, check_address, check_serve_options, serve

    command = command_name()
    verify = not args.no_verify
    host = args.host.strip().strip("[]")
    try:
        check_serve_options(args.host, verify)
        check_address(host, args.port)
    except UnsafeServeError as refused:
        raise UserError(
            f"{refused}.",
            f"Serve without verification on this machine only ({command} serve --no-verify), "
            f"or keep verification on for {args.host}.",
            status=2,
        ) from None
    except CannotServeError as problem:
        if problem.port_taken:
            again = [
                part
                for part in ("serve", _host_option(args), "--no-verify" if args.no_verify else "")
                if part
            ]
            retry = f"{command} {' '.join(again)} --port {args.port + 1}"
            hint = f"Stop the program using it, or choose another port: {retry}"
        else:
            hint = f"Serve on this machine's loopback address instead: {command} serve (127.0.0.1)"
        raise UserError(f"Cannot serve: {problem}.", hint) from None
    url = f"http://{'[' + host + ']' if ':' in host else host}:{args.port}/"
    if verify:
        print(
            f"Serving the skill at {url} with Alexa request verification on: "
            "it answers only requests Alexa signed.\n"
            f"To talk to it from this machine, serve with: {command} serve --no-verify  "
            f"then: {command} chat --url {url}",
            file=sys.stderr,
        )
    else:
        print(f"Talk to it from another terminal with: {command} chat --url {url}", file=sys.stderr)
    sys.stderr.flush()
    serve(host, args.port, args.skill_id or skill_id_from_env(), verify=verify)
    return 0


def _host_option(args: argparse.Namespace) -> str:
    return "" if args.host == "127.0.0.1" else f"--host {args.host}"


def cmd_build_models(args: argparse.Namespace) -> int:
    """Regenerate (or with --check, verify) everything generated from the reviewed sources."""
    from skill.tools import model_builder

    return model_builder.main(["--check"] if args.check else [])


def cmd_insights(args: argparse.Namespace) -> int:
    """The usage figures as a one-page report (skill/tools/insights/)."""
    from skill.tools import insights

    try:
        data = insights.run(args.sources, args.out, history=args.history, bucket=args.bucket)
    except insights.InsightsError as problem:
        raise UserError(f"{PROGRAM} insights: {problem}") from None
    except OSError as problem:
        raise UserError(f"{PROGRAM} insights: cannot write {args.out}: {problem.strerror}") from None
    print(f"Wrote {args.out} from {data.source}.")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a two-line error (what is wrong, where to look) instead of usage text."""

    def error(self, message: str) -> NoReturn:
        name = PROGRAM + self.prog.removeprefix(command_name())
        self.exit(2, f"{name}: {message}\nSee the options with: {self.prog} --help\n")


def _port(text: str) -> int:
    port = int(text) if text.strip().isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return port


def _url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not a web address like http://127.0.0.1:5000/")
    return text.strip()


def _add_talk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--locale", choices=LOCALES, default="en-US")
    parser.add_argument(
        "--url", type=_url, help="send requests to a running server (started with serve --no-verify)"
    )
    parser.add_argument("--screen", action="store_true", help="pretend to be an Echo Show")
    parser.add_argument("--speak", action="store_true", help="read answers aloud with espeak-ng")
    parser.add_argument(
        "--speak-to",
        type=Path,
        metavar="DIR",
        help="write each spoken answer to DIR/answer-NN.wav (espeak-ng, at the skill's speech rate)",
    )


def parser() -> argparse.ArgumentParser:
    command = command_name()
    root = _Parser(
        prog=command,
        description="Talk to the Trigger Point Guide skill in a terminal, serve it, or build its models.",
        epilog=f"Start with: {command} chat    (each command's options: {command} COMMAND --help)",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="command")

    ask = commands.add_parser("ask", help="one question, one answer")
    ask.add_argument("text", nargs="+", help='what you would say, e.g. "which muscles are treated"')
    _add_talk_options(ask)
    ask.set_defaults(run=cmd_ask)

    chat = commands.add_parser(
        "chat",
        help="a whole conversation in the terminal",
        description="A conversation as on a device: the skill opens, each line is what you say, and it ends "
        'when the skill says goodbye ("stop"). quit or Ctrl-D leaves at once.',
    )
    _add_talk_options(chat)
    chat.add_argument(
        "--again", action="store_true", help="after the goodbye, open the skill again (a new conversation)"
    )
    chat.set_defaults(run=cmd_chat)

    serve = commands.add_parser("serve", help="run the skill as a web service (Flask)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT)
    serve.add_argument("--skill-id", default=None, help="default: $ALEXA_SKILL_ID")
    serve.add_argument(
        "--no-verify",
        action="store_true",
        help="skip Alexa request verification (loopback addresses only), so chat --url can talk to it",
    )
    serve.set_defaults(run=cmd_serve)

    build = commands.add_parser(
        "build-models", help="regenerate interaction_models/ from skill/data/model.yaml"
    )
    build.add_argument("--check", action="store_true", help="only report files that are out of date")
    build.set_defaults(run=cmd_build_models)

    insights = commands.add_parser(
        "insights",
        help="a one-page report of what patients asked, from /metrics or exported log lines",
        description="Reads the web service's /metrics (URL or saved page; METRICS_TOKEN is sent if set) or "
        "the Lambda function's log lines exported from CloudWatch, and writes a report with plots.",
    )
    insights.add_argument("sources", nargs="+", help="a /metrics URL, a saved /metrics page, or a log file")
    insights.add_argument("--out", type=Path, default=Path("insights.html"), help="an .html page or a .png")
    insights.add_argument(
        "--history", type=Path, help="keep each /metrics reading in this file, to show rates over time"
    )
    insights.add_argument("--bucket", choices=("auto", "hour", "day"), default="auto", help="for log lines")
    insights.set_defaults(run=cmd_insights)
    return root


def _quiet_broken_pipe() -> None:
    """Output piped into `head` and closed: leave quietly (no 'Exception ignored' at exit either)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    import io

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")  # a curly quote never fails on a non-UTF-8 terminal
    args = parser().parse_args(argv)
    try:
        result: int = args.run(args)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return result
    except UserError as problem:
        _flush(sys.stdout)
        for line in problem.lines:
            print(line, file=sys.stderr)
        return problem.status
    except KeyboardInterrupt:
        _flush(sys.stdout)
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 1
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            raise
        _flush(sys.stdout)
        print(f"{PROGRAM} {args.command}: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        print(
            f"Please report it; {DEBUG_ENV}=1 {command_name()} ... shows where it happened.", file=sys.stderr
        )
        return 1


def _flush(stream: TextIO) -> None:
    with contextlib.suppress(OSError, ValueError):
        stream.flush()


if __name__ == "__main__":
    sys.exit(main())
