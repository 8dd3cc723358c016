"""Medical honesty: every fact the skill speaks must be traceable to a sentence of the shipped leaflet.

The medical terms checked are evaluation.terms.MEDICAL_TERMS, shared with the understanding judge:
whole words with an optional plural, stems only where marked. Many are deliberately absent from the
leaflet, so an answer that slips one in fails."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from evaluation.terms import terms_in
from skill.runtime.content import Content, load_content
from skill.tools.sources import leaflet_text


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def unsupported_terms(answer: str, sources: tuple[str, ...]) -> set[str]:
    """Medical terms an answer names that none of its quoted sentences contain."""
    return terms_in(answer) - terms_in(" ".join(sources))


def answers_with_sources(content: Content) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for topic in content.topics:
        yield f"topic {topic.id}", topic.speech, topic.sources
        if topic.more:
            yield f"topic {topic.id} (more)", topic.more, topic.sources
    for fact in content.facts:  # a title is shown on the screen: it may name only what the answer may
        yield f"fact {fact.id}", f"{fact.title}. {fact.speech}", fact.sources
    for part in content.body_parts:
        yield f"body part {part.id}", f"{part.title}. {part.speech}", part.sources
    yield "unknown body part", content.unknown_part.speech, content.unknown_part.sources


CONTENT = load_content()
ANSWERS = list(answers_with_sources(CONTENT))


@pytest.mark.parametrize(("where", "answer", "sources"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_every_quoted_sentence_is_in_the_shipped_leaflet(
    where: str, answer: str, sources: tuple[str, ...]
) -> None:
    leaflet = normalise(leaflet_text())
    assert sources, f"{where} quotes no leaflet sentence"
    missing = [quote for quote in sources if normalise(quote) not in leaflet]
    assert not missing, f"{where} quotes sentences that are not in the leaflet: {missing}"


@pytest.mark.parametrize(("where", "answer", "sources"), ANSWERS, ids=[a[0] for a in ANSWERS])
def test_answers_name_only_medical_terms_their_sources_contain(
    where: str, answer: str, sources: tuple[str, ...]
) -> None:
    assert not unsupported_terms(answer, sources), f"{where} names terms its quotes lack"


def test_the_term_check_catches_an_invented_fact() -> None:
    sources = ("Injections into trigger points are used to treat muscular pain.",)
    assert unsupported_terms("They use lidocaine and can cause bruising.", sources) == {
        "lidocaine",
        "bruising",
    }
    assert unsupported_terms("They are used to treat muscular pain.", sources) == set()


FIRST_ANSWERS = [
    *((f"topic {t.id}", t.speech) for t in CONTENT.topics),
    *((f"fact {f.id}", f.speech) for f in CONTENT.facts),
    *((f"body part {p.id}", p.speech) for p in CONTENT.body_parts),
    *((f"social {key}", s.speech) for key, s in CONTENT.social.items()),
]


@pytest.mark.parametrize(("where", "speech"), FIRST_ANSWERS, ids=[a[0] for a in FIRST_ANSWERS])
def test_first_answers_fit_in_one_breath(where: str, speech: str) -> None:
    assert len(speech.split()) <= 45, where


def test_words_without_sources_state_no_medical_facts() -> None:
    """Welcome, help, fallback and "not covered" wording quote nothing, so they may name no medical term."""
    texts = dict(CONTENT.phrases)
    not_covered = CONTENT.not_covered
    texts["not covered"] = not_covered.named + not_covered.unnamed + not_covered.suggestion
    texts.update({f"subject {key}": label for key, label in not_covered.subjects.items()})
    texts.update({f"offer {t.id}": t.offer + t.title + t.label + t.button for t in CONTENT.topics})
    texts.update({f"social {key}": s.speech + s.reprompt + s.title for key, s in CONTENT.social.items()})
    named = {where: terms_in(text) for where, text in texts.items()}
    # Topic offers and titles may repeat a term their own topic's sources contain.
    for topic in CONTENT.topics:
        named[f"offer {topic.id}"] -= terms_in(" ".join(topic.sources))
    # Asking "which part of your body?" gives examples the leaflet names; it states no fact about them.
    for key in ("reask_part", "reask_part_reprompt"):
        named[key] -= terms_in(leaflet_text())
    assert {where: terms for where, terms in named.items() if terms} == {}


def test_questions_the_leaflet_does_not_answer_send_people_to_their_clinician() -> None:
    for template in (CONTENT.not_covered.named, CONTENT.not_covered.unnamed):
        assert "doctor or nurse" in template


def test_the_safety_answer_claims_no_more_than_the_leaflet() -> None:
    safety = CONTENT.topic_by_id["safety"]
    assert "generally safe" in safety.speech
    assert "generally safe" in normalise(leaflet_text())


def test_the_skill_speaks_the_reviewed_file() -> None:
    """content.json (what the skill loads) is exactly the compiled content.yaml (what clinicians review)."""
    from skill.tools.sources import compile_content, compiled_path

    compiled = compiled_path().read_text(encoding="utf-8")
    from skill.tools.model_builder import mention_table

    expected = compile_content(mention_table())
    assert compiled == expected, "run `tpi-skill build-models` after editing skill/data/content.yaml"
