"""The NLU index kept on disk between runs (skill/tools/nlu/cache.py) only ever makes `ask` start sooner.

It must never answer from an older model (an edited `model.yaml`, or edited resolver code, is rebuilt at
once), a broken, planted or unwritable cache must fall back to building with the same answers, and the
file must hold the model's data and nothing anyone typed. How much sooner is measured side by side by
benchmarks/bench_cli.py, not here.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.tools import model_builder, sources
from skill.tools.envelopes import LOCALES
from skill.tools.nlu import FALLBACK_INTENT, IntentMatch, match, resolve
from skill.tools.nlu.index import Index, build_index, index_for
from tests.cli_process import command_env
from tests.test_nlu import PARAPHRASES, SLOT_SYNONYMS, UNKNOWN_SLOT_VALUES, UNRELATED

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "which muscles are treated"
NEW_QUESTION = (
    "what is my horoscope"  # off-topic today; the edited model makes it a TreatedMusclesIntent sample
)
SAMPLE_LINE = "      - which muscles are treated\n"


def forget() -> None:
    """Drop every in-memory copy of the model and the index, as a new process starts without them."""
    index_for.cache_clear()
    match._correct.cache_clear()
    model_builder.load_source.cache_clear()
    model_builder._dialog_model.cache_clear()
    sources.content_source.cache_clear()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder of this test's own (`$XDG_CACHE_HOME/tpi-skill`), and a fresh process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    forget()
    yield tmp_path / "cache-home" / "tpi-skill"
    forget()


@pytest.fixture
def edited_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of skill/data/ the process reads instead of the real one, for the test to edit."""
    copy = tmp_path / "data"
    shutil.copytree(sources.SOURCES, copy)
    monkeypatch.setattr(sources, "SOURCES", copy)
    return copy


def teach_new_question(data: Path) -> None:
    """Edit `model.yaml` in `data` so that NEW_QUESTION is a sample of TreatedMusclesIntent."""
    model = data / "model.yaml"
    text = model.read_text(encoding="utf-8")
    assert text.count(SAMPLE_LINE) == 1
    model.write_text(text.replace(SAMPLE_LINE, SAMPLE_LINE + f"      - {NEW_QUESTION}\n"), encoding="utf-8")


