"""Builds each kind of answer from the reviewed content; no wording lives here, only assembly."""

from __future__ import annotations

from dataclasses import dataclass

from skill.runtime.content import BodyPart, Content, Fact, Topic
from skill.runtime.mentions import NOT_COVERED, UNKNOWN_PART
from skill.runtime.speech import join_list, sentences

HELP_PAGE_SIZE = 4
"""Topics read out per help turn: voice design guidance is two to five choices at a time."""


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
    next_help_page: int | None = None
    """The help page "more" or "yes" reads next."""
    elicit: tuple[str, str] | None = None
    """(intent, slot): ask Alexa to listen for this slot of this intent next (Dialog.ElicitSlot)."""
    remember: bool = True
    """Whether this turn moves the conversation on (topic, offer); short acknowledgements do not."""
    repeatable: bool = True
    """Whether "repeat" should say this again; "that's everything..." is not worth repeating."""


def _with_offer(content: Content, topic_id: str | None) -> tuple[str | None, str, str | None]:
    """The offer of `topic_id` ("Would you like to hear...?"), its shorter reprompt, and the id offered."""
    follow = content.topic_by_id.get(topic_id) if topic_id else None
    if follow is None:
        return None, content.phrase("reprompt"), None
    return follow.offer, content.phrase("offer_reprompt", label=follow.label), follow.id


def topic_answer(content: Content, topic: Topic) -> Answer:
    """The first answer on a topic, offering "tell me more" implicitly and the next topic explicitly."""
    offer, reprompt, offered = _with_offer(content, topic.next)
    return Answer(
        speech=sentences(topic.speech, offer),
        title=topic.title,
        key=f"topic:{topic.id}",
        reprompt=reprompt,
        card_text=topic.speech,
        topic=topic.id,
        offered=offered,
        more_topic=topic.id if topic.more else None,
    )


def more_answer(content: Content, topic: Topic) -> Answer:
    """The "tell me more" part of a topic, or an honest "that's all" with what comes next."""
    offer, reprompt, offered = _with_offer(content, topic.next)
    body = topic.more or content.phrase("no_more", title=topic.title.lower())
    return Answer(
        speech=sentences(body, offer),
        title=topic.title,
        key=f"more:{topic.id}",
        reprompt=reprompt,
        card_text=body,
        topic=topic.id,
        offered=offered,
        repeatable=topic.more is not None,
    )


def _answer_offering_topic(content: Content, entry: Fact | BodyPart, key: str) -> Answer:
    """A narrow answer (a fact, a body part) that offers the broad topic it belongs to next."""
    offer, reprompt, offered = _with_offer(content, entry.topic)
    return Answer(
        speech=sentences(entry.speech, offer),
        title=entry.title,
        key=key,
        reprompt=reprompt,
        card_text=entry.speech,
        offered=offered,
    )


def fact_answer(content: Content, fact: Fact) -> Answer:
    """A narrow question answered in the first sentence, offering the broad topic it belongs to."""
    return _answer_offering_topic(content, fact, f"fact:{fact.id}")


def body_part_answer(content: Content, part: BodyPart) -> Answer:
    """What the leaflet says about one muscle or region, offering the topic that says more."""
    return _answer_offering_topic(content, part, f"part:{part.id}")


def unknown_part_answer(content: Content) -> Answer:
    """A part of the body the leaflet does not mention; what was heard is never read back."""
    unknown = content.unknown_part
    return Answer(
        speech=sentences(unknown.speech, content.phrase("ask_next")),
        title=unknown.title,
        key=UNKNOWN_PART,
        reprompt=content.phrase("reprompt"),
        card_text=unknown.speech,
    )


def topic_labels(content: Content, topic_ids: list[str] | tuple[str, ...] | None = None) -> str:
    chosen = [content.topic_by_id[i] for i in topic_ids] if topic_ids else list(content.topics)
    return join_list((topic.label for topic in chosen), conjunction="or")


def not_covered_answer(content: Content, subject_id: str | None) -> Answer:
    """Questions the leaflet does not answer: say so kindly, point to the clinician, offer topics.
    Risks and side effects get the safety topic, so every such question hears the same honest answer."""
    not_covered = content.not_covered
    answered_by = not_covered.answered_by_topic.get(subject_id) if subject_id else None
    if answered_by is not None:
        return topic_answer(content, content.topic_by_id[answered_by])
    subject = not_covered.subjects.get(subject_id) if subject_id else None
    body = not_covered.named.format(subject=subject) if subject else not_covered.unnamed
    suggestion = not_covered.suggestion.format(topics=topic_labels(content, not_covered.suggested_topics))
    return Answer(
        speech=sentences(body, suggestion, content.phrase("ask_next")),
        title=not_covered.title,
        key=f"{NOT_COVERED}:{subject_id}" if subject else NOT_COVERED,
        reprompt=content.phrase("reprompt"),
        card_text=sentences(body, suggestion),
    )


