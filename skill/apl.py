"""The Echo Show screen: the answer in large high-contrast text and touchable topic buttons.

The document is static data (`data/apl_answer.json`, loaded once); each response only sends a
small datasource. Touching a button sends a UserEvent with `["topic", <id>]` or `["more", <id>]`.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from skill.content import Content, read_data_file
from skill.spelling import localise

if TYPE_CHECKING:
    from skill.replies import Answer
    from ask_sdk_model.interfaces.alexa.presentation.apl.render_document_directive import (
        RenderDocumentDirective,
    )

TOKEN = "tpi-answer"
USER_EVENT = "Alexa.Presentation.APL.UserEvent"
"""The request type a touched button sends."""
TOPIC_EVENT = "topic"
MORE_EVENT = "more"


@functools.cache
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(read_data_file("apl_answer.json"))
    return loaded


def datasource(content: Content, answer: Answer, locale: str | None) -> dict[str, Any]:
    buttons = [{"label": topic.button, "event": TOPIC_EVENT, "id": topic.id} for topic in content.topics]
    topic = content.topic_by_id.get(answer.more_topic) if answer.more_topic else None
    if topic is not None and topic.more:
        buttons.insert(0, {"label": content.phrase("more_button"), "event": MORE_EVENT, "id": topic.id})
    return {
        "answer": {
            "header": content.phrase("screen_title"),
            "title": localise(answer.title, locale),
            "text": localise(answer.card_text or answer.speech, locale),
            "hint": content.phrase("screen_hint"),
            "buttons": buttons,
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
