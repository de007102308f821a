"""How long an offline review of each committed stack takes: prints its figures, asserts nothing.

    .venv/bin/python -m bench.plan_speed [--repeat N]

Cold: the first evaluation in a fresh process (it imports the program's modules and the SDKs).
Warm: later evaluations in the same process (what the test suite and the
hypothesis test pay per run), median and worst of N.
"""

from __future__ import annotations

import argparse
import statistics
import time

from tests.conftest import STACKS
from tools.engine import evaluate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    for stack in STACKS:
        start = time.perf_counter()
        plan = evaluate(stack)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            evaluate(stack)
            warm.append(time.perf_counter() - start)
        print(
            f"{stack:8} {len(plan.resources):4} resources  first {cold * 1000:7.1f} ms  "
            f"warm median {statistics.median(warm) * 1000:6.1f} ms  worst {max(warm) * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()
