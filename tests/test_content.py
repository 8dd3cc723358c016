"""A clinician's slip in content.yaml must stop the build, not reach a patient as a silent omission."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from skill.runtime.content import load_content, parse_content, read_data_file
from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART, VAGUE, normalise
from skill.tools.model_builder import build_model


def raw_content() -> dict[str, object]:
    raw: dict[str, object] = json.loads(read_data_file("content.json"))
    return raw


def test_a_misspelt_topic_field_is_refused() -> None:
    raw = raw_content()
    broken = copy.deepcopy(raw)
    topic = broken["topics"][0]  # type: ignore[index]
    topic["moer"] = topic.pop("more")
    with pytest.raises(TypeError, match="moer"):
        parse_content(broken)


@pytest.mark.parametrize(
    "path",
    [
        ("topics", 0, "sources"),
        ("facts", 0, "sources"),
        ("facts", 0, "topic"),
        ("body_parts", 0, "sources"),
        ("body_parts", 0, "topic"),
        ("unknown_part", "sources"),
        ("not_covered", "named"),
        ("social", "thanks", "speech"),
    ],
)
def test_a_missing_required_field_is_refused(path: tuple[str | int, ...]) -> None:
    broken = copy.deepcopy(raw_content())
    parent: Any = broken
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with pytest.raises(TypeError, match=str(path[-1])):
        parse_content(broken)


@pytest.mark.parametrize("part", ["facts", "body_parts"])
def test_a_misspelt_field_of_a_fact_or_body_part_is_refused(part: str) -> None:
    broken = copy.deepcopy(raw_content())
    entry = broken[part][0]  # type: ignore[index]
    entry["speach"] = entry.pop("speech")
    with pytest.raises(TypeError, match="speach"):
        parse_content(broken)


# --- what content.yaml refers to exists ------------------------------------------------------------------


def model_values(slot_type: str) -> set[str]:
    types = build_model("en-GB")["interactionModel"]["languageModel"]["types"]
    return {v["id"] for t in types if t["name"] == slot_type for v in t["values"]}


def model_intents() -> set[str]:
    return {i["name"] for i in build_model("en-GB")["interactionModel"]["languageModel"]["intents"]}


def test_every_offer_points_at_a_topic() -> None:
    content = load_content()
    topics = set(content.topic_by_id)
    offered = {
        **{f"topic {t.id} next": t.next for t in content.topics if t.next},
        **{f"fact {f.id}": f.topic for f in content.facts},
        **{f"body part {b.id}": b.topic for b in content.body_parts},
        **{f"{s} is answered by": t for s, t in content.not_covered.answered_by_topic.items()},
        **{f"suggested {t}": t for t in content.not_covered.suggested_topics},
    }
    assert {where: topic for where, topic in offered.items() if topic not in topics} == {}


def test_every_body_part_alexa_can_resolve_has_an_answer_and_no_answer_is_unreachable() -> None:
    assert {b.id for b in load_content().body_parts} == model_values("BODY_PART")


def test_every_subject_alexa_can_resolve_gets_a_leaflet_answer_or_an_honest_one() -> None:
    content = load_content()
    answered = (
        set(content.topic_by_id)
        | set(content.fact_by_id)
        | set(content.not_covered.subjects)
        | set(content.not_covered.answered_by_topic)
    )
    assert model_values("SUBJECT") - answered == set()


def test_every_intent_content_answers_is_in_the_model() -> None:
    content = load_content()
    named = (
        {t.intent for t in content.topics} | {f.intent for f in content.facts} | set(content.social_by_intent)
    )
    assert named - model_intents() == set()


def test_every_word_the_skill_understands_stands_for_something_it_can_answer() -> None:
    """The compiled mention table (skill.runtime.mentions) only leads to answers content.yaml has."""
    content = load_content()
    answerable = (
        {UNKNOWN_PART, NOT_COVERED, VAGUE}  # VAGUE: the skill asks which part
        | set(content.topic_by_id)
        | set(content.fact_by_id)
        | set(content.body_part_by_id)
        | set(content.not_covered.subjects)
        | set(content.not_covered.answered_by_topic)
    )
    assert content.mentions, "the mention table is empty"
    assert {w: m for w, m in content.mentions.items() if m not in answerable} == {}
    assert content.mentions[normalise("Q. L.")] == "quadratus_lumborum"
    assert content.mentions[normalise("knee")] == UNKNOWN_PART
    assert content.mentions[normalise("bruising")] == NOT_COVERED


def test_optional_parts_may_be_left_out() -> None:
    content = parse_content(raw_content())
    without_more = [topic.id for topic in content.topics if topic.more is None]
    assert "medicine" in without_more


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [("facts", "topic", "nonesuch"), ("body_parts", "topic", "nonesuch"), ("topics", "next", "nonesuch")],
)
def test_the_build_refuses_offering_a_missing_topic(section: str, field: str, value: str) -> None:
    import json

    from skill.runtime.content import check_references, parse_content, read_data_file

    raw = json.loads(read_data_file("content.json"))
    raw[section][0][field] = value
    with pytest.raises(ValueError, match="nonesuch"):
        check_references(parse_content(raw))
    check_references(parse_content(json.loads(read_data_file("content.json"))))
