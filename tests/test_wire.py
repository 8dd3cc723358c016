"""skill.runtime.wire reads and writes envelopes exactly as ask-sdk's own DefaultSerializer does.

The SDK is the reference throughout: every comparison below runs the SDK's serializer on the same
input, so an SDK upgrade that changes its behaviour fails here instead of changing answers quietly.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.request_envelope import RequestEnvelope
from hypothesis import given
from hypothesis import strategies as st

from skill.runtime import wire
from skill.runtime.wire import parse_timestamp, read_envelope, to_json
from skill.tools import envelopes
from tests.fuzz_strategies import FUZZ, alexa_envelopes, garbage

SDK = DefaultSerializer()


def sdk_reads(event: Any) -> Any:
    """What ask-sdk's own lambda_handler makes of `event`: JSON text, parsed by its serializer."""
    return SDK.deserialize(json.dumps(event), RequestEnvelope)


def outcome(read: Any, event: Any) -> tuple[str, Any]:
    try:
        return "value", read(event)
    except Exception as error:  # compared by type: both sides must fail the same way
        return "raised", type(error)


# --- the timestamp -------------------------------------------------------------------------------

TIMESTAMPS = [
    "2025-06-01T12:00:00Z",  # what Alexa sends
    "2025-06-01T12:00:00.5Z",
    "2025-06-01T12:00:00.123Z",
    "2025-06-01T12:00:00.123456Z",
    "2025-06-01T12:00:00.1234567Z",  # more digits than microseconds
    "2025-06-01T12:00:00+00:00",
    "2025-06-01T12:00:00-00:00",
    "2025-06-01T12:00:00+05:30",
    "2025-06-01T12:00:00-09:45",
    "2025-06-01T12:00:00+23:59",
    "2025-06-01T12:00:00",  # no zone
    "2025-06-01 12:00:00Z",  # a space, not a T
    "2025-06-01T12:00Z",  # no seconds
    "2025-06-01",
    "20250601T120000Z",  # ISO basic form
    "2025-06-01T12:00:00,5Z",  # decimal comma
    "2025-06-01T12:00:00.Z",
    "2025-06-01T12:00:00z",
    "2025-06-01T12:00:00+0530",
    "2025-06-01T12:00:00+05",
    "2025-06-01T12:00:00 UTC",
    "2025-W22-7",  # ISO week date
    "2025-152",  # ISO ordinal date
    "June 1, 2025 12:00 PM",
    "1 Jun 2025",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2024-02-29T00:00:00Z",  # a leap day
    "2025-02-29T00:00:00Z",  # not one
    "2025-06-31T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-06-01T24:00:00Z",
    "2025-06-01T23:60:00Z",
    "2025-06-01T23:59:60Z",  # a leap second
    "2025-06-01T12:00:00+24:00",
    "2025-06-01T12:00:00+12:60",
    "\uff12\uff10\uff12\uff15-06-01T12:00:00Z",  # full-width digits
    "",
    " ",
    "now",
    "2025-06-01T12:00:00Z trailing",
]


def same_datetime(ours: Any, theirs: Any) -> bool:
    """Same instant, same offset, same text when written back (the SDK writes `isoformat()`).

    Compared through what each datetime answers, since dateutil can make one whose offset is out of
    range (`+24:00`) and raises when asked for it; both sides must then raise alike.
    """
    if not (isinstance(ours, dt.datetime) and isinstance(theirs, dt.datetime)):
        return bool(ours == theirs)

    def facts(value: dt.datetime) -> list[tuple[str, Any]]:
        return [
            outcome(lambda d: d.replace(tzinfo=None), value),
            outcome(dt.datetime.utcoffset, value),
            outcome(dt.datetime.isoformat, value),
        ]

    return facts(ours) == facts(theirs)


def assert_like_the_sdk(text: str) -> None:
    theirs = outcome(lambda value: SDK.deserialize(json.dumps(value), "datetime"), text)
    ours = outcome(parse_timestamp, text)
    assert ours[0] == theirs[0], (text, ours, theirs)
    if ours[0] == "value":
        assert same_datetime(ours[1], theirs[1]), (text, ours[1], theirs[1])


@pytest.mark.parametrize("text", TIMESTAMPS)
def test_timestamps_are_read_as_the_sdk_reads_them(text: str) -> None:
    assert_like_the_sdk(text)


def test_the_performance_notes_give_the_corpus_its_size() -> None:
    notes = (Path(__file__).resolve().parents[1] / "docs" / "performance.md").read_text(encoding="utf-8")
    assert f"a corpus of {len(TIMESTAMPS)} forms" in " ".join(notes.split())


