"""Generates `interaction_models/<locale>.json` from `skill/data/model.yaml`, lints them, and compiles
`skill/data/content.yaml` to the `content.json` the skill loads.

One hand-written source keeps the five English models identical except where a locale really differs
(spellings such as "anaesthetic"), and the generated files are committed so the ASK CLI, virtual-alexa and
reviewers see exactly what Alexa will build. `tpi-skill build-models` regenerates every generated file;
`--check` fails when a committed one is stale. Both refuse to write anything while a model breaks
Alexa's build rules (`skill.tools.model_lint`).
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from skill.tools import sources
from skill.tools.locales import LOCALES
from skill.tools.model_lint import lint_model


@functools.cache
def load_source() -> Mapping[str, Any]:
    """Parse and shape-check `model.yaml` once per process; everything else derives from it."""
    data = sources.parse_yaml(sources.read_source("model.yaml"))
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
    for name, words in (data.get("vague_words") or {}).items():
        if name not in data.get("types", {}):
            raise ValueError(f"model.yaml: vague_words names unknown type {name}")
        _check_strings(words, f"vague_words {name}")
    for name, words in (data.get("resolver_type_hints") or {}).items():
        if name not in data.get("types", {}):
            raise ValueError(f"model.yaml: resolver_type_hints names unknown type {name}")
        _check_strings(words, f"resolver_type_hints {name}")
    return data


def forget_parsed() -> None:
    """Drop every parsed copy of the sources kept in this process (`model.yaml`, `content.yaml` and what
    is derived from them), so the next build reads the files as they are now: `skill.tools.nlu.index`
    does before a build it stores under those files' key."""
    load_source.cache_clear()
    _dialog_model.cache_clear()
    sources.content_source.cache_clear()


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
            elicitation = spec.get("elicitation") or {}
            intent["slots"] = [
                {"name": slot, "type": slot_type, **_slot_samples(elicitation)}
                for slot, slot_type in slots.items()
            ]
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
    return {"interactionModel": {"languageModel": language_model, **copy.deepcopy(_dialog_model())}}


def _slot_samples(elicitation: Mapping[str, Any]) -> dict[str, Any]:
    samples = elicitation.get("samples")
    return {"samples": list(samples)} if samples else {}


@functools.cache
def _dialog_model() -> dict[str, Any]:
    """The dialog model Dialog.ElicitSlot needs: one elicitable slot per re-asking intent. The skill
    manages the dialog itself (SKILL_RESPONSE), so the prompt here, taken from content.yaml's phrase,
    is only what Alexa would say if it ever delegated."""
    source = load_source()
    phrases = sources.source_phrases()
    dialog_intents: list[dict[str, Any]] = []
    prompts: list[dict[str, Any]] = []
    for name, spec in source["intents"].items():
        elicitation = spec.get("elicitation")
        if not elicitation:
            continue
        slots = []
        for slot, slot_type in (spec.get("slots") or {}).items():
            prompt_id = f"Elicit.Slot.{name}.{slot}"
            prompts.append(
                {
                    "id": prompt_id,
                    "variations": [{"type": "PlainText", "value": phrases[elicitation["prompt"]]}],
                }
            )
            slots.append(
                {
                    "name": slot,
                    "type": slot_type,
                    "elicitationRequired": True,
                    "confirmationRequired": False,
                    "prompts": {"elicitation": prompt_id},
                }
            )
        dialog_intents.append(
            {
                "name": name,
                "delegationStrategy": "SKILL_RESPONSE",
                "confirmationRequired": False,
                "prompts": {},
                "slots": slots,
            }
        )
    if not dialog_intents:
        return {}
    return {"dialog": {"delegationStrategy": "SKILL_RESPONSE", "intents": dialog_intents}, "prompts": prompts}


