"""The committed interaction models are what the source generates, and they pass Alexa's build rules.

A stale or invalid model would otherwise only show up at `ask deploy` (or never, in the local CLI), so
these tests regenerate every locale and run the lint, and prove the lint can fail by seeding faults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.tools import model_builder
from skill.tools.envelopes import LOCALES
from skill.tools.local import Conversation
from skill.tools.model_builder import build_model, generated_files, main, render, stale_files
from skill.tools.model_lint import lint_model
from tests.speech_text import spoken_text

MODELS_DIR = Path(__file__).resolve().parent.parent / "interaction_models"

ARCHITECTURE = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
_NAME = re.compile(r"`((?:AMAZON\.)?[A-Za-z]+Intent)`")
_SLOT = re.compile(r"`(\w+)` \(`([A-Z_]+)`\)")
_SLOT_ONLY = re.compile(r"\{\w+\}")


def architecture_tables() -> tuple[dict[str, dict[str, str]], dict[str, set[str]]]:
    """The intents (with their slots' names and types) and slot types (with their value ids) that
    docs/architecture.md fixes; handlers and content.yaml depend on every name and id."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("## Intents") :]
    intents: dict[str, dict[str, str]] = {}
    types: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 3:
            continue
        if re.fullmatch(r"`[A-Z_]+`", cells[0]):
            types[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[1]))
            continue
        slots = dict(_SLOT.findall(cells[1]))
        for name in _NAME.findall(cells[0]):
            intents[name] = slots
    return intents, types


ARCHITECTURE_INTENTS, ARCHITECTURE_TYPES = architecture_tables()


def test_the_architecture_tables_are_read() -> None:
    """Guards the parser above: an emptied or reformatted table must fail here, not pass vacuously."""
    assert len(ARCHITECTURE_INTENTS) >= 30
    assert ARCHITECTURE_INTENTS["BodyPartIntent"] == {"bodyPart": "BODY_PART"}
    assert ARCHITECTURE_INTENTS["SubjectIntent"] == {"subject": "SUBJECT"}
    assert ARCHITECTURE_INTENTS["NotCoveredIntent"] == {}
    assert {"AMAZON.StopIntent", "AMAZON.FallbackIntent", "ThanksIntent", "CausesIntent"} <= set(
        ARCHITECTURE_INTENTS
    )
    assert set(ARCHITECTURE_TYPES) == {"BODY_PART", "SUBJECT"}
    assert {"trapezius", "neck", "lower_back", "legs"} <= ARCHITECTURE_TYPES["BODY_PART"]
    assert {"cost", "side_effects", "medicine", "steroid"} <= ARCHITECTURE_TYPES["SUBJECT"]


def language_model(model: dict[str, Any]) -> dict[str, Any]:
    lm: dict[str, Any] = model["interactionModel"]["languageModel"]
    return lm


def intent(model: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in language_model(model)["intents"] if i["name"] == name)
    return found


def samples(model: dict[str, Any], name: str) -> list[str]:
    return list(intent(model, name)["samples"])


# --- regenerate ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_model_equals_generator_output(locale: str) -> None:
    path = MODELS_DIR / f"{locale}.json"
    assert path.exists(), f"{path} missing: run tpi-skill build-models"
    assert path.read_text(encoding="utf-8") == render(build_model(locale)), (
        f"{path} is stale: run tpi-skill build-models"
    )


def test_no_stray_model_files() -> None:
    assert sorted(p.name for p in MODELS_DIR.glob("*.json")) == sorted(f"{x}.json" for x in LOCALES)


def test_output_is_deterministic_and_parseable() -> None:
    for locale in LOCALES:
        text = render(build_model(locale))
        assert text == render(build_model(locale))
        assert text.endswith("}\n")
        assert json.loads(text) == build_model(locale)


def containers(value: object) -> Iterator[object]:
    """Every dict and list inside `value`, itself included."""
    if isinstance(value, dict | list):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from containers(item)


def test_build_model_returns_a_fresh_copy() -> None:
    """Callers (and the lint tests below) change what they get: no dict or list may be shared."""
    first, second = build_model("en-US"), build_model("en-US")
    shared = {id(c) for c in containers(first)} & {id(c) for c in containers(second)}
    assert shared == set()
    language_model(first)["intents"].clear()
    assert language_model(build_model("en-US"))["intents"]


def test_source_is_loaded_once() -> None:
    assert model_builder.load_source() is model_builder.load_source()


def test_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported locale"):
        build_model("de-DE")


