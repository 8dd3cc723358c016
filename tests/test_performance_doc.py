"""docs/performance.md says what its own table says.

The table between the markers is written by a full `python benchmarks/run.py`; the prose beneath it
is written by hand from that same run. These tests keep the two from drifting apart, as they once did
(a `--quick` table above prose from an earlier full run).
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN, END = "<!-- BEGIN BENCHMARK RESULTS -->", "<!-- END BENCHMARK RESULTS -->"
PROSE = "## What the numbers show"
RATIO = re.compile(r"(?<![\d.])\d+\.\d\dx")


def sections() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split(BEGIN, 1)[1].split(END, 1)[0]
    prose = text.split(PROSE, 1)[1].split("\n## ", 1)[0]
    return table, prose


def test_the_published_table_is_from_a_full_run() -> None:
    table, _ = sections()
    meta = table.strip().splitlines()[0]
    assert ", full run, " in meta and "--quick" not in meta, meta


def test_every_ratio_the_prose_quotes_is_in_the_table_of_the_same_run() -> None:
    table, prose = sections()
    quoted = set(RATIO.findall(prose))
    assert quoted, "the prose quotes no figures from the run"
    assert quoted <= set(RATIO.findall(table)), sorted(quoted - set(RATIO.findall(table)))
