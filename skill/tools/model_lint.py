"""Checks an interaction model against Alexa's build rules, so a bad sample fails here, not at `ask deploy`.

Kept apart from `skill.tools.model_builder` because it only reads a finished model: it knows nothing of
`model.yaml`, and the same checks apply to any ASK model, generated or hand-written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
DELEGATION_STRATEGIES = frozenset({"ALWAYS", "SKILL_RESPONSE"})
PROMPT_VARIATION_TYPES = frozenset({"PlainText", "SSML"})
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

        for slot in intent.get("slots", []):
            problems += _lint_slot_samples(name, slot, slots)

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

    problems += _lint_conflicts(intents, types)
    problems += _lint_dialog(model["interactionModel"], intents)
    for required in REQUIRED_BUILT_INS:
        if required not in names:
            problems.append(f"intent {required}: required built-in intent is missing")
    for unused in sorted(set(types) - used_types):
        problems.append(f"type {unused}: defined but no slot uses it")
    return problems


def _lint_conflicts(intents: list[Mapping[str, Any]], types: Mapping[Any, Mapping[str, Any]]) -> list[str]:
    """Utterance conflicts, as the developer console reports them: a sample of one intent that is, word for
    word, another intent's slot sample with one of its slot type's values in the slot. Alexa then picks
    either intent for those words."""
    plain: dict[str, str] = {}
    for intent in intents:
        for sample in intent.get("samples", []):
            if isinstance(sample, str) and "{" not in sample:
                plain.setdefault(_normalise_for_uniqueness(sample), str(intent.get("name")))
    spoken: dict[str, list[str]] = {}
    for name, slot_type in types.items():
        spoken[str(name)] = [
            _normalise_for_uniqueness(text)
            for value in slot_type.get("values", [])
            for text in [value.get("name", {}).get("value"), *value.get("name", {}).get("synonyms", [])]
            if isinstance(text, str)
        ]
    problems = []
    for intent in intents:
        name = str(intent.get("name"))
        slot_types = {str(slot.get("name")): str(slot.get("type")) for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            refs = _SLOT_REF.findall(sample) if isinstance(sample, str) else []
            if len(refs) != 1 or refs[0] not in slot_types:
                continue
            carrier = _normalise_for_uniqueness(sample)
            for value in spoken.get(slot_types[refs[0]], []):
                other = plain.get(carrier.replace("{" + refs[0].lower() + "}", value))
                if other is not None and other != name:
                    problems.append(
                        f"intent {other}: sample {carrier.replace('{' + refs[0].lower() + '}', value)!r} "
                        f"is also {name}'s {sample!r} with {{{refs[0]}}} = {value!r} (utterance conflict)"
                    )
    return problems


def _lint_slot_samples(intent: str, slot: Mapping[str, Any], slots: Mapping[str, str]) -> list[str]:
    """A slot's own samples (what may be said while Alexa elicits it): spoken text holding that slot."""
    problems: list[str] = []
    name = str(slot.get("name"))
    where = f"intent {intent} slot {name}"
    seen: set[str] = set()
    for sample in slot.get("samples", []):
        if not isinstance(sample, str) or not sample:
            problems.append(f"{where}: empty or non-text slot sample {sample!r}")
            continue
        problems += _lint_spoken(sample, where, allow_slots=True)
        refs = _SLOT_REF.findall(sample)
        if name not in refs:
            problems.append(f"{where}: slot sample {sample!r} does not hold {{{name}}}")
        for ref in refs:
            if ref not in slots:
                problems.append(f"{where}: slot sample {sample!r} uses undeclared slot {{{ref}}}")
        key = _normalise_for_uniqueness(sample)
        if key in seen:
            problems.append(f"{where}: slot sample {sample!r} appears twice")
        seen.add(key)
    return problems


def _lint_dialog(interaction_model: Mapping[str, Any], intents: list[Mapping[str, Any]]) -> list[str]:
    """The dialog model Dialog.ElicitSlot relies on: every intent and slot it names exists with the same
    type, every prompt it points to is defined, and every slot with samples has a dialog entry (without
    one Alexa ignores the samples and rejects the directive)."""
    problems: list[str] = []
    dialog = interaction_model.get("dialog")
    prompts = list(interaction_model.get("prompts", []))
    declared = {str(i.get("name")): {str(s.get("name")): s for s in i.get("slots", [])} for i in intents}
    prompt_ids = [str(p.get("id")) for p in prompts]
    for prompt_id in sorted({p for p in prompt_ids if prompt_ids.count(p) > 1}):
        problems.append(f"prompt {prompt_id}: defined more than once")
    for prompt in prompts:
        variations = list(prompt.get("variations", []))
        if not variations:
            problems.append(f"prompt {prompt.get('id')}: has no variations")
        for variation in variations:
            if variation.get("type") not in PROMPT_VARIATION_TYPES:
                problems.append(f"prompt {prompt.get('id')}: variation type {variation.get('type')!r}")
            if not str(variation.get("value") or "").strip():
                problems.append(f"prompt {prompt.get('id')}: empty variation")

    used_prompts: set[str] = set()
    in_dialog: set[tuple[str, str]] = set()
    if dialog is not None:
        strategies = [("dialog", dialog.get("delegationStrategy"))]
        for dialog_intent in dialog.get("intents", []):
            name = str(dialog_intent.get("name"))
            strategies.append((f"dialog intent {name}", dialog_intent.get("delegationStrategy")))
            if name not in declared:
                problems.append(f"dialog intent {name}: not an intent of the language model")
                continue
            for slot in dialog_intent.get("slots", []):
                slot_name = str(slot.get("name"))
                where = f"dialog intent {name} slot {slot_name}"
                in_dialog.add((name, slot_name))
                if slot_name not in declared[name]:
                    problems.append(f"{where}: the intent declares no such slot")
                elif slot.get("type") != declared[name][slot_name].get("type"):
                    problems.append(
                        f"{where}: type {slot.get('type')} differs from the intent's "
                        f"{declared[name][slot_name].get('type')}"
                    )
                slot_prompts = dict(slot.get("prompts") or {})
                if slot.get("elicitationRequired") and "elicitation" not in slot_prompts:
                    problems.append(f"{where}: elicitation required but no elicitation prompt")
                for prompt_id in slot_prompts.values():
                    used_prompts.add(str(prompt_id))
                    if prompt_id not in prompt_ids:
                        problems.append(f"{where}: prompt {prompt_id} is not defined")
        for where, strategy in strategies:
            if strategy is not None and strategy not in DELEGATION_STRATEGIES:
                problems.append(f"{where}: delegation strategy {strategy!r} is not ALWAYS or SKILL_RESPONSE")
    for unused in sorted(set(prompt_ids) - used_prompts):
        problems.append(f"prompt {unused}: defined but no dialog slot uses it")
    for name, slots in declared.items():
        for slot_name, slot in slots.items():
            if slot.get("samples") and (name, slot_name) not in in_dialog:
                problems.append(
                    f"intent {name} slot {slot_name}: has slot samples but no dialog model entry "
                    "(Alexa would ignore them)"
                )
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
