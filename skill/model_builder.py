"""Generates `interaction_models/<locale>.json` from `skill/data/model.yaml`, and lints them.

One hand-written source keeps the five English models identical except where a locale really differs
(spellings such as "anaesthetic"), and the generated files are committed so the ASK CLI, virtual-alexa and
reviewers see exactly what Alexa will build. `python -m skill.model_builder` regenerates them;
`--check` fails when a committed file is stale. The lint encodes Alexa's build rules so a bad sample
fails the tests here instead of at `ask deploy`.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

LOCALES: tuple[str, ...] = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")

# Built-in intents every published custom skill (or this skill's conversation design) needs.
REQUIRED_BUILT_INS: tuple[str, ...] = (
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.StartOverIntent",
)
MIN_CUSTOM_SAMPLES = 15
# virtual-alexa 0.7 (run in CI) reads any utterance containing one of these strings, even inside a
# word ("task"), as a launch request, so each custom intent needs samples without them to be reachable
# from a scripted conversation.
LAUNCH_LIKE = re.compile(r"ask|open|launch|talk to|tell", re.IGNORECASE)
MIN_SAMPLES_WITHOUT_LAUNCH_WORDS = 3
MAX_SAMPLE_CHARS = 200
MAX_INVOCATION_CHARS = 50
FALLBACK_LEVELS = frozenset({"LOW", "MEDIUM", "HIGH"})

# Words an invocation name must not contain: wake words, launch phrases and connecting words Alexa uses
# to find the name inside "Alexa, ask <name> to ...", and words Amazon's requirements name explicitly.
FORBIDDEN_INVOCATION_WORDS = frozenset(
    {
        "alexa",
        "amazon",
        "echo",
        "computer",
        "ziggy",
        "skill",
        "skills",
        "app",
        "ask",
        "tell",
        "open",
        "launch",
        "start",
        "begin",
        "run",
        "play",
        "resume",
        "load",
        "enable",
        "use",
        "talk",
    }
)
# A two-word invocation name may not spend one of its words on an article or connecting word.
WEAK_WORDS = frozenset(
    {"a", "an", "the", "for", "to", "of", "on", "in", "by", "with", "from", "about", "and"}
)

_SLOT_REF = re.compile(r"\{([^{}]*)\}")
_INTENT_NAME = re.compile(r"^[A-Za-z_]+$")
_BUILT_IN_NAME = re.compile(r"^AMAZON\.[A-Za-z]+$")
_SLOT_NAME = re.compile(r"^[A-Za-z][A-Za-z_]*$")
_TYPE_NAME = re.compile(r"^[A-Za-z_]+$")
# Spoken text: letters, single spaces, apostrophes inside words or after a plural s, periods after a
# single letter (spoken abbreviations such as "q. l."), hyphens between letters.
_WORD = r"(?:[a-zA-Z]\.|[a-zA-Z]+(?:['-][a-zA-Z]+)*'?)"
_SPOKEN = re.compile(rf"^{_WORD}(?: {_WORD})*$")


def _source_text() -> str:
    return resources.files("skill").joinpath("data/model.yaml").read_text(encoding="utf-8")


@functools.cache
def load_source() -> Mapping[str, Any]:
    """Parse and shape-check `model.yaml` once per process; everything else derives from it."""
    data = yaml.safe_load(_source_text())
    if not isinstance(data, dict):
        raise ValueError("model.yaml: top level must be a mapping")
    if tuple(data.get("locales", ())) != LOCALES:
        raise ValueError(f"model.yaml: locales must be {list(LOCALES)}")
    intents = data.get("intents")
    if not isinstance(intents, dict) or not intents:
        raise ValueError("model.yaml: 'intents' must be a non-empty mapping")
    for name, spec in intents.items():
        if not isinstance(spec, dict):
            raise ValueError(f"model.yaml: intent {name} must be a mapping")
        _check_strings(spec.get("samples", []), f"intent {name} samples")
    for group, variant in (data.get("locale_variants") or {}).items():
        for locale in variant.get("locales", []):
            if locale not in LOCALES:
                raise ValueError(f"model.yaml: variant {group} names unknown locale {locale}")
        for name, extra in (variant.get("samples") or {}).items():
            if name not in intents:
                raise ValueError(f"model.yaml: variant {group} adds samples to unknown intent {name}")
            _check_strings(extra, f"variant {group} samples of {name}")
    for name, phrases in (data.get("resolver_only") or {}).items():
        _check_strings(phrases, f"resolver_only {name}")
    for name, words in (data.get("resolver_type_hints") or {}).items():
        if name not in data.get("types", {}):
            raise ValueError(f"model.yaml: resolver_type_hints names unknown type {name}")
        _check_strings(words, f"resolver_type_hints {name}")
    return data


def _check_strings(values: object, where: str) -> None:
    # YAML reads bare yes/no/on/off as booleans; catch that here rather than ship "True" as a sample.
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"model.yaml: {where} must be a list of strings (quote yes/no/on/off)")


def _variants_for(locale: str) -> list[Mapping[str, Any]]:
    variants = load_source().get("locale_variants") or {}
    return [v for v in variants.values() if locale in v.get("locales", [])]


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {', '.join(LOCALES)}")


def build_model(locale: str) -> dict[str, Any]:
    """Return the ASK interaction model for `locale` as a fresh dict (callers may change it)."""
    _check_locale(locale)
    source = load_source()
    variants = _variants_for(locale)

    intents: list[dict[str, Any]] = []
    for name, spec in source["intents"].items():
        samples = list(spec.get("samples", []))
        for variant in variants:
            samples.extend((variant.get("samples") or {}).get(name, []))
        intent: dict[str, Any] = {"name": name, "samples": samples}
        slots = spec.get("slots") or {}
        if slots:
            intent["slots"] = [{"name": slot, "type": slot_type} for slot, slot_type in slots.items()]
        intents.append(intent)

    types: list[dict[str, Any]] = []
    for type_name, values in source["types"].items():
        rendered = []
        for value in values:
            synonyms = list(value.get("synonyms", []))
            for variant in variants:
                extra = ((variant.get("synonyms") or {}).get(type_name) or {}).get(value["id"], [])
                synonyms.extend(extra)
            rendered.append({"id": value["id"], "name": {"value": value["value"], "synonyms": synonyms}})
        types.append({"name": type_name, "values": rendered})

    language_model: dict[str, Any] = {
        "invocationName": source["invocation_name"],
        "intents": intents,
        "types": types,
    }
    level = source.get("fallback_intent_sensitivity")
    if level:
        language_model["modelConfiguration"] = {"fallbackIntentSensitivity": {"level": level}}
    return {"interactionModel": {"languageModel": language_model}}


def resolver_phrases(locale: str) -> dict[str, list[str]]:
    """Plain phrases for built-in intents that Alexa knows already; only the local resolver uses them."""
    _check_locale(locale)
    return {name: list(phrases) for name, phrases in (load_source().get("resolver_only") or {}).items()}


def resolver_type_hints(locale: str) -> dict[str, list[str]]:
    """Words showing that an unrecognised slot value still belongs to the type ("biceps" for MUSCLE)."""
    _check_locale(locale)
    return {name: list(words) for name, words in (load_source().get("resolver_type_hints") or {}).items()}


def render(model: Mapping[str, Any]) -> str:
    """Serialise deterministically so regenerating an unchanged source leaves git clean."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def model_path(directory: Path, locale: str) -> Path:
    return Path(directory) / f"{locale}.json"


