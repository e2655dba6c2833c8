"""Benchmark: the full build of the sample topic, optionally against an older checkout.

    python bench/bench_full_build.py [--runs N] [--baseline REV]     # N runs each, default 5
    python bench/bench_full_build.py --baseline c9e8471              # against the code before the redesign
    python bench/bench_full_build.py --baseline c9e8471 --jobs 1     # each side's whole work, one target at a time

Works on a temporary copy of the project with the sample topic only (its nine
targets: article, summary, CPD handout and six patient leaflets). Each run is
a whole `leafpress build --force` process with the default --jobs, wall
clock, after one untimed build; the median of N runs is printed.

With --baseline REV, the same is done in the same run for the code of git
revision REV: a `git worktree` of REV in a temporary folder, its own copy of
the project (leafpress.yaml, templates/ and styles/ of REV, the sample topic
of REV), and its `leafpress` command run by this Python with PYTHONPATH set
to the worktree, so that the old package is the one imported (checked before
timing). Runs of the two alternate, so a change in the machine's load falls
on both. Both medians and their ratio are printed; the worktree is removed
afterwards. Both sides use this Python and its installed dependencies.

--smoke: one run each, no untimed build, and the baseline defaults to HEAD,
so that `make bench-smoke` exercises the worktree too.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from _common import (
    LEAFPRESS,
    PYTHON,
    ROOT,
    code_under_test,
    git,
    machine,
    median,
    run,
    spread,
    temporary_project,
    timed_build,
)

TARGETS = 9  # the sample topic: article, summary, cpd, and patient leaflets in two languages and three layouts


@contextmanager
def worktree(revision: str) -> Iterator[tuple[Path, str]]:
    """A detached `git worktree` of ``revision`` in a temporary folder, removed afterwards; and its commit."""
    commit = git(["rev-parse", "--verify", f"{revision}^{{commit}}"], ROOT)
    with tempfile.TemporaryDirectory(prefix="leafpress-baseline-") as temp:
        path = Path(temp) / "checkout"
        git(["worktree", "add", "--detach", str(path), commit], ROOT)
        try:
            yield path, commit
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def checkout_command(checkout: Path) -> list[str]:
    """The `leafpress` command of an old checkout, for this Python with PYTHONPATH set to that checkout.

    `python -m leafpress` where the checkout has leafpress/__main__.py, else the
    console script's entry point from its pyproject.toml, called as the script does.
    """
    if (checkout / "leafpress" / "__main__.py").is_file():
        return [PYTHON, "-m", "leafpress"]
    scripts = tomllib.loads((checkout / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, function = scripts["leafpress"].split(":")
    return [PYTHON, "-c", f"import sys; from {module} import {function}; sys.argv[0] = 'leafpress'; "
                          f"sys.exit({function}())"]


def checkout_env(checkout: Path) -> dict[str, str]:
    """This environment with PYTHONPATH set to ``checkout`` alone: its package shadows the installed one."""
    return {**os.environ, "PYTHONPATH": str(checkout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0], epilog="See bench/README.md.")
    parser.add_argument("--runs", type=int, help="timed builds of each side (default 5; 1 with --smoke)")
    parser.add_argument("--baseline", metavar="REV", help="also time the checkout of this git revision "
                        "(default: none; HEAD with --smoke)")
    parser.add_argument("--jobs", type=int, help="--jobs for every build (default: leafpress's, one per CPU); "
                        "--jobs 1 shows each side's total work without the parallel schedule")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny workload, once end to end: checks that the benchmark runs; figures mean nothing")
    args = parser.parse_args()
    runs = args.runs or (1 if args.smoke else 5)
    options = ["--force", *(["--jobs", str(args.jobs)] if args.jobs else [])]
    jobs = f"--jobs {args.jobs}" if args.jobs else "default --jobs"
    baseline = args.baseline or ("HEAD" if args.smoke else None)
    if args.smoke:
        print("SMOKE RUN (a tiny workload): the figures below mean nothing")
    print(f"code: {code_under_test()}")
    with ExitStack() as stack:
        # name: (project folder, leafpress command, environment)
        sides: dict[str, tuple[Path, list[str], dict[str, str] | None]] = {
            "current": (stack.enter_context(temporary_project()), LEAFPRESS, None)}
        if baseline:
            checkout, commit = stack.enter_context(worktree(baseline))
            old_root = stack.enter_context(temporary_project(source=checkout))
            env = checkout_env(checkout)
            command = checkout_command(checkout)
            _, done = run([PYTHON, "-c", "import leafpress; print(leafpress.__file__)"], old_root, env=env)
            if not Path(done.stdout.strip()).resolve().is_relative_to(checkout.resolve()):
                raise SystemExit(f"the baseline imports leafpress from {done.stdout.strip()}, not from {checkout}")
            print(f"baseline: {baseline} = commit {commit[:12]}, its leafpress command run by this Python "
                  f"with PYTHONPATH={checkout}")
            sides["baseline"] = (old_root, command, env)

        print(f"machine: {machine()}")
        print(f"{TARGETS} targets, the sample topic: `leafpress build --force`, {jobs}, whole processes")
        if not args.smoke:  # untimed: the outputs exist, the disk caches are warm
            for root, command, env in sides.values():
                timed_build(root, options, TARGETS, command=command, env=env)
        times: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(runs):
            for name, (root, command, env) in sides.items():
                times[name].append(timed_build(root, options, TARGETS, command=command, env=env))
        for name, values in times.items():
            print(f"{name + ':':<10} {spread(values)}")
        if "baseline" in times:
            ratio = median(times["current"]) / median(times["baseline"])
            print(f"current / baseline ({baseline}): {ratio:.3f}, "
                  f"{'faster' if ratio < 1 else 'slower'} by {100 * abs(ratio - 1):.1f}%")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
