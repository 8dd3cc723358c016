"""Understanding, measured independently of the skill's own matcher (issue 9).

The evaluation (`python -m evaluation`) routes every phrasing of evaluation/phrasings.yaml with a
sentence-embedding stand-in for Alexa's NLU, plays it through the skill and judges the answer. CI fails
when it falls below the floors here: they start at what was measured and only ever go up, towards the
target of 97% right with no false "not in the leaflet", no echo and no invented term.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from evaluation import judge
from evaluation.__main__ import problems
from evaluation.router import (
    FALLBACK,
    MAX_OFF_DOMAIN_ADMITTED,
    MAX_SAMPLES_BELOW,
    PERTURBATIONS,
    Carrier,
    Router,
    best_alignment,
    calibrate,
    normalise,
    router_for,
    slot_accuracy,
    synthetic_slot_cases,
)
from evaluation.terms import terms_in
from skill.tools.envelopes import LOCALES
from skill.tools.local import Turn

# Floors (ratchets): raise them as the skill improves, never lower them to let a change through.
FLOOR_RIGHT = 0.97
MAX_FALSE_NOT_IN_LEAFLET = 0
MAX_ECHOES = 0
MAX_INVENTED = 0

KEY = re.compile(
    r"(topic|more|fact|part|not_covered|social|reask):[a-z_]+|not_covered|unknown_part|fallback|help|welcome|goodbye"
)

EVALUATION = judge.load_set()


# -- the evaluation set ----------------------------------------------------------------------------------


def test_the_set_is_versioned_and_large_enough() -> None:
    assert EVALUATION.version >= 1
    assert len(EVALUATION.entries) >= 200


def test_every_locale_is_spoken() -> None:
    assert {e.locale for e in EVALUATION.entries} == set(LOCALES)


@pytest.mark.parametrize("entry", EVALUATION.entries, ids=lambda e: e.say)
def test_each_expectation_is_an_answer_key(entry: judge.Entry) -> None:
    assert entry.expect
    assert all(KEY.fullmatch(key) for key in entry.expect), entry.expect


def test_no_phrasing_is_said_twice() -> None:
    said = [(e.locale, normalise(e.say), e.after) for e in EVALUATION.entries]
    assert len(said) == len(set(said))


def test_no_phrasing_copies_a_sample_of_the_model() -> None:
    """A copied sample measures nothing: the stand-in would find it at similarity 1."""
    copies = judge.copies_of_samples(EVALUATION.entries)
    assert not copies, "\n".join(f"{e.locale}: {e.say!r}" for e in copies)


def test_every_kind_of_question_is_asked() -> None:
    kinds = {key.split(":")[0] for e in EVALUATION.entries for key in e.expect}
    assert {"topic", "fact", "part", "not_covered", "unknown_part", "social", "fallback"} <= kinds


# -- the router, on a hand-made model --------------------------------------------------------------------

TOY_MODEL: dict[str, Any] = {
    "intents": [
        {
            "name": "MuscleIntent",
            "slots": [{"name": "muscle", "type": "MUSCLE"}],
            "samples": ["tell me about my {muscle}", "what is the {muscle}", "can you inject my {muscle}"],
        },
        {"name": "CostIntent", "samples": ["how much does it cost", "what is the price"]},
        {"name": "AMAZON.FallbackIntent", "samples": []},
    ],
    "types": [
        {
            "name": "MUSCLE",
            "values": [
                {"id": "trapezius", "name": {"value": "trapezius", "synonyms": ["traps", "upper traps"]}},
                {"id": "quadratus_lumborum", "name": {"value": "quadratus lumborum", "synonyms": ["q. l."]}},
            ],
        }
    ],
}
TOY_BUILT_IN = {"AMAZON.StopIntent": ["stop", "goodbye"]}


@pytest.fixture(scope="module")
def toy() -> Router:
    return Router("en-US", model=TOY_MODEL, built_in=TOY_BUILT_IN)


def test_alignment_finds_the_words_where_the_slot_stands() -> None:
    words = ["could", "they", "inject", "my", "traps"]
    assert Carrier.parse("can you inject my {muscle}").align(words)[1] == {"muscle": ["traps"]}
    carriers = [Carrier.parse("what is the {muscle}"), Carrier.parse("tell me about my {muscle}")]
    phrase = ["tell", "me", "about", "my", "upper", "traps", "please"]
    assert best_alignment(phrase, carriers) == {"muscle": ["upper", "traps", "please"]}


def test_a_carrier_matches_its_literal_words_around_open_slots() -> None:
    carrier = Carrier.parse("can you inject my {muscle} today", "MuscleIntent")
    assert carrier.slots == ("muscle",) and carrier.literal == 5
    cases = {
        "can you inject my upper traps today": {"muscle": "upper traps"},
        "can you inject my today": None,
        "could you inject my traps today": None,
    }
    for phrase, slots in cases.items():
        assert carrier.match(phrase.split()) == slots, phrase


def test_a_listed_synonym_resolves_to_its_id(toy: Router) -> None:
    route = toy.route("could you inject my traps please")
    assert route.intent == "MuscleIntent"
    fill = route.slots["muscle"]
    assert (fill.value, fill.resolved_id) == ("traps", "trapezius")


def test_letters_said_one_by_one_resolve(toy: Router) -> None:
    fill = toy.route("tell me about my QL").slots["muscle"]
    assert fill.resolved_id == "quadratus_lumborum"


def test_unlisted_words_fill_the_slot_without_a_match(toy: Router) -> None:
    route = toy.route("can you inject my calf muscle")
    assert route.intent == "MuscleIntent"
    fill = route.slots["muscle"]
    assert (fill.value, fill.resolved_id) == ("calf muscle", None)


def test_words_that_contain_a_listed_value_are_sent_as_heard_without_a_match(toy: Router) -> None:
    """Alexa resolves only words that are a value or synonym; it never swaps in a value found inside."""
    for phrase, heard in (
        ("can you inject my upper traps muscle", "upper traps muscle"),
        ("tell me about my sore trapezius", "sore trapezius"),
    ):
        fill = toy.route(phrase).slots["muscle"]
        assert (fill.value, fill.resolved_id, fill.resolved_name) == (heard, None, None), phrase
    assert toy.resolve("MUSCLE", ["my", "trapezius"]).resolved_id is None
    assert toy.resolve("MUSCLE", ["upper", "traps"]).resolved_id == "trapezius"


def test_the_slot_tagger_leaves_the_words_around_a_value_out(toy: Router) -> None:
    """Words people add around a slot value, or a value said first, stay out of the slot as Alexa's
    tagger leaves them out; the catalogue decides where a value ends."""
    for phrase, heard in (
        ("and my traps what about that", "traps"),
        ("trapezius what is that", "trapezius"),
        ("so tell me about my upper traps is it", "upper traps"),
        ("um can you inject my calf muscle is it", "calf muscle"),
    ):
        fill = toy.fill_slots("MuscleIntent", normalise(phrase).split(), toy.carriers["MuscleIntent"])
        assert fill["muscle"].value == heard, phrase


# Exact-match slot accuracy on the synthetic calibration set, measured when the tagger's weights were
# chosen (en-US, all of it: 0.9996, rounded down). A ratchet: raise it, never lower it.
FLOOR_SLOT_ACCURACY = 0.99


def test_the_slot_tagger_keeps_its_calibrated_accuracy() -> None:
    """A slice of the synthetic calibration (samples of the model filled with listed and unlisted words,
    said with words around them; never the evaluation set): the tagger may not silently get worse."""
    router = router_for("en-US")
    cases = synthetic_slot_cases(router)[::4]
    accuracy = slot_accuracy(router, cases)
    assert set(PERTURBATIONS) <= set(accuracy)
    worst = {name: right / total for name, (right, total) in accuracy.items() if right < total}
    right, total = accuracy["all"]
    assert right / total >= FLOOR_SLOT_ACCURACY, worst
    assert all(share >= FLOOR_SLOT_ACCURACY for share in worst.values()), worst


def test_a_sample_filled_with_listed_words_is_a_copy(toy: Router) -> None:
    assert toy.copies_a_sample("What is the Q. L.?")
    assert toy.copies_a_sample("how much does it cost")
    assert not toy.copies_a_sample("what is the upper traps muscle")
    assert not toy.copies_a_sample("how much does it really cost")


def test_a_slotless_sample_sends_every_slot_empty(toy: Router) -> None:
    route = toy.route("how much will it cost me")
    assert route.intent == "CostIntent"
    assert route.slots == {}


def test_nonsense_goes_to_the_fallback_intent(toy: Router) -> None:
    for phrase in ("the stock market fell again today", "purple monkey dishwasher"):
        assert toy.route(phrase).intent == FALLBACK, phrase


def test_built_in_phrases_route_to_their_intent(toy: Router) -> None:
    assert toy.route("okay goodbye then").intent == "AMAZON.StopIntent"


def test_spoken_forms_are_normalised() -> None:
    assert normalise("Is it a steroid jab? My QL hurts!") == "is it a steroid jab my q. l. hurts"


# -- the judge -------------------------------------------------------------------------------------------


def _turn(speech: str) -> Turn:
    return Turn(speech=f"<speak>{speech}</speak>", reprompt=None, card_title=None, card_text=None,
                ends_session=False, directives=[], raw={})  # fmt: skip


def test_an_unmatched_word_read_back_is_an_echo() -> None:
    turn = _turn("I can't tell you about your earlobe from the leaflet.")
    assert judge.echoed_words(turn, ["my earlobe"]) == ("earlobe",)
    assert judge.echoed_words(turn, ["the leaflet"]) == ()  # the reviewed content says "leaflet" itself
    assert judge.echoed_words(turn, [None]) == ()


def test_short_words_read_back_are_echoes_too() -> None:
    shown = ["The leaflet doesn't mention your jaw.", "<speak>Or your toe, or your ear.</speak>"]
    assert judge.echoed_words(shown, ["my jaw", "big toe", "left ear", "it"]) == ("ear", "jaw", "toe")


def test_only_what_the_skill_can_say_or_show_counts_as_reviewed() -> None:
    """content.json also holds mention keys, ids, intent names and IPA, which the skill never says."""
    assert "belly" in json.loads(judge.CONTENT.read_text(encoding="utf-8"))["mentions"]
    assert judge.echoed_words(["Your belly is not in the leaflet."], ["my belly"]) == ("belly",)
    reviewed = judge.reviewed_words()
    assert {"belly", "intent", "generated"}.isdisjoint(reviewed)
    assert {"leaflet", "neck", "doctor", "hear"} <= reviewed


def test_a_medical_term_missing_from_the_leaflet_is_invented() -> None:
    assert judge.invented_terms(_turn("It contains lidocaine and a corticosteroid.")) == ("lidocaine",)
    assert judge.invented_terms(_turn("A local anesthetic, sometimes with a steroid.")) == ()


def test_terms_match_whole_words_and_stems_only_where_marked() -> None:
    assert judge.invented_terms(["It can help a slipped disc."]) == ("disc",)
    assert judge.invented_terms(["It may contain hydrocortisone."]) == ("hydrocortisone",)
    assert judge.invented_terms(["Relief lasts about three months."]) == ("month", "three")
    assert judge.invented_terms(["Relief lasts 6 weeks, for 80 percent."]) == ("6", "80", "percent", "week")
    # The leaflet's own words: "discomfort" is no disc, "palpating" is the stem "palpat*", "one" is said.
    assert judge.invented_terms(["For discomfort, palpating finds one or more knots."]) == ()
    assert terms_in("spinal discs and vertebrae, but no discomfort") == {"spinal", "disc", "vertebra*"}
    assert terms_in("the sciatica of the sciatic nerve") == {"sciatica", "sciatic", "nerve"}


def test_outcomes_fall_in_exactly_one_column() -> None:
    def outcome(answered: str, *expect: str) -> judge.Outcome:
        return judge.Outcome(judge.Entry("x", "en-US", expect), answered, "SomeIntent", {})

    cases = [
        (outcome("topic:safety", "topic:safety"), "right"),
        (outcome("fallback", "topic:safety"), "fell_back"),
        (outcome("not_covered:cost", "fact:steroid"), "false_not_in_leaflet"),
        (outcome("unknown_part", "part:neck"), "false_not_in_leaflet"),
        (outcome("topic:about", "not_covered:cost"), "wrong"),
        (outcome("fallback", "social:thanks"), "wrong"),
        (outcome(judge.UNKNOWN, "topic:about"), "unknown"),
    ]
    columns = ("right", "fell_back", "false_not_in_leaflet", "wrong", "unknown")
    for case, column in cases:
        assert [c for c in columns if getattr(case, c)] == [column], (case.answered, case.entry.expect)


# -- the measurement -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outcomes() -> Iterator[list[judge.Outcome]]:
    yield judge.evaluate(EVALUATION.entries)


def test_understanding_stays_above_the_floor(outcomes: list[judge.Outcome]) -> None:
    result = judge.totals(outcomes)
    report = judge.table(outcomes) + "\n" + judge.failures(outcomes)
    assert result.share_right >= FLOOR_RIGHT, report
    assert result.false_not_in_leaflet <= MAX_FALSE_NOT_IN_LEAFLET, report
    assert result.echoes <= MAX_ECHOES, report
    assert result.invented <= MAX_INVENTED, report


def test_the_skill_names_every_answer(outcomes: list[judge.Outcome]) -> None:
    """Without the `answered` key nothing can be judged."""
    unnamed = [o.entry.say for o in outcomes if o.unknown]
    assert not unnamed


def test_the_threshold_keeps_its_documented_calibration() -> None:
    """The bounds evaluation/router.py's docstring states, measured as `--calibrate` does."""
    found = calibrate(router_for("en-US"))
    assert len(found.off_domain) == 24
    assert found.off_domain_admitted <= MAX_OFF_DOMAIN_ADMITTED
    assert found.samples_below <= MAX_SAMPLES_BELOW


