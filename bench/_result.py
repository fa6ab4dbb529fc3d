"""The one line each benchmark prints for ``regulake bench`` to collect:

    BENCH_RESULT {"bench": "bronze_ingest", "figure": "...", "ratio": 0.52, "goal": ">= 0.7", "met": false}

``ratio`` is the headline ratio against the baseline run in the same process (None when the
benchmark has an absolute goal only); ``met`` compares it with the goal.
"""

from __future__ import annotations

import json

PREFIX = "BENCH_RESULT "


def emit(bench: str, figure: str, ratio: float | None, goal: str, met: bool | None, **extra) -> None:
    row = {
        "bench": bench,
        "figure": figure,
        "ratio": None if ratio is None else round(float(ratio), 3),
        "goal": goal,
        "met": None if met is None else bool(met),
        **extra,
    }
    print(PREFIX + json.dumps(row, ensure_ascii=False), flush=True)