def test_main_writes_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    for locale in LOCALES:
        assert (tmp_path / f"{locale}.json").read_text(encoding="utf-8") == render(build_model(locale))
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_main_check_lists_stale_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    (tmp_path / "en-GB.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "en-IN.json").unlink()
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "en-GB.json" in err and "en-IN.json" in err and "en-US.json" not in err
    assert main(["--dir", str(tmp_path)]) == 0  # regenerating mends both
    assert main(["--check", "--dir", str(tmp_path)]) == 0


def test_the_compiled_content_is_one_of_the_generated_files(tmp_path: Path) -> None:
    """`build-models` keeps content.json current too, through the same stale check as the models."""
    models = {locale: build_model(locale) for locale in LOCALES}
    files = generated_files(models, tmp_path)
    compiled = next(path for path in files if path.name == "content.json")
    assert json.loads(files[compiled])["skill_name"] == "Trigger Point Guide"
    assert compiled not in stale_files(files)  # the committed copy is current
    stale_copy = tmp_path / "content.json"
    stale_copy.write_text("{}", encoding="utf-8")
    assert stale_files({stale_copy: files[compiled]}) == [stale_copy]


def test_check_defaults_to_the_committed_models(capsys: pytest.CaptureFixture[str]) -> None:
    """What `tpi-skill build-models --check` runs in CI: no --dir, so the checkout's interaction_models/."""
    assert main(["--check"]) == 0
    assert f"interaction models in {MODELS_DIR} and content.json are up to date" in capsys.readouterr().out


# --- what the models contain ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_intents_and_slots_match_the_architecture(locale: str) -> None:
    model = build_model(locale)
    intents = language_model(model)["intents"]
    found = {i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])} for i in intents}
    assert found == ARCHITECTURE_INTENTS
    types = {t["name"]: {v["id"] for v in t["values"]} for t in language_model(model)["types"]}
    assert types == ARCHITECTURE_TYPES


def test_invocation_name_is_the_same_everywhere() -> None:
    names = {language_model(build_model(locale))["invocationName"] for locale in LOCALES}
    assert names == {"trigger point guide"}


def test_locale_spellings() -> None:
    us, gb, ca = build_model("en-US"), build_model("en-GB"), build_model("en-CA")
    assert "is it a local anesthetic" in samples(us, "InjectedMedicineIntent")
    assert "is it a local anaesthetic" not in samples(us, "InjectedMedicineIntent")
    assert "is it a local anaesthetic" in samples(gb, "InjectedMedicineIntent")
    assert "is it a local anesthetic" not in samples(gb, "InjectedMedicineIntent")
    assert "physiotherapy didn't help" in samples(gb, "OtherTreatmentsIntent")
    assert "physiotherapy didn't help" in samples(ca, "OtherTreatmentsIntent")
    assert "physiotherapy didn't help" not in samples(us, "OtherTreatmentsIntent")
    assert "physical therapy didn't help" in samples(us, "OtherTreatmentsIntent")


def test_help_knows_what_else_can_i_ask() -> None:
    help_samples = samples(build_model("en-US"), "AMAZON.HelpIntent")
    assert {"what else can i ask", "what can i ask", "what topics do you cover"} <= set(help_samples)


def test_body_part_synonyms_patients_use() -> None:
    body_part = next(t for t in language_model(build_model("en-GB"))["types"] if t["name"] == "BODY_PART")
    synonyms = {v["id"]: set(v["name"]["synonyms"]) for v in body_part["values"]}
    assert {"traps", "trapezius muscle"} <= synonyms["trapezius"]
    assert {"levator", "side of my neck"} <= synonyms["levator_scapulae"]
    assert {"glute med", "gluteus", "hip muscle"} <= synonyms["gluteus_medius"]
    assert {"q. l.", "quadratus", "deep lower back muscle"} <= synonyms["quadratus_lumborum"]
    assert {"bum", "bottom", "glutes"} <= synonyms["buttocks"]
    assert {"low back", "lumbar"} <= synonyms["lower_back"]
    assert {"shoulder", "shoulder blade"} <= synonyms["shoulders"]


def test_hint_words_are_never_a_value_the_leaflet_answers() -> None:
    """A hint ("knee") says the leaflet does not know the part; as a value it would get a wrong answer."""
    types = {t["name"]: t for t in language_model(build_model("en-GB"))["types"]}
    for type_name, hints in model_builder.resolver_type_hints().items():
        spoken = {
            " ".join(text.split())
            for value in types[type_name]["values"]
            for text in [value["name"]["value"], *value["name"]["synonyms"]]
        }
        assert set(hints) & spoken == set(), type_name


