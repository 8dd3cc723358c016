"""The ASK CLI v2 skill package: a manifest fit for certification, and example phrases the models accept.

Alexa's certification rejects example phrases that the interaction model does not recognise or that
use another invocation name, so each phrase is checked against that locale's generated model.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from skill.tools.lambda_package import PROJECT_ROOT
from skill.tools.skill_package import stage_skill_package
from tests.sam_template import load_template

PACKAGE = PROJECT_ROOT / "skill-package"
MODELS = PROJECT_ROOT / "interaction_models"
LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
DISCLAIMER_PARTS = ("leaflet", "not medical advice", "doctor or nurse")


def load_json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    content: dict[str, Any] = load_json(PACKAGE / "skill.json")["manifest"]
    return content


def language_model(locale: str) -> dict[str, Any]:
    path = MODELS / f"{locale}.json"
    assert path.is_file(), f"{path} is missing: run the model builder"
    model: dict[str, Any] = load_json(path)["interactionModel"]["languageModel"]
    return model


def sam_function_name_default() -> str:
    return str(load_template()["Parameters"]["FunctionName"]["Default"])


def normalise(text: str) -> str:
    """Lowercase, no end punctuation, single spaces: how a phrase compares with a model sample."""
    return " ".join(text.lower().strip().rstrip(".?!").split())


def slot_words(model: dict[str, Any]) -> dict[str, list[str]]:
    """Every value and synonym of each of the model's slot types, by type name."""
    values_by_type: dict[str, list[str]] = {}
    for slot_type in model.get("types", []):
        words = values_by_type.setdefault(slot_type["name"], [])
        for value in slot_type["values"]:
            words.append(value["name"]["value"])
            words.extend(value["name"].get("synonyms", []))
    return values_by_type


def sample_pattern(
    sample: str, values_by_type: dict[str, list[str]], slots: dict[str, str]
) -> re.Pattern[str]:
    """A sample as a regex whose `{slot}` parts accept any value or synonym of the slot's type."""
    pieces = re.split(r"(\{\w+\})", normalise(sample))
    slot_types = {name.lower(): slot_type for name, slot_type in slots.items()}  # "{bodyPart}", lowercased
    regex = ""
    for piece in pieces:
        if piece.startswith("{") and piece.endswith("}"):
            words = values_by_type.get(slot_types[piece[1:-1]], [])
            assert words, f"slot {piece} has no values to fill it with"
            regex += "(?:" + "|".join(re.escape(normalise(w)) for w in words) + ")"
        else:
            regex += re.escape(piece)
    return re.compile(regex)


def model_accepts(model: dict[str, Any], utterance: str) -> bool:
    """True when some intent's sample, slots filled with their values, is exactly `utterance`."""
    values_by_type = slot_words(model)  # once per model, not once per sample
    for intent in model["intents"]:
        slots = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            if sample_pattern(sample, values_by_type, slots).fullmatch(normalise(utterance)):
                return True
    return False


def split_phrase(phrase: str) -> tuple[str, str]:
    """`Alexa, ask trigger point guide to ...` -> ("ask", "trigger point guide to ..."); wake word first."""
    match = re.fullmatch(r"alexa, (open|ask|tell|launch|start) (.+)", normalise(phrase))
    assert match, f"{phrase!r} does not start with 'Alexa, open/ask ...'"
    return match.group(1), match.group(2)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_is_described_with_a_medical_disclaimer(manifest: dict[str, Any], locale: str) -> None:
    details = manifest["publishingInformation"]["locales"][locale]
    assert 2 <= len(details["name"].strip()) <= 50
    assert 0 < len(details["summary"].strip()) <= 160
    assert 0 < len(details["description"].strip()) <= 4000
    assert 1 <= len(details["keywords"]) <= 30 and all(k.strip() for k in details["keywords"])
    for part in DISCLAIMER_PARTS:
        assert part in details["description"].lower(), part
    assert "not medical advice" in details["summary"].lower()


