"""Benchmark: `leafpress certificates --combined`, peak memory as the roster grows.

    python bench/bench_combined.py [N]        # N, 4 N and 16 N attendees, default 50 (50, 200, 800)
    python bench/bench_combined.py --smoke    # 2, 8 and 32 attendees: checks that it runs

Works on a temporary copy of the project (the sample topic, the roster of
bench_certificates.py). Each measurement is a whole `leafpress certificates
--combined` process, wall clock, with its peak resident memory (from wait4).
certificates.pdf is joined as the certificates are made, 50 at a time, so
the peak should barely grow with the roster: the goal is 16 N attendees
within 1.5x the peak of N. Also printed: the growth per certificate beyond
the N-attendee run, in KB.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

from _common import machine, temporary_project, verdict, workload
from bench_certificates import make


def main(count: int) -> None:
    if count < 2:
        raise SystemExit("N must be at least 2")
    with temporary_project() as root:
        print(f"machine: {machine()}")
        print("`leafpress certificates --combined`, whole processes")
        results = []
        for attendees in (count, 4 * count, 16 * count):
            seconds, peak = make(root, attendees, combined=True)
            results.append((attendees, peak))
            print(f"{attendees:5d} attendees: {seconds:6.1f} s, peak RSS {peak:6.1f} MB")
        (small, small_peak), (large, large_peak) = results[0], results[-1]
        ratio = large_peak / small_peak
        per = 1024 * (large_peak - small_peak) / (large - small)
        print(f"peak memory, {large} vs {small} attendees: {ratio:.2f}x; {per:.1f} KB more per certificate")
        print(verdict(ratio < 1.5, f"peak of {large} attendees within 1.5x of {small}'s"))
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    main(workload(__doc__, ("count", 50, 2, "attendees in the smallest roster")).count)