# --- the dialog model ------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_the_dialog_model_lets_the_skill_re_ask_each_open_slot(locale: str) -> None:
    interaction = build_model(locale)["interactionModel"]
    dialog = interaction["dialog"]
    assert dialog["delegationStrategy"] == "SKILL_RESPONSE"  # the skill decides when to re-ask
    elicited = {(i["name"], s["name"], s["type"]) for i in dialog["intents"] for s in i["slots"]}
    slotted = {(name, slot, t) for name, slots in ARCHITECTURE_INTENTS.items() for slot, t in slots.items()}
    assert elicited == slotted
    prompts = {p["id"] for p in interaction["prompts"]}
    assert {s["prompts"]["elicitation"] for i in dialog["intents"] for s in i["slots"]} == prompts


@pytest.mark.parametrize(("name", "slot"), [("BodyPartIntent", "bodyPart"), ("SubjectIntent", "subject")])
def test_the_re_ask_prompt_is_what_the_skill_says_when_the_slot_is_empty(name: str, slot: str) -> None:
    interaction = build_model("en-GB")["interactionModel"]
    dialog_intent = next(i for i in interaction["dialog"]["intents"] if i["name"] == name)
    dialog_slot = next(s for s in dialog_intent["slots"] if s["name"] == slot)
    prompt = next(p for p in interaction["prompts"] if p["id"] == dialog_slot["prompts"]["elicitation"])
    turn = Conversation(locale="en-GB").intent(name)
    assert [v["value"] for v in prompt["variations"]] == [spoken_text(turn.speech)]
    assert turn.eliciting == (name, slot)


def test_slot_samples_are_only_heard_while_the_slot_is_asked_for() -> None:
    """The bare "{bodyPart}" exists only as a slot sample: as an intent sample it would catch any words."""
    for intent in language_model(build_model("en-GB"))["intents"]:
        assert all(_SLOT_ONLY.fullmatch(sample) is None for sample in intent["samples"]), intent["name"]
        for slot in intent.get("slots", []):
            assert "{" + slot["name"] + "}" in slot["samples"]


def test_fallback_sensitivity_is_set() -> None:
    config = language_model(build_model("en-US"))["modelConfiguration"]
    assert config == {"fallbackIntentSensitivity": {"level": "MEDIUM"}}


# --- the lint ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_lint_passes_on_our_models(locale: str) -> None:
    assert lint_model(build_model(locale)) == []


@pytest.fixture
def model() -> dict[str, Any]:
    """A model each test may break: build_model returns a fresh one every call (tested above)."""
    return build_model("en-US")


def assert_flags(model: dict[str, Any], *fragments: str) -> None:
    problems = lint_model(model)
    for fragment in fragments:
        assert any(fragment in p for p in problems), f"no problem mentions {fragment!r}: {problems}"


def test_lint_catches_an_undefined_slot_type(model: dict[str, Any]) -> None:
    intent(model, "BodyPartIntent")["slots"][0]["type"] = "MUSCLE"
    assert_flags(model, "undefined type MUSCLE", "type BODY_PART: defined but no slot uses it")


def test_amazon_slot_types_need_no_definition(model: dict[str, Any]) -> None:
    intent(model, "BodyPartIntent")["slots"].append({"name": "when", "type": "AMAZON.DATE"})
    assert lint_model(model) == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("guide", "two or more words"),
        ("Trigger Point Guide", "lowercase"),
        ("alexa trigger guide", "wake or launch words"),
        ("ask trigger point", "wake or launch words"),
        ("trigger point skill", "wake or launch words"),
        ("open the guide", "wake or launch words"),
        ("the guide", "article or connecting word"),
        ("trigger point guide two thousand and twenty five plus some more words", "longer than"),
        ("trigger point guide 2", "only lowercase letters"),
        ("trigger-point guide", "only lowercase letters"),
        ("trigger point guide!", "only lowercase letters"),
        ("", "missing"),
    ],
)
def test_lint_catches_a_bad_invocation_name(model: dict[str, Any], name: str, fragment: str) -> None:
    language_model(model)["invocationName"] = name
    assert_flags(model, fragment)


def test_lint_accepts_possessives_and_abbreviations(model: dict[str, Any]) -> None:
    language_model(model)["invocationName"] = "sam's t. p. i. guide"
    assert lint_model(model) == []