def mention_answer(content: Content, meaning: str | None) -> Answer:
    """The answer for what a slot's words stand for (see skill.runtime.mentions); the fallback for none."""
    if meaning is None:
        return fallback_answer(content)
    if meaning == UNKNOWN_PART:
        return unknown_part_answer(content)
    if meaning == NOT_COVERED:
        return not_covered_answer(content, None)
    if meaning in content.body_part_by_id:
        return body_part_answer(content, content.body_part_by_id[meaning])
    if meaning in content.fact_by_id:
        return fact_answer(content, content.fact_by_id[meaning])
    if meaning in content.topic_by_id:
        return topic_answer(content, content.topic_by_id[meaning])
    return not_covered_answer(content, meaning)


def reask_answer(content: Content, intent: str, slot: str, phrase_key: str) -> Answer:
    """An empty slot: ask for it again rather than guess ("repeat" asks again too)."""
    return Answer(
        speech=content.phrase(phrase_key),
        title=content.skill_name,
        key=f"reask:{slot}",
        reprompt=content.phrase(f"{phrase_key}_reprompt"),
        elicit=(intent, slot),
    )


def social_answer(content: Content, social_id: str) -> Answer:
    """Thanks, hello, "are you a doctor": short and kind; repeat still replays the last real answer."""
    social = content.social[social_id]
    return Answer(
        speech=social.speech,
        title=social.title,
        key=f"social:{social_id}",
        reprompt=social.reprompt,
        repeatable=False,
    )


def welcome_answer(content: Content) -> Answer:
    return Answer(
        speech=sentences(content.phrase("welcome"), content.phrase("examples")),
        title=content.skill_name,
        key="welcome",
        reprompt=content.phrase("welcome_reprompt"),
    )


def help_pages(content: Content) -> list[tuple[str, ...]]:
    """The topics in groups small enough to hold in mind, in the order the leaflet's topics go."""
    ids = [topic.id for topic in content.topics]
    count = -(-len(ids) // HELP_PAGE_SIZE)
    # Even pages: ten topics are read as 4, 3 and 3 rather than 4, 4 and 2.
    sizes = [len(ids) // count + (1 if page < len(ids) % count else 0) for page in range(count)]
    starts = [sum(sizes[:page]) for page in range(count)]
    return [tuple(ids[start : start + size]) for start, size in zip(starts, sizes, strict=True)]


def help_answer(content: Content, page: int = 1) -> Answer:
    """One page of topics; "more" (or "yes") reads the next, and the last adds the spoken controls."""
    pages = help_pages(content)
    page = page if 1 <= page <= len(pages) else 1
    body = sentences(content.phrase("help_intro"), topic_labels(content, pages[page - 1]) + ".")
    last = page == len(pages)
    return Answer(
        speech=sentences(body, content.phrase("help_controls") if last else content.phrase("help_more")),
        title=content.skill_name,
        key="help",
        reprompt=content.phrase("reprompt") if last else content.phrase("help_reprompt"),
        card_text=body,
        next_help_page=None if last else page + 1,
    )


def fallback_answer(content: Content) -> Answer:
    suggestion = content.phrase(
        "fallback_suggestion", topics=topic_labels(content, content.not_covered.suggested_topics)
    )
    return Answer(
        speech=sentences(content.phrase("fallback"), suggestion),
        title=content.skill_name,
        key="fallback",
        reprompt=content.phrase("reprompt"),
        card_text=sentences(content.phrase("fallback"), suggestion),
        repeatable=False,
    )


def goodbye_answer(content: Content) -> Answer:
    return Answer(
        speech=content.phrase("goodbye"),
        title=content.skill_name,
        key="goodbye",
        end_session=True,
        remember=False,
    )


def error_answer(content: Content) -> Answer:
    return Answer(
        speech=content.phrase("error"),
        title=content.skill_name,
        key="error",
        reprompt=content.phrase("reprompt"),
        remember=False,
    )


def short_answer(content: Content, key: str, *phrase_keys: str) -> Answer:
    """A brief acknowledgement ("Okay, I'll speak more slowly.") that keeps the conversation open."""
    return Answer(
        speech=sentences(*(content.phrase(phrase) for phrase in phrase_keys)),
        title=content.skill_name,
        key=key,
        reprompt=content.phrase("reprompt"),
        remember=False,
    )