_two = st.integers(0, 99).map(lambda n: f"{n:02d}")
alexa_like_timestamps = st.builds(
    lambda year, month, day, hour, minute, second, fraction, zone: (
        f"{year:04d}-{month}-{day}T{hour}:{minute}:{second}{fraction}{zone}"
    ),
    st.integers(0, 9999),
    _two,
    _two,
    _two,
    _two,
    _two,
    st.one_of(st.just(""), st.integers(0, 10**7).map(lambda n: f".{n}")),
    st.one_of(
        st.sampled_from(["", "Z"]),
        st.builds(lambda s, h, m: f"{s}{h}:{m}", st.sampled_from("+-"), _two, _two),
    ),
)


@FUZZ
@given(text=alexa_like_timestamps)
def test_every_timestamp_of_alexas_shape_is_read_as_the_sdk_reads_it(text: str) -> None:
    """Including impossible dates, hours, offsets and long fractions: fromisoformat's rejections fall
    back to the SDK's parser, and where fromisoformat accepts, both agree."""
    assert_like_the_sdk(text)


# --- whole envelopes -----------------------------------------------------------------------------


def corpus() -> list[dict[str, Any]]:
    """One envelope of every kind the skill is sent, with and without a screen and a session."""
    attributes = {"topic": "muscles", "last": {"speech": "Hello.", "title": "T", "card": "c"}, "rate": 1}
    requests = [
        envelopes.launch(),
        envelopes.launch("en-GB"),
        envelopes.intent("TreatedMusclesIntent"),
        envelopes.intent(
            "BodyPartIntent", {"bodyPart": envelopes.SlotFill("neck", "neck", "neck", "BODY_PART")}
        ),
        envelopes.intent("SubjectIntent", {"subject": envelopes.SlotFill("knee pain")}),
        envelopes.intent("AMAZON.HelpIntent"),
        envelopes.session_ended("ERROR"),
        envelopes.user_event(["topic", "muscles"]),
        {**envelopes.intent("TreatedMusclesIntent"), "type": "CanFulfillIntentRequest"},
    ]
    made = []
    for request in requests:
        for screen in (False, True):
            made.append(envelopes.envelope(request, session=envelopes.Session(), screen=screen))
            made.append(
                envelopes.envelope(request, session=envelopes.Session(new=False, attributes=attributes))
            )
        made.append(envelopes.envelope(request, session=None))
    return made


@pytest.mark.parametrize("event", corpus(), ids=lambda event: event["request"]["type"])
def test_envelopes_are_read_and_written_back_as_the_sdk_does(event: dict[str, Any]) -> None:
    before = json.dumps(event)
    ours, theirs = read_envelope(event), sdk_reads(event)
    assert ours == theirs
    assert json.dumps(event) == before  # the event is left as it was
    assert to_json(ours) == SDK.serialize(theirs)


@FUZZ
@given(event=st.one_of(alexa_envelopes(), garbage))
def test_any_input_is_read_as_the_sdk_reads_it_or_fails_as_it_fails(event: Any) -> None:
    before = json.dumps(event)
    ours, theirs = outcome(read_envelope, event), outcome(sdk_reads, event)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert json.dumps(event) == before
    if ours[0] == "value":  # an unknown key such as "__dict__" can break the model: both fail alike
        assert outcome(to_json, ours[1]) == outcome(SDK.serialize, theirs[1])


def test_a_request_type_newer_than_the_sdk_fails_as_the_sdk_fails() -> None:
    event = envelopes.envelope({"type": "Alexa.Future.Request", "locale": "en-US"}, session=None)
    with pytest.raises(SerializationException):
        read_envelope(event)


def _class_missing_a_map_entry() -> type:
    """A model class as a release could ship it: `confirmation_status` declared but left out of its map."""
    from ask_sdk_model.slot import Slot

    kept = {attr: key for attr, key in Slot.attribute_map.items() if attr != "confirmation_status"}
    return type("SlotMissingAnEntry", (Slot,), {"attribute_map": kept})


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "bodyPart", "value": "neck", "confirmation_status": "CONFIRMED"},  # the field's own name
        {"name": "bodyPart", "confirmationStatus": "CONFIRMED"},  # the JSON name the map left out
        {"name": "bodyPart", "confirmation_status": "NOT_AN_ENUM_VALUE"},
    ],
)
def test_a_class_whose_attribute_map_misses_a_field_is_read_and_written_as_the_sdk_does(
    payload: dict[str, Any],
) -> None:
    """The SDK's serializer completes a class's attribute map on every call; the plan completes it once.
    Each side gets its own class, because the SDK completes the map of the class it is given in place."""
    ours = outcome(wire._reader(_class_missing_a_map_entry()), copy.deepcopy(payload))
    theirs = outcome(lambda p: SDK.deserialize(json.dumps(p), _class_missing_a_map_entry()), payload)
    assert ours[0] == theirs[0]
    if ours[0] == "raised":
        return
    assert vars(ours[1]) == vars(theirs[1])
    assert to_json(ours[1]) == SDK.serialize(theirs[1])