def test_the_confusion_report_lists_intent_pairs() -> None:
    """An intent with one sample, left out, can only land elsewhere: here on the other way to ask the cost."""
    intents = [*TOY_MODEL["intents"], {"name": "PriceIntent", "samples": ["what does it cost"]}]
    report = judge.confusion_report(Router("en-US", model={**TOY_MODEL, "intents": intents}, built_in={}))
    assert report.startswith("Leave-one-out confusions (en-US):")
    assert "\n  PriceIntent -> CostIntent: 1\n      'what does it cost' ~ 'how much does it cost' (" in report


def _totals(right: int, **counts: int) -> judge.Totals:
    fields = {"wrong": 0, "fallback": 0, "false_not_in_leaflet": 0, "unknown": 0, "echoes": 0, "invented": 0}
    return judge.Totals(total=100, right=right, **{**fields, **counts})


def test_the_floor_and_the_limits_decide_what_fails() -> None:
    assert problems(_totals(97), floor=0.97, max_false_nil=0, max_echoes=0, max_invented=0) == []
    assert problems(_totals(96), floor=0.97) == ["right 96.0% is below the floor 97.0%"]
    assert problems(_totals(90, invented=3, echoes=1), floor=0.0, max_invented=2) == ["invented: 3 > 2"]
    assert problems(_totals(90, false_not_in_leaflet=1, echoes=1), max_false_nil=0, max_echoes=0) == [
        "false 'not in the leaflet': 1 > 0",
        "echoes: 1 > 0",
    ]


def test_the_floor_fails_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    from evaluation.__main__ import main

    assert main(["--locale", "en-IN", "--floor", "1.01", "--quiet"]) == 1
    assert "below the floor" in capsys.readouterr().err
    assert main(["--locale", "en-IN", "--floor", "0", "--quiet"]) == 0
    assert "FAIL" not in capsys.readouterr().err
