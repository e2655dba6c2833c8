"""Benchmark: `leafpress build --jobs 2` vs `--jobs 1` on the same batch.

    python bench/bench_parallel.py [N] [RUNS]     # N small topics (default 15), RUNS each (default 3)
    python bench/bench_parallel.py --smoke        # 1 small topic, 1 run each: checks that it runs

Works on a temporary copy of the project: the sample topic (its nine
targets: article, summary, CPD handout and six patient leaflets) plus N
generated topics of one short article each, so 9 + N targets (24 by
default). Each run is a whole `leafpress build --force` process, wall clock;
--jobs 1 and --jobs 2 alternate, after one untimed build, and the medians
are compared. Goal: at least 1.7x on two cores.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

from _common import machine, median, spread, temporary_project, timed_build, verdict, workload, write_mixed_batch


def main(small: int, runs: int) -> None:
    with temporary_project() as root:
        print(f"machine: {machine()}")
        count = write_mixed_batch(root, small)
        timed_build(root, ["--force", "--jobs", "2"], count)  # untimed: outputs exist, disk caches warm
        times: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(runs):
            for jobs in (1, 2):
                times[jobs].append(timed_build(root, ["--force", "--jobs", str(jobs)], count))
        for jobs in (1, 2):
            print(f"leafpress build --force --jobs {jobs}: {spread(times[jobs])}")
        ratio = median(times[1]) / median(times[2])
        print(f"speed-up, --jobs 2 over --jobs 1: {ratio:.2f}x; {verdict(ratio >= 1.7, '>= 1.7x on two cores')}")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    args = workload(__doc__, ("small", 15, 1, "short articles added to the sample topic"),
                    ("runs", 3, 1, "timed runs of each --jobs"))
    main(args.small, args.runs)
