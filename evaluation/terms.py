"""The medical terms and quantities an answer may only name when the leaflet (or its quoted sources) does.

One list for the understanding judge (`evaluation.judge`: an answer naming a term the leaflet lacks has
invented it) and for tests/test_provenance.py (an answer names only terms its quoted sentences contain).

Matching is by whole words, case-insensitively, with an optional plural ("knot" finds "knots", "disc"
finds "slipped disc" but not "discomfort"). A term ending in `*` is a stem and finds any word it starts
("palpat*" finds "palpating" and "palpation"); only terms marked so are matched that way.
"""

from __future__ import annotations

import functools
import re

# Anatomy, medicines, conditions, nerves, procedures and findings a patient might hear. Many are
# deliberately absent from the leaflet, so an answer that slips one in fails.
MEDICAL_TERMS = (
    # in the leaflet
    "trapezius", "levator scapulae", "gluteus medius", "quadratus lumborum", "piriformis", "sciatic",
    "nerve", "myofascial", "corticosteroid", "steroid", "anaesthetic", "anesthetic", "twitch",
    "referred pain", "palpat*", "microtrauma", "trauma", "painkiller", "physical therapy", "numbness",
    "muscle fibre", "muscle fiber", "knot", "range of motion", "syndrome", "diagnostic", "therapeutic",
    "tender*", "constrict*", "muscular performance", "safe*", "neck", "shoulder", "arm", "leg", "hip",
    "buttock", "lower back",
    # not in the leaflet
    "upper back", "head", "needle", "needling", "physiotherapy", "sciatica", "anaesthesia", "anesthesia",
    "lidocaine", "lignocaine", "bupivacaine", "procaine", "cortisone", "hydrocortisone", "dexamethasone",
    "triamcinolone", "prednisolone", "methylprednisolone", "kenalog", "botox", "botulinum", "saline",
    "dry needling", "acupuncture", "nerve block", "epidural", "ultrasound", "x-ray", "mri", "scan",
    "spine", "spinal", "disc", "vertebra*", "headache", "migraine", "fibromyalgia", "arthritis",
    "tingling", "inflammation", "inflamed", "infection", "infected", "bleeding", "bleed", "bruising",
    "bruise", "swelling", "swollen", "allerg*", "nausea", "dizziness", "fainting", "faint",
    "pneumothorax", "ibuprofen", "paracetamol", "acetaminophen", "opioid", "codeine", "massage",
    "chiropract*", "osteopath*", "sedation", "anticoagulant", "blood thinner",
)  # fmt: skip

# Number and duration words: the leaflet gives no figures, so an answer that does has invented them.
QUANTITY_WORDS = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "dozen", "half", "once",
    "twice", "percent", "per cent", "second", "minute", "hour", "day", "week", "month", "year", "daily",
    "weekly", "monthly", "yearly",
)  # fmt: skip

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


@functools.cache
def _pattern(term: str) -> re.Pattern[str]:
    words = r"[\s-]+".join(re.escape(w) for w in term.rstrip("*").split())
    end = r"[a-z]*" if term.endswith("*") else r"(?:s|es)?"
    return re.compile(rf"(?<![a-z]){words}{end}(?![a-z])", re.IGNORECASE)


def names(term: str, text: str) -> bool:
    """Whether the text names the term (whole words, optional plural; any ending for a `*` stem)."""
    return _pattern(term).search(text) is not None


def terms_in(text: str) -> set[str]:
    """The MEDICAL_TERMS a text names, as listed."""
    return {term for term in MEDICAL_TERMS if names(term, text)}


def quantities_in(text: str) -> set[str]:
    """The figures (digits) and the QUANTITY_WORDS a text names."""
    return set(_DIGITS.findall(text)) | {word for word in QUANTITY_WORDS if names(word, text)}
