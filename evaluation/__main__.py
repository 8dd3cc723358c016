"""`python -m evaluation`: the understanding table, the leave-one-out confusions and the floor check."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from evaluation import judge
from evaluation.router import calibrate, router_for
from skill.tools.envelopes import LOCALES


def problems(
    result: judge.Totals,
    floor: float = 0.0,
    max_false_nil: int | None = None,
    max_echoes: int | None = None,
    max_invented: int | None = None,
) -> list[str]:
    """What fails the command: the share right below the floor, or a count above its limit (None: any)."""
    found = []
    if result.share_right < floor:
        found.append(f"right {result.share_right:.1%} is below the floor {floor:.1%}")
    for name, value, limit in (
        ("false 'not in the leaflet'", result.false_not_in_leaflet, max_false_nil),
        ("echoes", result.echoes, max_echoes),
        ("invented", result.invented, max_invented),
    ):
        if limit is not None and value > limit:
            found.append(f"{name}: {value} > {limit}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    parser.add_argument("--locale", choices=LOCALES, action="append", help="only these locales (repeatable)")
    parser.add_argument("--floor", type=float, default=0.0, help="fail when the share right is below (0-1)")
    parser.add_argument("--max-false-nil", type=int, default=None, help="fail above this many false NIL")
    parser.add_argument("--max-echoes", type=int, default=None, help="fail above this many echoes")
    parser.add_argument("--max-invented", type=int, default=None, help="fail above this many inventions")
    parser.add_argument("--confusions", action="store_true", help="print the leave-one-out confusions")
    parser.add_argument("--calibrate", action="store_true", help="print the similarities behind THRESHOLD")
    parser.add_argument("--quiet", action="store_true", help="leave out the list of failures")
    args = parser.parse_args(argv)

    started = time.monotonic()
    evaluation = judge.load_set()
    entries = [e for e in evaluation.entries if not args.locale or e.locale in args.locale]
    outcomes = judge.evaluate(entries)
    print(f"Evaluation set version {evaluation.version}: {len(entries)} phrasings")
    print(judge.table(outcomes))
    if not args.quiet:
        listed = judge.failures(outcomes)
        if listed:
            print("\nNot right, echoed or invented:\n" + listed)
    for locale in args.locale or (["en-US"] if args.confusions or args.calibrate else []):
        router = router_for(locale)
        if args.confusions:
            print("\n" + judge.confusion_report(router))
        if args.calibrate:
            found = calibrate(router)
            inside, outside = np.array(found.samples), np.array(found.off_domain)
            print(f"\nThreshold {found.threshold} ({locale}): best similarity of samples (leave-one-out)")
            print("  and of off-domain phrases (evaluation.router.OUT_OF_DOMAIN) to the model:")
            for q in (1, 5, 10, 25, 50):
                print(f"  samples  p{q:<3} {np.percentile(inside, q):.3f}")
            for q in (50, 90, 95, 100):
                print(f"  off-dom  p{q:<3} {np.percentile(outside, q):.3f}")
            print(
                f"  samples below: {found.samples_below:.1%}; off-domain above: "
                f"{found.off_domain_admitted} of {len(outside)}"
            )
    print(f"\n{time.monotonic() - started:.1f} s")
    failed = problems(
        judge.totals(outcomes), args.floor, args.max_false_nil, args.max_echoes, args.max_invented
    )
    for problem in failed:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
