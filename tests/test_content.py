"""A clinician's slip in content.yaml must stop the build, not reach a patient as a silent omission."""

from __future__ import annotations

import copy
import json

import pytest

from skill.content import parse_content, read_data_file


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


def test_a_missing_required_field_is_refused() -> None:
    broken = copy.deepcopy(raw_content())
    del broken["muscles"][0]["sources"]  # type: ignore[index]
    with pytest.raises(TypeError, match="sources"):
        parse_content(broken)


def test_optional_parts_may_be_left_out() -> None:
    content = parse_content(raw_content())
    without_more = [topic.id for topic in content.topics if topic.more is None]
    assert "medicine" in without_more