def no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, building an index fails the test: what follows must come from the cache."""

    def refuse(locale: str) -> Index:
        raise AssertionError(f"the index for {locale} was built, not loaded from the cache")

    monkeypatch.setattr("skill.tools.nlu.index.build_index", refuse)


def sample_texts() -> list[str]:
    """Phrasings of tests/test_nlu.py: paraphrases, slot values known and unknown, off-topic, typos."""
    return [
        *(text for text, _ in PARAPHRASES),
        *(text for text, _, _ in SLOT_SYNONYMS),
        *(text for text, _ in UNKNOWN_SLOT_VALUES),
        *UNRELATED,
        "what is a trapezious",
        "which muscels are treeted",
    ]


def resolutions(locale: str) -> list[IntentMatch]:
    elicit = ("BodyPartIntent", "bodyPart")
    return [resolve(text, locale) for text in sample_texts()] + [
        resolve(text, locale, elicit) for text in ("biceps", "my neck", "calf", "stop")
    ]


def comparable(value: Any) -> Any:
    """`value` with floats rounded and unordered collections sorted, so two builds compare equal (word
    weights are sums over sets, whose order changes with each process's string hashing)."""
    if isinstance(value, float):
        return round(value, 9)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [comparable(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, dict):
        return sorted((comparable(k), comparable(v)) for k, v in value.items())
    if isinstance(value, frozenset | set):
        return sorted(comparable(v) for v in value)
    if isinstance(value, tuple | list):
        return [comparable(v) for v in value]
    return value


# --- the real command: a copy of the package, run as a user runs it ------------------------------------


def tree_copy(into: Path) -> Path:
    """This checkout's `skill` package copied to `into`, so its sources can be edited freely."""
    shutil.copytree(ROOT / "skill", into / "skill", ignore=shutil.ignore_patterns("__pycache__"))
    return into


def ask(tree: Path, cache: Path, *words: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m skill.tools.cli ask words...` (or `chat` with `stdin`) from `tree`, caching in `cache`."""
    argv = ["chat", *words] if stdin is not None else ["ask", *words]
    env = command_env({"PYTHONPATH": str(tree), "XDG_CACHE_HOME": str(cache)})
    done = subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", *argv],
        cwd=tree,
        env=env,
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, ""), done
    return done


def test_an_edited_model_or_resolver_is_never_answered_from_the_old_cache(tmp_path: Path) -> None:
    tree, home = tree_copy(tmp_path / "tree"), tmp_path / "cache-home"
    cached = home / "tpi-skill" / "nlu-en-US.pickle"
    muscles = ask(tree, home, QUESTION).stdout
    fallback = ask(tree, home, NEW_QUESTION).stdout
    assert fallback != muscles
    assert cached.is_file()  # the second run was answered with a cache there to be stale

    teach_new_question(tree / "skill" / "data")
    assert ask(tree, home, NEW_QUESTION).stdout == muscles
    assert ask(tree, home, NEW_QUESTION).stdout == muscles  # and from the cache it wrote

    original = (ROOT / "skill" / "data" / "model.yaml").read_bytes()
    (tree / "skill" / "data" / "model.yaml").write_bytes(original)
    assert ask(tree, home, NEW_QUESTION).stdout == fallback

    written = cached.read_bytes()
    code = tree / "skill" / "tools" / "nlu" / "text.py"
    code.write_text(code.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    assert ask(tree, home, QUESTION).stdout == muscles
    assert cached.read_bytes().split(b"\n", 2)[:2] != written.split(b"\n", 2)[:2]  # rebuilt, new key


def test_a_second_ask_reads_the_index_instead_of_parsing_the_model(tmp_path: Path) -> None:
    """What makes it start sooner: with the cache, `ask` imports neither PyYAML nor the model builder
    (nor ask-sdk's `CustomSkill`, whose import pulls in every Alexa service client)."""
    home = tmp_path / "cache-home"
    probe = (
        "import sys\nfrom skill.tools.cli import main\n"
        f"main(['ask', {QUESTION!r}])\nprint(' '.join(sorted(sys.modules)))"
    )

    def loaded() -> set[str]:
        env = command_env({"XDG_CACHE_HOME": str(home)})
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True, timeout=60
        )
        assert "Alexa:" in done.stdout
        return set(done.stdout.splitlines()[-1].split())

    first, second = loaded(), loaded()
    assert "yaml" in first and "skill.tools.model_builder" in first  # nothing cached yet: built
    heavy = {"yaml", "skill.tools.model_builder", "skill.tools.model_lint", "ask_sdk_core.skill"}
    assert heavy & second == set()
    assert not any(m.startswith("ask_sdk_model.services") for m in second)


def test_the_cache_holds_the_model_and_nothing_anyone_said(tmp_path: Path) -> None:
    home = tmp_path / "cache-home"
    said = [
        "my name is Zebulon Quintavius and I live at 42 Wallaby Way",
        "my zebulonic kneecap hurts",  # an unknown slot value
        "which muscels are treeted quintavius",  # spelling corrections are made, and never written
        "stop",
    ]
    ask(ROOT, home, stdin="\n".join(said) + "\n")
    ask(ROOT, home, "--locale", "en-GB", "my wallaby kneecap please")
    folder = home / "tpi-skill"
    assert sorted(p.name for p in folder.iterdir()) == ["nlu-en-GB.pickle", "nlu-en-US.pickle"]
    for locale in ("en-US", "en-GB"):
        data = (folder / f"nlu-{locale}.pickle").read_bytes()
        for word in (
            "zebulon",
            "quintavius",
            "wallaby",
            "kneecap",
            "muscels",
            "treeted",
        ):  # none in the model
            assert word.encode() not in data.lower(), (locale, word)
        stored = pickle.loads(data.split(b"\n", 2)[2])
        assert comparable(stored) == comparable(build_index(locale))  # exactly the model's own index


def test_ask_answers_the_same_without_a_cache_with_an_empty_one_and_with_a_full_one(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder\n")
    questions = [
        ("en-US", QUESTION),
        ("en-US", "tell me about the traps"),
        ("en-GB", "is it a steroid jab"),
        ("en-IN", "my knee hurts"),
        ("en-AU", "what's the weather"),
    ]
    for locale, question in questions:
        without = ask(ROOT, blocked / "below", "--locale", locale, question).stdout  # cannot cache
        empty = ask(ROOT, tmp_path / "home", "--locale", locale, question).stdout  # builds, writes
        full = ask(ROOT, tmp_path / "home", "--locale", locale, question).stdout  # loads
        assert "Alexa:" in without
        assert empty == without and full == without, question
    assert not (blocked / "below").exists()


# --- in-process: the same rules, case by case -------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_resolutions_are_the_same_built_and_loaded(
    locale: str, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = resolutions(locale)  # nothing cached yet: built here, and written
    assert (cache_home / f"nlu-{locale}.pickle").is_file()
    forget()
    no_building(monkeypatch)
    assert resolutions(locale) == built


def test_an_edited_model_is_rebuilt_in_process_too(cache_home: Path, edited_sources: Path) -> None:
    assert resolve(NEW_QUESTION) == IntentMatch(FALLBACK_INTENT)
    teach_new_question(edited_sources)
    forget()
    assert resolve(NEW_QUESTION) == IntentMatch("TreatedMusclesIntent")


def test_a_build_from_a_model_parsed_before_the_edit_is_not_stored(
    cache_home: Path, edited_sources: Path
) -> None:
    """A long-lived process that parsed `model.yaml` before it was edited must not store an index of its
    old copy under the edited file's key, or every later run would answer stale: it builds from the file."""
    model_builder.load_source()  # parsed before the edit
    teach_new_question(edited_sources)
    assert resolve(NEW_QUESTION) == IntentMatch("TreatedMusclesIntent")
    forget()  # a new process, after the edit
    assert resolve(NEW_QUESTION) == IntentMatch("TreatedMusclesIntent")


def test_a_content_file_broken_after_it_was_parsed_is_not_hidden_by_the_cache(
    cache_home: Path, edited_sources: Path
) -> None:
    """The index is keyed by `content.yaml` too (the model's dialog prompts come from it): a process that
    parsed it before it was broken must not store an index under the broken file's key, or later runs
    would answer from the cache where a run without one says what is wrong."""
    sources.content_source()  # parsed before the edit
    content = edited_sources / "content.yaml"
    text = content.read_text(encoding="utf-8")
    assert text.count("\nphrases:\n") == 1
    content.write_text(text.replace("\nphrases:\n", "\nphrases_gone:\n"), encoding="utf-8")
    with pytest.raises(KeyError, match="phrases"):
        resolve(QUESTION)
    forget()  # a new process, after the edit
    with pytest.raises(KeyError, match="phrases"):
        resolve(QUESTION)


def test_a_model_edited_while_the_index_is_built_is_not_stored_under_the_old_key(
    cache_home: Path, edited_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is read before the build parses the model: an edit landing in between (then undone, as
    an editor's undo does) must not leave the edited model's index stored under the original's key."""
    original = (edited_sources / "model.yaml").read_bytes()
    build = build_index

    def edited_meanwhile(locale: str) -> Index:
        teach_new_question(edited_sources)
        return build(locale)

    with monkeypatch.context() as patch:
        patch.setattr("skill.tools.nlu.index.build_index", edited_meanwhile)
        assert resolve(NEW_QUESTION) == IntentMatch("TreatedMusclesIntent")
    (edited_sources / "model.yaml").write_bytes(original)
    forget()
    assert resolve(NEW_QUESTION) == IntentMatch(FALLBACK_INTENT)


def valid_header(cache_home: Path) -> bytes:
    """The first two lines of the cache file a build just wrote (format and key)."""
    resolve(QUESTION)
    format_line, key, _ = (cache_home / "nlu-en-US.pickle").read_bytes().split(b"\n", 2)
    return format_line + b"\n" + key + b"\n"


CORRUPTIONS: dict[str, Callable[[bytes, bytes], bytes]] = {
    "empty": lambda header, good: b"",
    "garbage": lambda header, good: b"\x00\xffnot a cache at all\n" * 50,
    "cut short": lambda header, good: good[: len(good) // 2],
    "broken pickle": lambda header, good: header + b"\x80\x05\x95garbage",
    "another kind of object": lambda header, good: header + pickle.dumps({"intent": "TreatedMusclesIntent"}),
    "another format": lambda header, good: b"tpi-skill nlu cache 0" + good[good.index(b"\n") :],
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_cache_is_rebuilt_with_the_same_answers(
    corruption: str, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = valid_header(cache_home)
    path = cache_home / "nlu-en-US.pickle"
    expected = resolutions("en-US")
    path.write_bytes(CORRUPTIONS[corruption](header, path.read_bytes()))
    forget()
    assert resolutions("en-US") == expected
    forget()
    no_building(monkeypatch)  # and it was written anew, whole
    assert resolutions("en-US") == expected


def test_a_folder_in_place_of_the_cache_file_only_costs_a_build(cache_home: Path) -> None:
    expected = resolutions("en-US")
    (cache_home / "nlu-en-US.pickle").unlink()
    (cache_home / "nlu-en-US.pickle").mkdir()
    forget()
    assert resolutions("en-US") == expected


@pytest.mark.parametrize("failing", ["open", "replace", "mkdir"])
def test_a_read_only_cache_only_costs_a_build(
    failing: str, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file system or folder (faked: the tests may run as root, whom permissions never stop)."""
    expected = [resolve(text) for text in sample_texts()]
    forget()
    shutil.rmtree(cache_home)

    def refuse(*args: object, **kwargs: object) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    with monkeypatch.context() as patch:
        patch.setattr(Path if failing == "mkdir" else os, failing, refuse)
        assert [resolve(text) for text in sample_texts()] == expected
    leftovers = list(cache_home.iterdir()) if cache_home.exists() else []
    assert leftovers == []  # no half-written file left behind


def test_a_cache_file_others_could_have_written_is_never_loaded(
    cache_home: Path, edited_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pickle runs code as it loads: a file anyone else can write is rebuilt, not trusted. (Planted
    here: an index of another model, stored under the current model's key.)"""
    header = valid_header(cache_home)  # the key of the model as it is
    teach_new_question(edited_sources)
    forget()
    other = build_index("en-US")  # an index of another model, whose answers would show it was used
    (edited_sources / "model.yaml").write_bytes((ROOT / "skill" / "data" / "model.yaml").read_bytes())
    path = cache_home / "nlu-en-US.pickle"
    for mode, expected in (
        (0o666, FALLBACK_INTENT),
        (0o664, FALLBACK_INTENT),
        (0o644, "TreatedMusclesIntent"),
    ):
        path.write_bytes(header + pickle.dumps(other))
        path.chmod(mode)
        forget()
        assert resolve(NEW_QUESTION).intent == expected, oct(mode)