@pytest.mark.parametrize(
    ("name", "sample", "fragment"),
    [
        ("SafetyIntent", "is it safe after 2 weeks", "digits"),
        ("SafetyIntent", "is it safe?", "characters Alexa rejects"),
        ("SafetyIntent", "is it safe, really", "characters Alexa rejects"),
        ("SafetyIntent", "is it safe & sound", "characters Alexa rejects"),
        ("SafetyIntent", "is it  safe for kids", "double spaces"),
        ("SafetyIntent", " is it safe for kids", "leading, trailing"),
        ("SafetyIntent", "is it safe for my{bodyPart}", "not separated by spaces"),
        ("SafetyIntent", "is it safe for my {bodyPart", "not separated by spaces"),
        ("SafetyIntent", "is it " + "very " * 45 + "safe", "longer than 200"),
        ("SafetyIntent", "Which  muscles are treated", "also in TreatedMusclesIntent"),
        ("SafetyIntent", "is it safe", "appears twice"),
        ("BenefitsIntent", "will it help my {bodyPart}", "undeclared slot {bodyPart}"),
        ("NotCoveredIntent", "how much is the {subject}", "undeclared slot {subject}"),
        ("BodyPartIntent", "the {bodyPart} or the {bodyPart}", "uses slot {bodyPart} twice"),
        ("SubjectIntent", "tell me about the {subject}", "same wording as a slot sample of BodyPartIntent"),
    ],
)
def test_lint_catches_bad_samples(model: dict[str, Any], name: str, sample: str, fragment: str) -> None:
    intent(model, name)["samples"].append(sample)
    assert_flags(model, fragment)


def test_lint_accepts_contractions_hyphens_and_spoken_letters(model: dict[str, Any]) -> None:
    intent(model, "SafetyIntent")["samples"] += ["is it safe for my son's back", "is a t. p. i. low-risk"]
    assert lint_model(model) == []


@pytest.mark.parametrize("name", ["Body2Intent", "Body-Intent", "Body Intent", "AMAZON.Help_Intent"])
def test_lint_catches_bad_intent_names(model: dict[str, Any], name: str) -> None:
    intent(model, "BenefitsIntent")["name"] = name
    assert_flags(model, f"intent {name}:")


def test_lint_catches_a_bad_slot_name(model: dict[str, Any]) -> None:
    intent(model, "BenefitsIntent")["slots"] = [{"name": "body part", "type": "BODY_PART"}]
    assert_flags(model, "slot name 'body part'")


def test_lint_catches_a_missing_required_built_in(model: dict[str, Any]) -> None:
    lm = language_model(model)
    lm["intents"] = [i for i in lm["intents"] if i["name"] != "AMAZON.NavigateHomeIntent"]
    assert_flags(model, "AMAZON.NavigateHomeIntent: required built-in intent is missing")


def test_lint_catches_a_duplicated_intent(model: dict[str, Any]) -> None:
    language_model(model)["intents"].append({"name": "AMAZON.StopIntent", "samples": []})
    assert_flags(model, "AMAZON.StopIntent: defined more than once")


def test_lint_catches_samples_on_the_fallback_intent(model: dict[str, Any]) -> None:
    intent(model, "AMAZON.FallbackIntent")["samples"] = ["what is the weather"]
    assert_flags(model, "AMAZON.FallbackIntent: may not have samples")


def test_lint_catches_too_few_samples(model: dict[str, Any]) -> None:
    intent(model, "SafetyIntent")["samples"] = intent(model, "SafetyIntent")["samples"][:14]
    assert_flags(model, "SafetyIntent: 14 samples, needs at least 15")


@pytest.mark.parametrize("carrier", ["tell me about safety number", "is the basket safe number"])
def test_lint_catches_an_intent_only_reachable_with_launch_words(model: dict[str, Any], carrier: str) -> None:
    # virtual-alexa matches launch words anywhere, even inside "basket".
    launch_only = [f"{carrier} {letter}" for letter in "abcdefghijklmnop"]
    intent(model, "SafetyIntent")["samples"] = launch_only
    assert_flags(model, "SafetyIntent: needs 3 samples without")


def test_lint_catches_slot_value_problems(model: dict[str, Any]) -> None:
    body_part = next(t for t in language_model(model)["types"] if t["name"] == "BODY_PART")
    body_part["values"][1]["name"]["synonyms"].append("Traps")
    body_part["values"][2]["id"] = "trapezius"
    body_part["values"][3]["name"]["synonyms"].append("l5 muscle")
    assert_flags(
        model,
        "'Traps' used by both trapezius and levator_scapulae",
        "id trapezius used twice",
        "digits",
    )


