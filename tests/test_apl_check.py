"""Every screen the skill can send, checked by Amazon's apl-suggester and by the waiting-room rules.

The screens come from driving the real skill with a screen, in every locale: the welcome, every intent
of that locale's interaction model (each slot value too), "tell me more" after each of them, and a
touch on every button shown. A new answer kind or intent is therefore checked without being listed here.
`tools/alexa/apl_check.js` validates each with apl-suggester (its warnings and its error channel) and
with our rules at every hub viewport profile; each rule is shown to fire on a broken copy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from ask_sdk_core.skill import CustomSkill

from skill.tools.envelopes import LOCALES, SlotFill
from skill.tools.lambda_package import PROJECT_ROOT
from skill.tools.local import Conversation, Turn
from skill.tools.model_builder import build_model
from tests.node_tools import TOOLS, run_json_tool

SCRIPT = TOOLS / "apl_check.js"
RENDER = "Alexa.Presentation.APL.RenderDocument"
Screen = dict[str, Any]


def screen_of(turn: Turn) -> Screen | None:
    directives = [d for d in turn.directives if d.get("type") == RENDER]
    assert len(directives) <= 1
    return directives[0] if directives else None


def requests_for(model: dict[str, Any]) -> list[tuple[str, str, dict[str, SlotFill] | None]]:
    """(name, intent, slots) for every intent of a language model, once per value of each slot."""
    values = {slot_type["name"]: slot_type["values"] for slot_type in model.get("types", [])}
    found: list[tuple[str, str, dict[str, SlotFill] | None]] = []
    for intent in model["intents"]:
        found.append((intent["name"], intent["name"], None))
        for slot in intent.get("slots", []):
            for value in values.get(slot["type"], []):
                word = value["name"]["value"]
                fill = SlotFill(word, value.get("id", word), word, slot["type"])
                found.append(
                    (f"{intent['name']}({slot['name']}={word})", intent["name"], {slot["name"]: fill})
                )
    return found


def collect_screens(skill: CustomSkill) -> list[Screen]:
    """Every distinct screen the skill sends, named by how it was reached."""
    screens: dict[str, Screen] = {}

    def keep(name: str, turn: Turn) -> None:
        directive = screen_of(turn)
        if directive is not None:
            key = name.split()[0] + json.dumps(directive["datasources"], sort_keys=True)
            screens.setdefault(key, {"name": name, **directive})

    for locale in LOCALES:
        model = build_model(locale)["interactionModel"]["languageModel"]
        welcome = Conversation(skill=skill, locale=locale, screen=True)
        first = welcome.launch()
        keep(f"{locale} welcome", first)
        shown = screen_of(first)
        assert shown is not None, "the welcome shows no screen"
        for button in shown["datasources"]["answer"]["buttons"]:
            keep(
                f"{locale} touch {button['event']} {button['id']}",
                welcome.touch(button["event"], button["id"]),
            )
        for name, intent, slots in requests_for(model):
            conversation = Conversation(skill=skill, locale=locale, screen=True)
            conversation.launch()
            keep(f"{locale} {name}", conversation.intent(intent, slots))
            keep(f"{locale} {name} then more", conversation.intent("TellMeMoreIntent"))
    return list(screens.values())


def check_screens(screens: list[Screen]) -> dict[str, Any]:
    """Run apl_check.js over `screens`; its report is {"checked", "profiles", "failures"}."""
    payload = {
        "screens": [
            {"name": s["name"], "document": s["document"], "datasources": s["datasources"]} for s in screens
        ]
    }
    return run_json_tool(SCRIPT, "apl-suggester", payload)


@pytest.fixture(scope="module")
def screens(skill: CustomSkill) -> list[Screen]:
    return collect_screens(skill)


def test_every_screen_passes_apl_suggester_and_the_waiting_room_rules(screens: list[Screen]) -> None:
    report = check_screens(screens)
    assert report["checked"] == len(screens)
    failures = [
        f"{f['screen']} [{f['source']} {f['rule']} {f.get('profile', '')}] {f['path']}: {f['message']}"
        for f in report["failures"]
    ]
    assert not failures, "\n".join(failures[:40])


def test_the_screens_checked_cover_every_kind_of_answer(screens: list[Screen]) -> None:
    """The check is only as good as what it is given: the welcome, every topic and its more, help,
    fallback, an uncovered question and a body part, in every locale."""
    from skill.runtime.content import load_content

    content = load_content()
    titles_by_locale: dict[str, set[str]] = {}
    for screen in screens:
        titles_by_locale.setdefault(screen["name"].split()[0], set()).add(
            screen["datasources"]["answer"]["title"]
        )
    assert set(titles_by_locale) == set(LOCALES)
    kinds = {"topic": set(), "more": set()}  # type: dict[str, set[str]]
    for screen in screens:
        for button in screen["datasources"]["answer"]["buttons"]:
            kinds[button["event"]].add(button["id"])
    assert kinds["topic"] == {topic.id for topic in content.topics}
    assert kinds["more"] == {topic.id for topic in content.topics if topic.more}
    texts = "\n".join(s["datasources"]["answer"]["text"] for s in screens if s["name"].startswith("en-GB"))
    for topic in content.topics:
        assert topic.speech in texts, topic.id
        if topic.more:
            assert topic.more in texts, f"{topic.id} more"
    titles = titles_by_locale["en-GB"]
    assert content.skill_name in titles  # the welcome, help and fallback
    assert content.phrase("help_intro") in texts
    assert content.phrase("fallback") in texts
    assert content.not_covered.title in titles
    assert {part.title for part in content.body_parts} <= titles
    assert {fact.title for fact in content.facts} <= titles
    assert len(screens) > 100


# ---- each rule can fail: broken copies of a real screen -------------------------------------------------


def first_match(node: Any, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first component (depth first) of a document for which `test` is true."""
    if isinstance(node, dict):
        if test(node):
            return node
        children = [node.get(key) for key in ("mainTemplate", "items", "item")]
    elif isinstance(node, list):
        children = list(node)
    else:
        children = []
    for child in children:
        if child is None:
            continue
        try:
            return first_match(child, test)
        except LookupError:
            continue
    raise LookupError("no such component")


