"""Benchmark: WorkCalendar.add_workdays against a day-by-day loop over chinese_calendar.is_workday.

Run from the repository root: python bench/bench_deadlines.py [--n 1000000] [--baseline-n 50000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # import the project from a checkout

import chinese_calendar  # noqa: E402

from workflows.calendar import WorkCalendar  # noqa: E402

FIRST, LAST_START = date(2024, 1, 1), date(2026, 11, 30)  # +20 workdays from 11/30 stays in 2026
Pair = tuple[date, int]


def make_pairs(count: int, seed: int) -> list[Pair]:
    """Random (start date, n workdays) pairs whose results stay inside the known calendar."""
    rng = random.Random(seed)
    span = (LAST_START - FIRST).days + 1
    return [(FIRST + timedelta(rng.randrange(span)), rng.randint(1, 20)) for _ in range(count)]


def baseline_add_workdays(start: date, n: int) -> date:
    """What one would write without a table: step one day at a time."""
    day = start
    while n:
        day += timedelta(1)
        n -= chinese_calendar.is_workday(day)
    return day


def table_walk(calendar: WorkCalendar) -> Callable[[date, int], date]:
    """Day-by-day over the precomputed table: separates the algorithm from chinese_calendar's cost."""

    def add(start: date, n: int) -> date:
        day = start
        while n:
            day += timedelta(1)
            n -= calendar.is_workday(day)
        return day

    return add


def run(fn: Callable[[date, int], date], pairs: list[Pair]) -> tuple[float, list[date]]:
    """Seconds taken to compute every pair, and the answers."""
    started = time.perf_counter()
    answers = [fn(start, n) for start, n in pairs]
    return time.perf_counter() - started, answers


def median_rate(fn: Callable[[date, int], date], pairs: list[Pair], repeats: int) -> tuple[float, list[date]]:
    """Median items per second over several runs."""
    timings, answers = [], []
    for _ in range(repeats):
        seconds, answers = run(fn, pairs)
        timings.append(seconds)
    return len(pairs) / statistics.median(timings), answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="pairs for WorkCalendar")
    parser.add_argument("--baseline-n", type=int, default=50_000, help="pairs for the slow baseline")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    started = time.perf_counter()
    calendar = WorkCalendar()
    build = time.perf_counter() - started
    pairs = make_pairs(args.n, args.seed)
    sample = pairs[: min(args.baseline_n, args.n)]

    fast_rate, _ = median_rate(calendar.add_workdays, pairs, args.repeats)
    slow_rate, slow_answers = median_rate(baseline_add_workdays, sample, args.repeats)
    walk_rate, walk_answers = median_rate(table_walk(calendar), sample, args.repeats)
    fast_sample = [calendar.add_workdays(start, n) for start, n in sample]
    if not fast_sample == slow_answers == walk_answers:
        wrong = sum(a != b for a, b in zip(fast_sample, slow_answers, strict=True))
        sys.exit(f"MISMATCH: {wrong} of {len(sample)} sample answers differ")

    print(f"WorkCalendar built in {build * 1000:.0f} ms (range {calendar.first_day()}..{calendar.horizon()})")
    print(f"WorkCalendar.add_workdays  : {fast_rate:>12,.0f} items/s  ({args.n:,} pairs, median of {args.repeats})")
    print(
        f"day-by-day baseline        : {slow_rate:>12,.0f} items/s  "
        f"(measured on the first {len(sample):,} pairs, median of {args.repeats}, rate per item)"
    )
    print(
        f"day-by-day over the table  : {walk_rate:>12,.0f} items/s  "
        f"(same sample; WorkCalendar.is_workday per day, for reference)"
    )
    print(f"answers identical on the {len(sample):,}-pair sample")
    ratio = fast_rate / slow_rate
    print(f"speed-up vs baseline       : {ratio:,.1f}x  (target >= 20x: {'met' if ratio >= 20 else 'NOT met'})")
    print(f"speed-up vs table walk     : {fast_rate / walk_rate:,.1f}x")


if __name__ == "__main__":
    main()
