"""The Echo Show screen: the answer in large high-contrast text and touchable topic buttons.

The document is static data (`data/apl_answer.json`, loaded once per process) and sizes itself for
each viewport profile; each response only sends a small datasource. Touching a button sends a
UserEvent with `["topic", <id>]` or `["more", <id>]`, which `skill.runtime.handlers.screen` answers exactly as
the spoken request would be.

The buttons a patient needs next come first: the answer's "tell me more" (only while there is more to
hear), then the topic the answer offered, then the rest in the leaflet's order, the topic just
answered last. Every text on the screen is in the listener's locale spelling.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from skill.runtime.content import Content, Topic, read_data_file
from skill.runtime.spelling import localise

if TYPE_CHECKING:
    from ask_sdk_model.interfaces.alexa.presentation.apl.render_document_directive import (
        RenderDocumentDirective,
    )

    from skill.runtime.replies import Answer

DOCUMENT = "apl_answer.json"
TOKEN = "tpi-answer"
USER_EVENT = "Alexa.Presentation.APL.UserEvent"
"""The request type a touched button sends."""
TOPIC_EVENT = "topic"
MORE_EVENT = "more"


@functools.cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(read_data_file(DOCUMENT))
    return loaded


def ordered_topics(content: Content, answer: Answer) -> list[Topic]:
    """Every topic once: the offered one first, the one just answered last, the rest in leaflet order."""
    first = [content.topic_by_id[answer.offered]] if answer.offered in content.topic_by_id else []
    last = [content.topic_by_id[answer.topic]] if answer.topic in content.topic_by_id else []
    middle = [topic for topic in content.topics if topic not in first and topic not in last]
    return first + middle + [topic for topic in last if topic not in first]


def buttons(content: Content, answer: Answer, locale: str | None) -> list[dict[str, str]]:
    """The screen's buttons, in the order a patient needs them, with labels that stand alone."""

    def button(event: str, topic: Topic, label: str, spoken_label: str) -> dict[str, str]:
        return {
            "event": event,
            "id": topic.id,
            "label": localise(label, locale),
            "accessibilityLabel": localise(spoken_label, locale),
        }

    more = content.topic_by_id.get(answer.more_topic) if answer.more_topic else None
    listed = []
    if more is not None and more.more:
        label = content.phrase("screen_more_label", label=more.label)
        listed.append(button(MORE_EVENT, more, content.phrase("more_button"), label))
    for topic in ordered_topics(content, answer):
        label = content.phrase("screen_topic_label", label=topic.label)
        listed.append(button(TOPIC_EVENT, topic, topic.button, label))
    return listed


def datasource(content: Content, answer: Answer, locale: str | None) -> dict[str, Any]:
    return {
        "answer": {
            "header": localise(content.phrase("screen_title"), locale),
            "title": localise(answer.title, locale),
            "text": localise(answer.card_text or answer.speech, locale),
            "hint": localise(content.phrase("screen_swipe_hint"), locale),
            "shortHint": localise(content.phrase("screen_swipe_hint_short"), locale),
            "cue": localise(content.phrase("screen_scroll_cue"), locale),
            "buttons": buttons(content, answer, locale),
        }
    }


def render_directive(content: Content, answer: Answer, locale: str | None) -> RenderDocumentDirective:
    # Imported here: the APL model package is only needed for devices with a screen (cold start).
    from ask_sdk_model.interfaces.alexa.presentation.apl.render_document_directive import (
        RenderDocumentDirective,
    )

    return RenderDocumentDirective(
        token=TOKEN, document=document(), datasources=datasource(content, answer, locale)
    )