def mention_table() -> dict[str, str]:
    """Every word or phrase of the slot types (all locales), normalised, with the id it stands for; and
    each type's hint words with what they show: a body part or a question the leaflet does not cover.
    The skill uses it to understand a slot Alexa could not resolve, without ever repeating its words."""
    from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART, VAGUE, normalise

    hint_kind = {"BODY_PART": UNKNOWN_PART, "SUBJECT": NOT_COVERED}
    table: dict[str, str] = {}

    def add(phrase: str, meaning: str) -> None:
        key = normalise(phrase)
        if table.setdefault(key, meaning) != meaning:
            raise ValueError(f"model.yaml: {phrase!r} stands for both {table[key]} and {meaning}")

    for locale in LOCALES:  # each locale's types, with its own synonyms merged in by build_model
        for slot_type in build_model(locale)["interactionModel"]["languageModel"]["types"]:
            for value in slot_type["values"]:
                for phrase in [value["name"]["value"], *value["name"]["synonyms"]]:
                    add(phrase, value["id"])
    for type_name, words in resolver_type_hints().items():
        if type_name not in hint_kind:
            raise ValueError(f"model.yaml: say what hint words of {type_name} mean in mention_table")
        for word in words:
            add(word, hint_kind[type_name])
    for words in (load_source().get("vague_words") or {}).values():
        for word in words:
            add(word, VAGUE)
    return table


def resolver_phrases() -> dict[str, list[str]]:
    """Plain phrases for built-in intents that Alexa knows already; only the local resolver uses them.
    The same in every locale (none has a spelling variant)."""
    return {name: list(phrases) for name, phrases in (load_source().get("resolver_only") or {}).items()}


def resolver_type_hints() -> dict[str, list[str]]:
    """Words showing that an unrecognised slot value still belongs to the type ("biceps" for MUSCLE)."""
    return {name: list(words) for name, words in (load_source().get("resolver_type_hints") or {}).items()}


def render(model: Mapping[str, Any]) -> str:
    """Serialise deterministically so regenerating an unchanged source leaves git clean."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def model_path(directory: Path, locale: str) -> Path:
    return Path(directory) / f"{locale}.json"


def generated_files(models: Mapping[str, Mapping[str, Any]], directory: Path) -> dict[Path, str]:
    """Every generated file, with the text its source gives it: each locale's model in `directory`, and
    the compiled content the skill loads."""
    files = {model_path(directory, locale): render(model) for locale, model in models.items()}
    files[sources.compiled_path()] = sources.compile_content(mention_table())
    return files


def stale_files(files: Mapping[Path, str]) -> list[Path]:
    """The files that are missing or differ from the text they should have."""
    return [path for path, text in files.items() if not path.exists() or path.read_text("utf-8") != text]


# --- command ------------------------------------------------------------------------------------------


def default_directory() -> Path:
    """`interaction_models/` of the checkout this package lives in, else of the working directory."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").exists():
        return checkout / "interaction_models"
    return Path.cwd() / "interaction_models"


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate every generated file, or with --check report the stale ones; the exit code says which."""
    parser = argparse.ArgumentParser(
        prog="tpi-skill build-models",
        description="Generate interaction_models/<locale>.json and skill/runtime/data/content.json.",
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file is stale")
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where the models go (default: the checkout's interaction_models/)",
    )
    args = parser.parse_args(argv)
    directory: Path = args.dir or default_directory()

    models = {locale: build_model(locale) for locale in LOCALES}
    problems = [f"{locale}: {problem}" for locale, model in models.items() for problem in lint_model(model)]
    if problems:
        _print_lines(problems, "model.yaml breaks Alexa's build rules; nothing was written:")
        return 1
    files = generated_files(models, directory)
    stale = stale_files(files)
    if args.check:
        if stale:
            _print_lines([str(p) for p in stale], "stale generated files (run `tpi-skill build-models`):")
            return 1
        print(f"interaction models in {directory} and {sources.compiled_path().name} are up to date")
        return 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
    for path in files:
        print(path)
    return 0


def _print_lines(lines: Iterable[str], heading: str) -> None:
    print(heading, file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
