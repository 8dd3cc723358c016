"""Generates `interaction_models/<locale>.json` from `skill/data/model.yaml`, and lints them.

One hand-written source keeps the five English models identical except where a locale really differs
(spellings such as "anaesthetic"), and the generated files are committed so the ASK CLI, virtual-alexa and
reviewers see exactly what Alexa will build. `python -m skill.model_builder` regenerates them;
`--check` fails when a committed file is stale. Both refuse to write a model that `skill.model_lint`
finds breaking Alexa's build rules.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from skill.envelopes import LOCALES
from skill.model_lint import lint_model


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


def _outdated(directory: Path) -> list[tuple[Path, str]]:
    """Each model file in `directory` that is missing or differs from the source, with the text it needs."""
    outdated = []
    for locale in LOCALES:
        path, text = model_path(directory, locale), render(build_model(locale))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            outdated.append((path, text))
    return outdated


def write_models(directory: Path | str) -> list[Path]:
    """Write every locale's model into `directory`; files already up to date are left untouched."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in _outdated(directory):
        path.write_text(text, encoding="utf-8")
    return [model_path(directory, locale) for locale in LOCALES]


def stale_models(directory: Path | str) -> list[Path]:
    """Return the model files in `directory` that are missing or differ from what the source generates."""
    return [path for path, _ in _outdated(Path(directory))]


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
