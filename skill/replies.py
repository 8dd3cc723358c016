"""Builds each kind of answer from the reviewed content; no wording lives here, only assembly."""

from __future__ import annotations

import re
from dataclasses import dataclass

from skill.content import Content, Topic
from skill.speech import join_list, sentences

MAX_ECHOED_CHARS = 40
LEADING_DETERMINER = re.compile(r"^(?:the|my|a|an|your)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What to say and show for one turn, in plain text (SSML is made when responding)."""

    speech: str
    title: str
    key: str = ""
    """What kind of answer this is ("topic:muscles", "fact:causes", "part:neck", "fallback"...): kept in
    the session for follow-ups, and read by the understanding evaluation."""
    reprompt: str | None = None
    card_text: str | None = None
    end_session: bool = False
    topic: str | None = None
    """The leaflet topic the conversation is on ("tell me more" expands it)."""
    offered: str | None = None
    """The topic id offered with "Would you like to hear...?" ("yes" answers it)."""
    more_topic: str | None = None
    """The topic whose "more" part the listener has not heard yet (the screen's first button)."""
    remember: bool = True


def _offer_next(content: Content, topic: Topic) -> tuple[str | None, str | None]:
    follow = content.topic_by_id.get(topic.next) if topic.next else None
    return (follow.offer, follow.id) if follow else (None, None)


def topic_answer(content: Content, topic: Topic) -> Answer:
    """The first answer on a topic, offering "tell me more" implicitly and the next topic explicitly."""
    offer, offered = _offer_next(content, topic)
    reprompt = offer or content.phrase("reprompt")
    return Answer(
        speech=sentences(topic.speech, offer),
        title=topic.title,
        reprompt=reprompt,
        card_text=topic.speech,
        topic=topic.id,
        offered=offered,
        more_topic=topic.id if topic.more else None,
    )


def more_answer(content: Content, topic: Topic) -> Answer:
    """The "tell me more" part of a topic, or an honest "that's all" when there is none."""
    offer, offered = _offer_next(content, topic)
    body = topic.more or content.phrase("no_more", title=topic.title.lower())
    return Answer(
        speech=sentences(body, offer),
        title=topic.title,
        reprompt=offer or content.phrase("reprompt"),
        card_text=body,
        topic=topic.id,
        offered=offered,
    )


def muscle_names(content: Content) -> str:
    return join_list(f"the {muscle.name}" for muscle in content.muscles)


def muscle_answer(content: Content, muscle_id: str | None, heard: str | None) -> Answer:
    """One named muscle; a muscle the leaflet does not name gets an honest answer naming the four."""
    muscle = content.muscle_by_id.get(muscle_id) if muscle_id else None
    if muscle is not None:
        return Answer(
            speech=sentences(muscle.speech, content.phrase("ask_next")),
            title=muscle.name.title(),
            reprompt=content.phrase("reprompt"),
            card_text=muscle.speech,
            topic="muscles",
        )
    unknown = content.unknown_muscle
    heard = LEADING_DETERMINER.sub("", heard) if heard else heard  # "the my hip flexor" reads badly
    template = unknown.heard if heard and len(heard) <= MAX_ECHOED_CHARS else unknown.unheard
    body = template.format(heard=heard or "", muscles=muscle_names(content))
    return Answer(
        speech=sentences(body, content.phrase("ask_next")),
        title=unknown.title,
        reprompt=content.phrase("reprompt"),
        card_text=body,
        topic="muscles",
    )


def topic_labels(content: Content, topic_ids: list[str] | tuple[str, ...] | None = None) -> str:
    chosen = [content.topic_by_id[i] for i in topic_ids] if topic_ids else list(content.topics)
    return join_list((topic.label for topic in chosen), conjunction="or")


def not_covered_answer(content: Content, subject_id: str | None) -> Answer:
    """Questions the leaflet does not answer: say so kindly, point to the clinician, offer topics."""
    not_covered = content.not_covered
    subject = not_covered.subjects.get(subject_id) if subject_id else None
    body = not_covered.named.format(subject=subject) if subject else not_covered.unnamed
    suggestion = not_covered.suggestion.format(topics=topic_labels(content, not_covered.suggested_topics))
    return Answer(
        speech=sentences(body, suggestion, content.phrase("ask_next")),
        title=not_covered.title,
        reprompt=content.phrase("reprompt"),
        card_text=sentences(body, suggestion),
    )


def welcome_answer(content: Content) -> Answer:
    return Answer(
        speech=sentences(content.phrase("welcome"), content.phrase("examples")),
        title=content.skill_name,
        reprompt=sentences(content.phrase("examples"), content.phrase("ask_next")),
    )


def help_answer(content: Content) -> Answer:
    body = sentences(content.phrase("help_intro"), topic_labels(content) + ".")
    return Answer(
        speech=sentences(body, content.phrase("help_controls")),
        title=content.skill_name,
        reprompt=content.phrase("reprompt"),
        card_text=body,
    )


def fallback_answer(content: Content) -> Answer:
    suggestion = content.phrase(
        "fallback_suggestion", topics=topic_labels(content, content.not_covered.suggested_topics)
    )
    return Answer(
        speech=sentences(content.phrase("fallback"), suggestion, content.phrase("ask_next")),
        title=content.skill_name,
        reprompt=content.phrase("reprompt"),
        card_text=sentences(content.phrase("fallback"), suggestion),
    )


def goodbye_answer(content: Content) -> Answer:
    return Answer(
        speech=content.phrase("goodbye"), title=content.skill_name, end_session=True, remember=False
    )


def error_answer(content: Content) -> Answer:
    return Answer(
        speech=content.phrase("error"),
        title=content.skill_name,
        reprompt=content.phrase("reprompt"),
        remember=False,
    )


def short_answer(content: Content, *phrase_keys: str) -> Answer:
    """A brief acknowledgement ("Okay, I'll speak more slowly.") that keeps the conversation open."""
    return Answer(
        speech=sentences(*(content.phrase(key) for key in phrase_keys)),
        title=content.skill_name,
        reprompt=content.phrase("reprompt"),
        remember=False,
    )