def write_models(directory: Path | str) -> list[Path]:
    """Write every locale's model into `directory`; files already up to date are left untouched."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for locale in LOCALES:
        path = model_path(directory, locale)
        text = render(build_model(locale))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def stale_models(directory: Path | str) -> list[Path]:
    """Return the model files in `directory` that are missing or differ from what the source generates."""
    stale = []
    for locale in LOCALES:
        path = model_path(Path(directory), locale)
        if not path.exists() or path.read_text(encoding="utf-8") != render(build_model(locale)):
            stale.append(path)
    return stale


# --- lint ---------------------------------------------------------------------------------------------


def _normalise_for_uniqueness(sample: str) -> str:
    return " ".join(sample.lower().split())


def _lint_spoken(text: str, where: str, *, allow_slots: bool) -> list[str]:
    problems = []
    if text != text.strip() or "  " in text:
        problems.append(f"{where}: {text!r} has leading, trailing or double spaces")
    if len(text) > MAX_SAMPLE_CHARS:
        problems.append(f"{where}: {text!r} is longer than {MAX_SAMPLE_CHARS} characters")
    if re.search(r"\d", text):
        problems.append(f"{where}: {text!r} has digits; spell numbers out")
    words = text.split(" ")
    if allow_slots:
        words = [w for w in words if not _SLOT_REF.fullmatch(w)]
        if any("{" in w or "}" in w for w in words):
            problems.append(f"{where}: {text!r} has a slot reference not separated by spaces or unbalanced")
            return problems
    elif "{" in text or "}" in text:
        problems.append(f"{where}: {text!r} may not contain braces")
        return problems
    if words and not _SPOKEN.match(" ".join(words)):
        problems.append(
            f"{where}: {text!r} has characters Alexa rejects "
            "(only letters, spaces, apostrophes, abbreviation periods and hyphens)"
        )
    return problems


def _lint_invocation(name: object) -> list[str]:
    if not isinstance(name, str) or not name:
        return ["invocationName: missing"]
    problems = []
    where = f"invocationName {name!r}"
    if name != name.lower():
        problems.append(f"{where}: must be lowercase")
    if len(name) > MAX_INVOCATION_CHARS:
        problems.append(f"{where}: longer than {MAX_INVOCATION_CHARS} characters")
    if not _SPOKEN.match(name) or re.search(r"\d", name) or "-" in name:
        problems.append(
            f"{where}: only lowercase letters, spaces, possessive apostrophes, abbreviation periods"
        )
    words = [w.strip(".'").lower() for w in name.split()]
    if len(words) < 2:
        problems.append(f"{where}: needs two or more words")
    forbidden = sorted(set(words) & FORBIDDEN_INVOCATION_WORDS)
    if forbidden:
        problems.append(f"{where}: contains wake or launch words {forbidden}")
    if len(words) == 2 and set(words) & WEAK_WORDS:
        problems.append(f"{where}: a two-word name may not use an article or connecting word")
    return problems


def lint_model(model: Mapping[str, Any]) -> list[str]:
    """Check an ASK interaction model against Alexa's build rules and this project's own; [] means clean."""
    try:
        language_model = model["interactionModel"]["languageModel"]
        intents: list[Mapping[str, Any]] = list(language_model["intents"])
    except (KeyError, TypeError):
        return ["model: expected interactionModel.languageModel.intents"]
    problems = _lint_invocation(language_model.get("invocationName"))

    types = {t.get("name"): t for t in language_model.get("types", [])}
    problems += _lint_types(types)

    level = (
        language_model.get("modelConfiguration", {}).get("fallbackIntentSensitivity", {}).get("level", "LOW")
    )
    if level not in FALLBACK_LEVELS:
        problems.append(f"modelConfiguration: fallback sensitivity {level!r} is not one of LOW, MEDIUM, HIGH")

    seen_samples: dict[str, str] = {}
    seen_carriers: dict[str, str] = {}
    names = [str(i.get("name")) for i in intents]
    used_types: set[str] = set()
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"intent {name}: defined more than once")
    for intent in intents:
        name = str(intent.get("name"))
        built_in = name.startswith("AMAZON.")
        if built_in and not _BUILT_IN_NAME.match(name):
            problems.append(f"intent {name}: built-in names are AMAZON. followed by letters")
        if not built_in and not _INTENT_NAME.match(name):
            problems.append(f"intent {name}: custom intent names use letters and underscores only")

        slots: dict[str, str] = {}
        for slot in intent.get("slots", []):
            slot_name, slot_type = str(slot.get("name")), str(slot.get("type"))
            if not _SLOT_NAME.match(slot_name):
                problems.append(f"intent {name}: slot name {slot_name!r} must be letters and underscores")
            if slot_name in slots:
                problems.append(f"intent {name}: slot {slot_name} declared twice")
            slots[slot_name] = slot_type
            used_types.add(slot_type)
            if not slot_type.startswith("AMAZON.") and slot_type not in types:
                problems.append(f"intent {name}: slot {slot_name} has undefined type {slot_type}")

        samples = list(intent.get("samples", []))
        if name == "AMAZON.FallbackIntent" and samples:
            problems.append("intent AMAZON.FallbackIntent: may not have samples")
        for sample in samples:
            where = f"intent {name}"
            if not isinstance(sample, str) or not sample:
                problems.append(f"{where}: empty or non-text sample {sample!r}")
                continue
            problems += _lint_spoken(sample, where, allow_slots=True)
            refs = _SLOT_REF.findall(sample)
            for ref in refs:
                if ref not in slots:
                    problems.append(f"{where}: sample {sample!r} uses undeclared slot {{{ref}}}")
            for ref in sorted({r for r in refs if refs.count(r) > 1}):
                problems.append(f"{where}: sample {sample!r} uses slot {{{ref}}} twice")
            key = _normalise_for_uniqueness(sample)
            if key in seen_samples:
                other = seen_samples[key]
                detail = "twice" if other == name else f"also in {other}"
                problems.append(f"{where}: sample {sample!r} appears {detail}")
            else:
                seen_samples[key] = name
            if refs:
                # Identical wording with different slots: Alexa cannot tell the intents apart by words.
                carrier = _SLOT_REF.sub("{}", key)
                if seen_carriers.setdefault(carrier, name) != name:
                    problems.append(
                        f"{where}: sample {sample!r} has the same wording as a slot sample of "
                        f"{seen_carriers[carrier]}"
                    )

        if not built_in:
            if len(samples) < MIN_CUSTOM_SAMPLES:
                problems.append(f"intent {name}: {len(samples)} samples, needs at least {MIN_CUSTOM_SAMPLES}")
            plain = [s for s in samples if not LAUNCH_LIKE.search(str(s))]
            if len(plain) < MIN_SAMPLES_WITHOUT_LAUNCH_WORDS:
                problems.append(
                    f"intent {name}: needs {MIN_SAMPLES_WITHOUT_LAUNCH_WORDS} samples without "
                    f"{LAUNCH_LIKE.pattern!r} (virtual-alexa reads those as launch requests)"
                )

    for required in REQUIRED_BUILT_INS:
        if required not in names:
            problems.append(f"intent {required}: required built-in intent is missing")
    for unused in sorted(set(types) - used_types):
        problems.append(f"type {unused}: defined but no slot uses it")
    return problems


def _lint_types(types: Mapping[Any, Mapping[str, Any]]) -> list[str]:
    problems = []
    for type_name, slot_type in types.items():
        where = f"type {type_name}"
        if (
            not isinstance(type_name, str)
            or type_name.startswith("AMAZON.")
            or not _TYPE_NAME.match(type_name)
        ):
            problems.append(f"{where}: custom type names use letters and underscores only")
        values = list(slot_type.get("values", []))
        if not values:
            problems.append(f"{where}: has no values")
        ids: set[str] = set()
        spoken: dict[str, str] = {}
        for value in values:
            value_id = str(value.get("id", ""))
            if not value_id:
                problems.append(f"{where}: a value has no id")
            elif value_id in ids:
                problems.append(f"{where}: id {value_id} used twice")
            ids.add(value_id)
            name = value.get("name", {})
            for text in [name.get("value"), *name.get("synonyms", [])]:
                if not isinstance(text, str) or not text:
                    problems.append(f"{where}: value {value_id} has an empty value or synonym")
                    continue
                problems += _lint_spoken(text, f"{where} value {value_id}", allow_slots=False)
                key = _normalise_for_uniqueness(text)
                if key in spoken:
                    problems.append(f"{where}: {text!r} used by both {spoken[key]} and {value_id}")
                spoken.setdefault(key, value_id)
    return problems


# --- command ------------------------------------------------------------------------------------------


def default_directory() -> Path:
    """`interaction_models/` of the checkout this package lives in, else of the working directory."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "interaction_models"
    return Path.cwd() / "interaction_models"


def _problems_for_all_locales() -> list[str]:
    return [f"{locale}: {p}" for locale in LOCALES for p in lint_model(build_model(locale))]


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the committed models, or with --check report the stale ones; the exit code says which."""
    parser = argparse.ArgumentParser(
        prog="python -m skill.model_builder",
        description="Generate interaction_models/<locale>.json from skill/data/model.yaml.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file is stale")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="output directory (default: the checkout's interaction_models/)",
    )
    args = parser.parse_args(argv)
    directory: Path = args.dir or default_directory()

    problems = _problems_for_all_locales()
    if problems:
        _print_lines(problems, "model.yaml breaks Alexa's build rules:")
        return 1
    if args.check:
        stale = stale_models(directory)
        if stale:
            _print_lines(
                [str(p) for p in stale],
                "stale interaction models (run `python -m skill.model_builder`):",
            )
            return 1
        print(f"interaction models in {directory} are up to date")
        return 0
    for path in write_models(directory):
        print(path)
    return 0


def _print_lines(lines: Iterable[str], heading: str) -> None:
    print(heading, file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
