"""Benchmark: a rebuild with nothing changed vs the full build.

    python bench/bench_noop.py [N] [RUNS]     # N small topics (default 40), RUNS each (default 3)
    python bench/bench_noop.py --smoke        # 1 small topic, 1 run each: checks that it runs

Works on a temporary copy of the project: the sample topic (nine targets)
plus N generated topics of one short article each. Both sides are whole
`leafpress build` processes with the default --jobs, wall clock:

* full: a build into an empty output folder (every target built);
* no-op: the same command again, nothing changed (every target up to date:
  the command plans, fingerprints every target's inputs, checks each PDF
  against the manifest and builds nothing).

Each run uses a new output folder; the medians are compared. Goal: the
no-op rebuild under 5% of the full build's time.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

from _common import machine, median, spread, temporary_project, timed_build, verdict, workload, write_mixed_batch


def main(small: int, runs: int) -> None:
    with temporary_project() as root:
        print(f"machine: {machine()}")
        count = write_mixed_batch(root, small)
        full, noop = [], []
        for number in range(runs):
            out = f"out-{number}"
            full.append(timed_build(root, ["--out", out], count, "built", f"{out}.json"))
            noop.append(timed_build(root, ["--out", out], count, "up to date", f"{out}.json"))
        print(f"full build:     {spread(full)}")
        print(f"no-op rebuild:  {spread(noop)}")
        ratio = median(noop) / median(full)
        print(f"no-op / full: {100 * ratio:.1f}%; {verdict(ratio < 0.05, 'under 5%')}")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    args = workload(__doc__, ("small", 40, 1, "short articles added to the sample topic"),
                    ("runs", 3, 1, "full and no-op builds"))
    main(args.small, args.runs)
