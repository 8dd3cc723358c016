"""Answer one envelope N times after a warm-up, for callgrind to count (see bench_dispatch.py).

    python benchmarks/dispatch_child.py ours|hello ENVELOPE.json N

The envelope is read from a file written once by the parent, so every run sees the same bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

WARMUP = 50


def main() -> None:
    side, envelope, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    event = json.loads(envelope.read_text(encoding="utf-8"))
    if side == "ours":
        from skill.tools.lambda_package import load_handler_module

        handler = load_handler_module().lambda_handler
    else:
        import hello_skill

        handler = hello_skill.lambda_handler
    for _ in range(WARMUP + count):
        assert handler(event, None)["response"]["outputSpeech"]


if __name__ == "__main__":
    main()
