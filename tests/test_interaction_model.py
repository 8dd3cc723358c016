"""The committed interaction models are what the source generates, and they pass Alexa's build rules.

A stale or invalid model would otherwise only show up at `ask deploy` (or never, in the local CLI), so
these tests regenerate every locale and run the lint, and prove the lint can fail by seeding faults.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill import model_builder
from skill.model_builder import LOCALES, build_model, generated_files, main, render, stale_files
from skill.model_lint import lint_model

MODELS_DIR = Path(__file__).resolve().parent.parent / "interaction_models"

# docs/architecture.md fixes these; handlers depend on every name and id.
ARCHITECTURE_INTENTS = {
    "TriggerPointInjectionsIntent": {},
    "TreatedMusclesIntent": {},
    "MuscleIntent": {"muscle": "MUSCLE"},
    "BenefitsIntent": {},
    "TriggerPointsIntent": {},
    "FindingTriggerPointsIntent": {},
    "InjectedMedicineIntent": {},
    "PainLocationsIntent": {},
    "PiriformisSyndromeIntent": {},
    "WhenRecommendedIntent": {},
    "SafetyIntent": {},
    "NotCoveredIntent": {"subject": "UNCOVERED_SUBJECT"},
    "TellMeMoreIntent": {},
    "SpeakSlowerIntent": {},
    "SpeakFasterIntent": {},
    "NormalSpeedIntent": {},
    "AMAZON.HelpIntent": {},
    "AMAZON.YesIntent": {},
    "AMAZON.NoIntent": {},
    "AMAZON.RepeatIntent": {},
    "AMAZON.StartOverIntent": {},
    "AMAZON.StopIntent": {},
    "AMAZON.CancelIntent": {},
    "AMAZON.NavigateHomeIntent": {},
    "AMAZON.FallbackIntent": {},
}
ARCHITECTURE_TYPES = {
    "MUSCLE": {"trapezius", "levator_scapulae", "gluteus_medius", "quadratus_lumborum"},
    "UNCOVERED_SUBJECT": {
        "side_effects",
        "risks",
        "cost",
        "pain_of_injection",
        "relief_duration",
        "recovery",
        "number_of_injections",
        "pregnancy",
        "who_gives",
    },
}


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
    assert "physiotherapy didn't help" in samples(gb, "WhenRecommendedIntent")
    assert "physiotherapy didn't help" in samples(ca, "WhenRecommendedIntent")
    assert "physiotherapy didn't help" not in samples(us, "WhenRecommendedIntent")


def test_help_knows_what_else_can_i_ask() -> None:
    help_samples = samples(build_model("en-US"), "AMAZON.HelpIntent")
    assert {"what else can i ask", "what can i ask", "what can you tell me"} <= set(help_samples)


def test_muscle_synonyms_patients_use() -> None:
    muscle = next(t for t in language_model(build_model("en-US"))["types"] if t["name"] == "MUSCLE")
    synonyms = {v["id"]: set(v["name"]["synonyms"]) for v in muscle["values"]}
    assert {"traps", "trapezius muscle"} <= synonyms["trapezius"]
    assert {"levator", "side of my neck"} <= synonyms["levator_scapulae"]
    assert {"glute med", "gluteus", "hip muscle"} <= synonyms["gluteus_medius"]
    assert {"q. l.", "quadratus", "deep lower back muscle"} <= synonyms["quadratus_lumborum"]


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
    intent(model, "MuscleIntent")["slots"][0]["type"] = "BODY_PART"
    assert_flags(model, "undefined type BODY_PART", "type MUSCLE: defined but no slot uses it")


def test_amazon_slot_types_need_no_definition(model: dict[str, Any]) -> None:
    intent(model, "MuscleIntent")["slots"].append({"name": "when", "type": "AMAZON.DATE"})
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
        ("SafetyIntent", "is it safe for my{muscle}", "not separated by spaces"),
        ("SafetyIntent", "is it safe for my {muscle", "not separated by spaces"),
        ("SafetyIntent", "is it " + "very " * 45 + "safe", "longer than 200"),
        ("SafetyIntent", "Which  muscles are treated", "also in TreatedMusclesIntent"),
        ("SafetyIntent", "is it safe", "appears twice"),
        ("BenefitsIntent", "will it help my {muscle}", "undeclared slot {muscle}"),
        ("MuscleIntent", "the {muscle} or the {muscle}", "uses slot {muscle} twice"),
        ("NotCoveredIntent", "tell me about the {subject}", "same wording as a slot sample of MuscleIntent"),
    ],
)
def test_lint_catches_bad_samples(model: dict[str, Any], name: str, sample: str, fragment: str) -> None:
    intent(model, name)["samples"].append(sample)
    assert_flags(model, fragment)


def test_lint_accepts_contractions_hyphens_and_spoken_letters(model: dict[str, Any]) -> None:
    intent(model, "SafetyIntent")["samples"] += ["is it safe for my son's back", "is a t. p. i. low-risk"]
    assert lint_model(model) == []


@pytest.mark.parametrize("name", ["Muscle2Intent", "Muscle-Intent", "Muscle Intent", "AMAZON.Help_Intent"])
def test_lint_catches_bad_intent_names(model: dict[str, Any], name: str) -> None:
    intent(model, "BenefitsIntent")["name"] = name
    assert_flags(model, f"intent {name}:")


def test_lint_catches_a_bad_slot_name(model: dict[str, Any]) -> None:
    intent(model, "MuscleIntent")["slots"][0]["name"] = "muscle name"
    assert_flags(model, "slot name 'muscle name'")


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
    muscle = next(t for t in language_model(model)["types"] if t["name"] == "MUSCLE")
    muscle["values"][1]["name"]["synonyms"].append("Traps")
    muscle["values"][2]["id"] = "trapezius"
    muscle["values"][3]["name"]["synonyms"].append("l5 muscle")
    assert_flags(
        model,
        "'Traps' used by both trapezius and levator_scapulae",
        "id trapezius used twice",
        "digits",
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
