"""`--speak` and `--speak-to`: answers heard, or written as WAV files, at the rate the listener chose; and a
plain message when nothing can be heard. The real command in a child process, with the real espeak-ng
(scripts/test.sh installs it) or, for a machine without it or without sound, a PATH that says so."""

from __future__ import annotations

import shutil
import stat
import wave
from pathlib import Path

import pytest

from skill.tools.cli import espeak_voice
from skill.tools.locales import LOCALES
from tests.cli_process import assert_fails_helpfully, tpi_skill

NO_SOUND_CARD = """#!/bin/sh
# espeak-ng on a machine without an audio device: ALSA complains on stderr, and the exit status is 0.
echo "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'" >&2
echo "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default" >&2
echo "error: No such file or directory" >&2
exit 0
"""


def seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        assert audio.getnframes() > 0, path
        return audio.getnframes() / audio.getframerate()


@pytest.fixture
def espeak() -> str:
    found = shutil.which("espeak-ng")
    assert found, "espeak-ng is missing: bash scripts/test.sh installs it (apt-get install espeak-ng)"
    return found


def test_speak_to_writes_each_answer_as_a_wav_at_the_chosen_rate(espeak: str, tmp_path: Path) -> None:
    typed = "which muscles are treated\nspeak slower\nspeak slower\nrepeat\nstop\n"
    result = tpi_skill("chat", "--speak-to", str(tmp_path / "answers"), stdin=typed)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "answers").glob("*.wav"))
    assert [f.name for f in files] == [f"answer-{n:02d}.wav" for n in range(1, 7)]  # welcome ... goodbye
    durations = [seconds(f) for f in files]
    # The same answer (which muscles) at 100% and, repeated, at 70%: espeak-ng's words per minute follow
    # the skill's rate, so the second file is longer by about 100/70.
    assert durations[4] / durations[1] == pytest.approx(100 / 70, rel=0.08)
    assert f"[spoken answer written to {tmp_path / 'answers' / 'answer-02.wav'}]" in result.stdout


def test_ask_speak_to_writes_its_one_answer(espeak: str, tmp_path: Path) -> None:
    result = tpi_skill("ask", "--speak-to", str(tmp_path), "what is injected")
    assert result.returncode == 0, result.stderr
    [written] = tmp_path.glob("*.wav")
    assert seconds(written) > 2


@pytest.mark.parametrize("option", [["--speak"], ["--speak-to", "answers"]])
def test_without_espeak_ng_it_says_how_to_install_it(tmp_path: Path, option: list[str]) -> None:
    result = tpi_skill("chat", *option, stdin="which muscles are treated\n", env={"PATH": str(tmp_path)})
    assert_fails_helpfully(result, "espeak-ng is not installed", "apt-get install espeak-ng", option[0])


def test_without_a_sound_device_it_says_nothing_can_be_heard(tmp_path: Path) -> None:
    fake = tmp_path / "espeak-ng"
    fake.write_text(NO_SOUND_CARD)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    result = tpi_skill("chat", "--speak", stdin="which muscles are treated\n", env={"PATH": str(tmp_path)})
    assert_fails_helpfully(result, "Nothing can be heard", "cannot find card '0'", "--speak-to")
    assert "Welcome" in result.stdout  # it says so at the first answer, not after the whole conversation
    assert "trapezius" not in result.stdout


def test_speak_to_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = tpi_skill("chat", "--speak-to", str(blocker / "answers"))
    assert_fails_helpfully(result, "Cannot write audio files", "--speak-to")


def test_every_locale_has_a_voice_even_one_added_later() -> None:
    """A locale added to the skill must not make --speak fail with a KeyError."""
    assert {locale: espeak_voice(locale) for locale in LOCALES} == {
        "en-US": "en-us",
        "en-GB": "en-gb",
        "en-CA": "en-us",
        "en-AU": "en-gb",
        "en-IN": "en-us",
    }
    assert espeak_voice("en-NZ") == "en-us"
    assert espeak_voice("fr-CA") == "fr"