@pytest.mark.parametrize("locale", LOCALES)
def test_example_phrases_use_the_models_invocation_name_and_samples(
    manifest: dict[str, Any], locale: str
) -> None:
    model = language_model(locale)
    invocation = normalise(model["invocationName"])
    phrases = manifest["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert len(phrases) == 3
    launch, rest = split_phrase(phrases[0])
    assert (launch, rest) == ("open", invocation), "the first phrase must open the skill by its name"
    for phrase in phrases[1:]:
        verb, rest = split_phrase(phrase)
        assert verb in {"ask", "tell"}, phrase
        assert rest.startswith(invocation + " "), f"{phrase!r} does not name {invocation!r}"
        request = rest[len(invocation) + 1 :]
        candidates = [request] + ([request[len("to ") :]] if request.startswith("to ") else [])
        assert any(model_accepts(model, c) for c in candidates), f"{phrase!r}: no {locale} sample says that"


def test_phrase_matching_fills_slots_and_refuses_what_no_sample_says() -> None:
    model = {
        "types": [{"name": "BODY_PART", "values": [{"name": {"value": "trapezius", "synonyms": ["traps"]}}]}],
        "intents": [
            {
                "name": "BodyPartIntent",
                "slots": [{"name": "bodyPart", "type": "BODY_PART", "samples": ["my {bodyPart}"]}],
                "samples": ["the {bodyPart}"],
            },
            {"name": "AboutIntent", "samples": ["what are trigger point injections"]},
        ],
    }
    assert model_accepts(model, "What are trigger point injections?")
    assert model_accepts(model, "the traps")
    assert not model_accepts(model, "the hamstring")
    assert not model_accepts(model, "my traps"), "a slot sample is only heard while that slot is asked for"
    assert not model_accepts(model, "what are trigger points")


def test_the_skill_is_a_health_skill_for_the_five_english_countries(manifest: dict[str, Any]) -> None:
    publishing = manifest["publishingInformation"]
    assert set(publishing["locales"]) == set(LOCALES)
    assert publishing["category"] == "HEALTH_AND_FITNESS"
    assert publishing["isAvailableWorldwide"] is False
    assert sorted(publishing["distributionCountries"]) == sorted(loc.split("-")[1] for loc in LOCALES)
    assert publishing["testingInstructions"].strip()


def test_privacy_and_compliance_answers(manifest: dict[str, Any]) -> None:
    privacy = manifest["privacyAndCompliance"]
    assert privacy["allowsPurchases"] is False
    assert privacy["usesPersonalInfo"] is False
    assert privacy["isChildDirected"] is False
    assert privacy["isExportCompliant"] is True
    assert privacy["containsAds"] is False
    assert "permissions" not in manifest  # no address, name or other personal data is requested


def test_the_endpoint_is_the_sam_functions_arn_and_screens_are_declared(manifest: dict[str, Any]) -> None:
    custom = manifest["apis"]["custom"]
    uri = custom["endpoint"]["uri"]
    match = re.fullmatch(r"arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)", uri)
    assert match, uri
    assert match.group(3) == sam_function_name_default()
    # Screens (APL), and reach without the skill's name (the skill answers CanFulfillIntentRequest).
    assert {i["type"] for i in custom["interfaces"]} == {
        "ALEXA_PRESENTATION_APL",
        "CAN_FULFILL_INTENT_REQUEST",
    }


def test_ask_resources_points_ask_deploy_at_the_staged_package() -> None:
    resources = load_json(PROJECT_ROOT / "ask-resources.json")
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    source = resources["profiles"]["default"]["skillMetadata"]["src"]
    assert Path(source) == Path("build/skill-package")


def test_models_are_linked_not_copied() -> None:
    link = PACKAGE / "interactionModels" / "custom"
    assert link.is_symlink()
    assert os.readlink(link) == "../../interaction_models"
    assert link.resolve() == MODELS.resolve()
    try:
        checkout = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("git is not installed")
    if checkout.returncode != 0:
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "--stage", "--", str(link.relative_to(PROJECT_ROOT))],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout, f"{link.relative_to(PROJECT_ROOT)} is not tracked by git: commit the link"
    assert listed.stdout.startswith("120000 "), "git must store a symlink, not a copy"


def test_staged_package_has_real_model_files_for_ask_cli(tmp_path: Path) -> None:
    staged = stage_skill_package(tmp_path / "skill-package")
    assert load_json(staged / "skill.json") == load_json(PACKAGE / "skill.json")
    assert not [p for p in staged.rglob("*") if p.is_symlink()]
    custom = staged / "interactionModels" / "custom"
    for locale in LOCALES:
        staged_model = custom / f"{locale}.json"
        assert staged_model.is_file() and not staged_model.is_symlink()
        assert staged_model.read_bytes() == (MODELS / f"{locale}.json").read_bytes()
    # Staging again replaces the old copy instead of failing or merging.
    (custom / "stale.json").write_text("{}")
    stage_skill_package(staged)
    assert not (custom / "stale.json").exists()


def test_staged_manifest_can_carry_the_deployed_arn_or_no_endpoint(tmp_path: Path) -> None:
    arn = "arn:aws:lambda:eu-west-1:210987654321:function:trigger-point-injections-skill"
    staged = stage_skill_package(tmp_path / "with-arn", endpoint_arn=arn)
    assert load_json(staged / "skill.json")["manifest"]["apis"]["custom"]["endpoint"] == {"uri": arn}
    staged = stage_skill_package(tmp_path / "first-deploy", without_endpoint=True)
    custom = load_json(staged / "skill.json")["manifest"]["apis"]["custom"]
    assert "endpoint" not in custom and custom["interfaces"]
    with pytest.raises(ValueError, match="not a Lambda function ARN"):
        stage_skill_package(tmp_path / "bad", endpoint_arn="arn:aws:s3:::bucket")
    with pytest.raises(ValueError, match="not both"):
        stage_skill_package(tmp_path / "both", endpoint_arn=arn, without_endpoint=True)
    # The committed manifest keeps its placeholder: only the staged copy changes.
    assert "123456789012" in (PACKAGE / "skill.json").read_text()