def slot_of(model: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = intent(model, name)["slots"][0]
    return found


def dialog_slot(model: dict[str, Any], name: str) -> dict[str, Any]:
    dialog = model["interactionModel"]["dialog"]
    found: dict[str, Any] = next(i for i in dialog["intents"] if i["name"] == name)["slots"][0]
    return found


@pytest.mark.parametrize(
    ("sample", "fragment"),
    [
        ("my knee", "does not hold {bodyPart}"),
        ("my {subject}", "uses undeclared slot {subject}"),
        ("my {bodyPart} please!", "characters Alexa rejects"),
        ("the {bodyPart}", "slot sample 'the {bodyPart}' appears twice"),
        ("", "empty or non-text slot sample"),
    ],
)
def test_lint_catches_bad_slot_samples(model: dict[str, Any], sample: str, fragment: str) -> None:
    slot_of(model, "BodyPartIntent")["samples"].append(sample)
    assert_flags(model, fragment)


@pytest.mark.parametrize(
    ("name", "sample", "fragment"),
    [
        (
            "SafetyIntent",
            "what does the leaflet say about cost",
            "SubjectIntent's 'what does the leaflet say about",
        ),
        ("BenefitsIntent", "Tell me about the TRAPS", "BodyPartIntent's 'tell me about the {bodyPart}'"),
    ],
)
def test_lint_catches_an_utterance_conflict(
    model: dict[str, Any], name: str, sample: str, fragment: str
) -> None:
    """A plain sample that is another intent's slot sample with a value in it: Alexa may pick either."""
    intent(model, name)["samples"].append(sample)
    assert_flags(model, f"intent {name}: sample", fragment, "utterance conflict")


def test_lint_catches_slot_samples_without_a_dialog_model(model: dict[str, Any]) -> None:
    del model["interactionModel"]["dialog"]
    del model["interactionModel"]["prompts"]
    assert_flags(model, "intent BodyPartIntent slot bodyPart: has slot samples but no dialog model entry")


def test_lint_catches_a_dialog_model_that_names_what_does_not_exist(model: dict[str, Any]) -> None:
    dialog = model["interactionModel"]["dialog"]
    dialog["intents"][0]["name"] = "BodyIntent"
    dialog["intents"][1]["slots"][0]["type"] = "BODY_PART"
    dialog["intents"][1]["slots"].append({"name": "when", "type": "AMAZON.DATE", "prompts": {}})
    assert_flags(
        model,
        "dialog intent BodyIntent: not an intent of the language model",
        "dialog intent SubjectIntent slot subject: type BODY_PART differs from the intent's SUBJECT",
        "dialog intent SubjectIntent slot when: the intent declares no such slot",
    )


def test_lint_catches_prompt_problems(model: dict[str, Any]) -> None:
    interaction = model["interactionModel"]
    dialog_slot(model, "BodyPartIntent")["prompts"]["elicitation"] = "Elicit.Slot.Missing"
    interaction["prompts"].append({"id": "Elicit.Slot.Spare", "variations": []})
    interaction["prompts"][1]["variations"] = [{"type": "Markdown", "value": " "}]
    assert_flags(
        model,
        "prompt Elicit.Slot.Missing is not defined",
        "prompt Elicit.Slot.BodyPartIntent.bodyPart: defined but no dialog slot uses it",
        "prompt Elicit.Slot.Spare: has no variations",
        "variation type 'Markdown'",
        "empty variation",
    )


def test_lint_catches_an_elicited_slot_without_a_prompt_and_a_bad_strategy(model: dict[str, Any]) -> None:
    dialog_slot(model, "SubjectIntent")["prompts"] = {}
    model["interactionModel"]["dialog"]["delegationStrategy"] = "SOMETIMES"
    model["interactionModel"]["prompts"].append(dict(model["interactionModel"]["prompts"][0]))
    assert_flags(
        model,
        "dialog intent SubjectIntent slot subject: elicitation required but no elicitation prompt",
        "dialog: delegation strategy 'SOMETIMES'",
        "defined more than once",
    )


def test_lint_catches_a_bad_fallback_sensitivity(model: dict[str, Any]) -> None:
    language_model(model)["modelConfiguration"]["fallbackIntentSensitivity"]["level"] = "EXTREME"
    assert_flags(model, "fallback sensitivity 'EXTREME'")


def test_lint_rejects_a_malformed_model() -> None:
    assert lint_model({"interactionModel": {}}) == ["model: expected interactionModel.languageModel.intents"]


def test_main_refuses_to_write_a_model_that_fails_the_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_build = model_builder.build_model

    def broken(locale: str) -> dict[str, Any]:
        model = real_build(locale)
        language_model(model)["invocationName"] = "alexa"
        return model

    monkeypatch.setattr(model_builder, "build_model", broken)
    assert main(["--dir", str(tmp_path)]) == 1
    assert "breaks Alexa's build rules" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