def of_type(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda component: component.get("type") == kind


def no_scroll_width(doc: dict[str, Any]) -> None:
    del first_match(doc, of_type("Sequence"))["width"]


def no_scroll_height(doc: dict[str, Any]) -> None:
    del first_match(doc, of_type("ScrollView"))["height"]


def no_label(doc: dict[str, Any]) -> None:
    del first_match(doc, of_type("TouchWrapper"))["accessibilityLabel"]


def no_role(doc: dict[str, Any]) -> None:
    del first_match(doc, of_type("TouchWrapper"))["role"]


def same_label(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("TouchWrapper"))["accessibilityLabel"] = "Tell me more"


def small_target(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("TouchWrapper"))["height"] = "40dp"


def narrow_target(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("TouchWrapper"))["width"] = "30dp"


def small_text(doc: dict[str, Any]) -> None:
    first_match(doc, lambda c: c.get("id") == "answerText")["fontSize"] = "18dp"


def grey_text(doc: dict[str, Any]) -> None:
    first_match(doc, lambda c: c.get("id") == "answerText")["color"] = "#777777"


def pale_button(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("Frame"))["backgroundColor"] = "#505050"


def unbound(doc: dict[str, Any]) -> None:
    first_match(doc, lambda c: c.get("id") == "answerTitle")["text"] = "${payload.answer.heading}"


def unbound_item(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("TouchWrapper"))["onPress"][0]["arguments"] = ["${data.kind}", "${data.id}"]


def missing_resource(doc: dict[str, Any]) -> None:
    first_match(doc, lambda c: c.get("id") == "answerText")["color"] = "@bodyColour"


def missing_round_resource(doc: dict[str, Any]) -> None:
    """A resource only some profiles define: the others have nothing to use."""
    block = next(block for block in doc["resources"] if "when" in block)
    block.setdefault("dimensions", {})["onlyHere"] = "30dp"
    first_match(doc, lambda c: c.get("id") == "scrollCue")["fontSize"] = "@onlyHere"


def cut_lines(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("ScrollView"))["height"] = "${@answerLines * @lineDp + 20}dp"


def unknown_component(doc: dict[str, Any]) -> None:
    first_match(doc, lambda c: c.get("id") == "screenHeader")["type"] = "Txt"


def container_background(doc: dict[str, Any]) -> None:
    first_match(doc, of_type("Container"))["backgroundColor"] = "#000000"


def single_command(doc: dict[str, Any]) -> None:
    wrapper = first_match(doc, of_type("TouchWrapper"))
    wrapper["onPress"] = wrapper["onPress"][0]


BREAKAGES: list[tuple[Callable[[dict[str, Any]], None], str, str]] = [
    (no_scroll_width, "rule", "sized-scrollable"),
    (no_scroll_height, "rule", "sized-scrollable"),
    (no_label, "rule", "touchable-label"),
    (no_role, "rule", "touchable-label"),
    (same_label, "rule", "touchable-label"),
    (small_target, "rule", "touch-target"),
    (narrow_target, "rule", "touch-target"),
    (small_text, "rule", "text-size"),
    (grey_text, "rule", "contrast"),
    (pale_button, "rule", "contrast"),
    (unbound, "rule", "bindings-resolve"),
    (unbound_item, "rule", "bindings-resolve"),
    (missing_resource, "rule", "resources-exist"),
    (missing_round_resource, "rule", "resources-exist"),
    (cut_lines, "rule", "whole-lines"),
    (unknown_component, "apl-suggester-errors", "ERROR"),
    (container_background, "apl-suggester", "WARNING"),
    (single_command, "apl-suggester", "WARNING"),
]


@pytest.fixture(scope="module")
def sample(screens: list[Screen]) -> Screen:
    """A real screen with a "more" button, as the skill sent it."""
    return next(s for s in screens if s["datasources"]["answer"]["buttons"][0]["event"] == "more")


def test_the_sample_screen_passes_unbroken(sample: Screen) -> None:
    assert check_screens([sample])["failures"] == []


def test_each_rule_fires_on_a_broken_copy(sample: Screen) -> None:
    """One run for all the broken copies; each must be caught by its own rule or channel."""
    broken = []
    for breakage, _source, _rule in BREAKAGES:
        document = copy.deepcopy(sample["document"])
        breakage(document)
        broken.append({"name": breakage.__name__, "document": document, "datasources": sample["datasources"]})
    report = check_screens(broken)
    assert report["checked"] == len(BREAKAGES)
    for breakage, source, rule in BREAKAGES:
        caught = [f for f in report["failures"] if f["screen"] == breakage.__name__]
        assert any(f["source"] == source and f["rule"].startswith(rule) for f in caught), (
            f"{breakage.__name__} was not reported as {source} {rule}: {caught}"
        )


def test_an_unbound_datasource_field_is_reported(sample: Screen) -> None:
    """Bindings are checked against what the skill sends, not the document alone."""
    datasources = copy.deepcopy(sample["datasources"])
    del datasources["answer"]["hint"]
    report = check_screens([{"name": "no hint", "document": sample["document"], "datasources": datasources}])
    rules = {(f["rule"], f["profile"]) for f in report["failures"]}
    # the hint is not shown on the round screen, so only the rectangular profiles miss it
    assert ("bindings-resolve", "hubLandscapeLarge") in rules
    assert ("bindings-resolve", "hubRoundSmall") not in rules


def test_the_manifest_declares_exactly_the_viewports_that_are_checked() -> None:
    """Each viewport range the skill claims holds a profile the rules check, and each checked profile
    is claimed; TV is not claimed (no focus styling for a remote), so Alexa sends it no screen."""
    manifest = json.loads((PROJECT_ROOT / "skill-package" / "skill.json").read_text(encoding="utf-8"))
    interfaces = manifest["manifest"]["apis"]["custom"]["interfaces"]
    declared = next(i for i in interfaces if i["type"] == "ALEXA_PRESENTATION_APL")["supportedViewports"]
    profiles = check_screens([])["profiles"]

    def inside(profile: dict[str, Any], viewport: dict[str, Any]) -> bool:
        return bool(
            viewport["mode"].lower() == profile["mode"]
            and viewport["shape"].lower() == profile["shape"]
            and viewport["minWidth"] <= profile["width"] <= viewport["maxWidth"]
            and viewport["minHeight"] <= profile["height"] <= viewport["maxHeight"]
        )

    assert {viewport["mode"] for viewport in declared} == {"HUB"}
    for viewport in declared:
        assert any(inside(profile, viewport) for profile in profiles), viewport
    for profile in profiles:
        assert any(inside(profile, viewport) for viewport in declared), profile
