"""Shared by the benchmarks: a temporary copy of the project, timing, commands, verdicts.

Not a benchmark itself and not a test (pytest only collects tests/).

The benchmarks measure leafpress as a user gets it: the installed package
(run them with the project's Python, ``.venv/bin/python``, where it is
installed in editable mode), through its public API only, that is the names
in ``leafpress.__all__`` and the ``leafpress`` command. They never put the
checkout on ``sys.path`` or ``PYTHONPATH``. What the public API does not
offer is in the section "What the public API lacks" below, and nowhere else.
(bench_full_build.py's ``--baseline`` runs an older checkout with
``PYTHONPATH`` set to it: that old code is what it measures.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

try:
    import leafpress
except ImportError:  # pragma: no cover - a message, not a traceback
    raise SystemExit("leafpress is not installed for this Python: run the benchmarks with the project's Python, "
                     "for example .venv/bin/python bench/bench_noop.py (make build installs it)") from None

# The checkout: only its data (leafpress.yaml, templates/, styles/, content/) is
# copied into each temporary project; the code under test is the installed package.
ROOT = Path(__file__).resolve().parent.parent
TOPIC = "ketamine-neuropathic-pain"
PYTHON = sys.executable


def leafpress_command() -> list[str]:
    """The `leafpress` command of the Python running the benchmark: ``python -m leafpress``, or its script."""
    if importlib.util.find_spec("leafpress.__main__") is not None:
        return [PYTHON, "-m", "leafpress"]
    script = Path(PYTHON).parent / "leafpress"
    if not script.is_file():
        raise SystemExit(f"no `leafpress` command: neither `python -m leafpress` nor {script} exists")
    return [str(script)]


LEAFPRESS = leafpress_command()


def command_code(args: list[str]) -> str:
    """Python code that runs `leafpress ARGS` in its own process, as the command does: for `python -c`."""
    if LEAFPRESS[1:] == ["-m", "leafpress"]:
        return (f"import runpy, sys\nsys.argv = ['leafpress', *{args!r}]\n"
                "runpy.run_module('leafpress', run_name='__main__', alter_sys=True)\n")
    return (f"import runpy, sys\nsys.argv = [{LEAFPRESS[0]!r}, *{args!r}]\n"
            f"runpy.run_path({LEAFPRESS[0]!r}, run_name='__main__')\n")


def weasyprint_command() -> list[str]:
    """The `weasyprint` command line of the Python running the benchmark."""
    script = Path(PYTHON).parent / "weasyprint"
    return [str(script)] if script.is_file() else [PYTHON, "-m", "weasyprint"]


def code_under_test() -> str:
    """Where the leafpress being measured comes from, and the checkout's commit, printed with every result."""
    package = Path(leafpress.__file__).resolve().parent
    where = f"leafpress {leafpress.__version__} from {package}"
    try:
        top = Path(git(["rev-parse", "--show-toplevel"], package))
        commit = git(["rev-parse", "--short", "HEAD"], top)
        dirty = git(["status", "--porcelain", "--", str(package)], top)
    except (OSError, subprocess.CalledProcessError):
        return where
    return f"{where} (commit {commit}{', with uncommitted changes in leafpress/' if dirty else ''})"


def git(args: list[str], cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def workload(doc: str | None, *params: tuple[str, int, int, str]) -> argparse.Namespace:
    """The command line of a benchmark: optional whole numbers, each ``(name, default, smoke, help)``, and --smoke.

    --smoke gives every number its tiny value: the benchmark runs once, end to
    end, in seconds (`make bench-smoke`, in CI), so a change that breaks it is
    noticed. Its figures mean nothing.
    """
    parser = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0],
                                     epilog="See bench/README.md.")
    for name, default, smoke, text in params:
        parser.add_argument(name, nargs="?", type=int, help=f"{text} (default {default}; {smoke} with --smoke)")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny workload, once end to end: checks that the benchmark runs; figures mean nothing")
    args = parser.parse_args()
    for name, default, smoke, _ in params:
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else default)
    if args.smoke:
        print("SMOKE RUN (a tiny workload): the figures below mean nothing")
    print(f"code: {code_under_test()}")
    return args


def copy_project(root: Path, topics: tuple[str, ...] = (TOPIC,), source: Path = ROOT) -> None:
    """The config, templates and styles of the checkout ``source``, and the given topics, into ``root``."""
    for name in ("leafpress.yaml", "templates", "styles"):
        path = source / name
        (shutil.copytree if path.is_dir() else shutil.copy)(path, root / name)
    for topic in topics:
        shutil.copytree(source / "content" / topic, root / "content" / topic)


@contextmanager
def temporary_project(topics: tuple[str, ...] = (TOPIC,), source: Path = ROOT) -> Iterator[Path]:
    """A throw-away copy of the project, so nothing in the checkout changes."""
    with tempfile.TemporaryDirectory(prefix="leafpress-bench-") as temp:
        root = Path(temp)
        copy_project(root, topics, source)
        yield root


class Done(subprocess.CompletedProcess):
    """A finished process, with its peak resident memory in MB (its own or a child's, the larger)."""

    peak_mb: float = 0.0


def run(command: list[str], cwd: Path, check: bool = True,
        env: dict[str, str] | None = None) -> tuple[float, Done]:
    """Run a whole process; return its wall-clock seconds and the finished process (output, peak memory)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = Done(command, process.returncode, out.read().decode("utf-8", "replace"),
                    err.read().decode("utf-8", "replace"))
    done.peak_mb = usage.ru_maxrss / 1024
    if check and done.returncode != 0:
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(command)}\n"
                         f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds, done


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """'median 1.23 s (min 1.20, max 1.31, n=7)'"""
    return f"median {median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def machine() -> str:
    """CPUs and load average, printed with every result: the cores may be shared."""
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


def verdict(met: bool, goal: str) -> str:
    return f"goal {goal}: {'met' if met else 'MISSED'}"


# Small topics for the batch benchmarks: a short article (one or two pages)
# with two references, a footnote and a small table, as a clinic writes them.
DRUGS = ["Gabapentin", "Pregabalin", "Duloxetine", "Amitriptyline", "Lidocaine plasters", "Capsaicin patches",
         "Tramadol", "Venlafaxine", "Carbamazepine", "Botulinum toxin"]
CONDITIONS = ["diabetic neuropathy", "post-herpetic neuralgia", "trigeminal neuralgia", "chemotherapy-induced "
              "neuropathy"]
SMALL_REFERENCES = ("sigtermans2009", "guimaraes2022")

SMALL_ARTICLE = """---
title: {drug} for {condition}
short_title: {drug}
language: en
audience: professionals
audience_notice: This document is written for healthcare professionals practising in Spain who are authorised \
to prescribe or dispense medicines.
summary: A short briefing on {drug_lower} for {condition}, its evidence and its risks.
authors:
  - name: Dr Example Author {number}
    role: Author
reviewers:
  - name: Clínica Synaptica
    role: Reviewed and approved
publisher: Clínica Synaptica
version: "1.{number}"
published: 2026-11-25
review_date: 2028-11-25
keywords: [{drug_lower}, {condition}]
references: references.json
---

## Background

{condition_cap} is a common cause of chronic neuropathic pain, and many patients do not respond to first-line \
analgesics. This briefing ({number} of the series) summarises what is known about {drug_lower} in this setting \
and how it compares with ketamine infusions, which have been studied in the most refractory cases \
[@sigtermans2009].

## Evidence

Randomised trials are small and heterogeneous, and pooled estimates carry low certainty [@guimaraes2022]. The \
benefit, where present, is modest and may fade over weeks.[^certainty] Treatment should be reviewed after a \
defined trial period, and stopped when it does not help.

Table 1. What to check before and during treatment with {drug_lower}.

| Check | When | Why |
|---|---|---|
| Renal function | Before starting | Dose adjustment |
| Pain score (NRS 0–10) | Every visit | Response |
| Adverse effects | Every visit | Tolerability [@guimaraes2022] |

## Practical points

Agree goals with the patient before starting, record a baseline pain score, and review the effect and the \
adverse effects at each visit [@sigtermans2009; @guimaraes2022].

[^certainty]: Low certainty under GRADE means that the true effect may be substantially different from the \
estimate.
"""


def write_small_topics(root: Path, count: int) -> list[str]:
    """``count`` topics of one short article each under root/content; returns their folder names."""
    references = json.loads((ROOT / "content" / TOPIC / "references.json").read_text(encoding="utf-8"))
    chosen = [r for r in references if r["id"] in SMALL_REFERENCES]
    names = []
    for number in range(1, count + 1):
        drug = DRUGS[(number - 1) % len(DRUGS)]
        condition = CONDITIONS[(number - 1) // len(DRUGS) % len(CONDITIONS)]
        name = f"topic-{number:03d}"
        folder = root / "content" / name
        folder.mkdir(parents=True)
        (folder / "article.md").write_text(SMALL_ARTICLE.format(
            drug=drug, drug_lower=drug.lower(), condition=condition, condition_cap=condition.capitalize(),
            number=number), encoding="utf-8")
        (folder / "references.json").write_text(json.dumps(chosen, indent=1, ensure_ascii=False), encoding="utf-8")
        names.append(name)
    return names


def read_report(path: Path) -> list[dict]:
    """The targets of a `leafpress build --report` file."""
    return json.loads(path.read_text(encoding="utf-8"))["targets"]


def timed_build(root: Path, args: list[str], count: int, status: str = "built",
                report: str = "report.json", command: list[str] | None = None,
                env: dict[str, str] | None = None) -> float:
    """Seconds of one whole `leafpress build ARGS` process; its report must list ``count`` targets, all ``status``."""
    seconds, _ = run((command or LEAFPRESS) + ["build", *args, "--report", report], root, env=env)
    targets = read_report(root / report)
    if len(targets) != count or any(t["status"] != status for t in targets):
        raise SystemExit(f"expected {count} targets {status!r}, got "
                         f"{[(t.get('source'), t.get('layout'), t['status']) for t in targets]}")
    return seconds


def write_mixed_batch(root: Path, small: int) -> int:
    """The sample topic plus ``small`` short articles under ``root``; returns how many targets a build plans."""
    from leafpress import load_project, plan

    write_small_topics(root, small)
    count = len(plan(load_project(root), []))
    print(f"{count} targets: the sample topic's {count - small} and {small} short articles")
    return count


# --- What the public API lacks ----------------------------------------------
#
# The only place the benchmarks reach past leafpress.__all__ and the command
# line; no other file in bench/ names a private module.


@dataclass(frozen=True)
class WeasyPrintInputs:
    """What leafpress gives WeasyPrint for one document: "WeasyPrint alone" in bench_overhead and bench_batch."""

    html: str
    base_url: str
    stylesheets: tuple[Path, ...]  # the layout's stylesheets, as the project resolves them (its own or the theme's)
    extra_css: str  # the page rules the layout adds on top of them ("" if none)


def weasyprint_inputs(project, source: Path, layout_name: str) -> WeasyPrintInputs:
    """The HTML and stylesheets leafpress typesets ``source`` (a topic's Markdown file) with, in a layout.

    Public API only (plan, Session, render_target), but the list of stylesheets
    repeats what leafpress.pipeline does before typesetting; a public function
    giving a target's stylesheets would keep the two from drifting apart.
    """
    [target] = leafpress.plan(project, [source], [layout_name])
    rendered = leafpress.render_target(leafpress.Session(project, project.output_dir), target)
    if rendered.html is None:
        raise SystemExit("\n".join(map(str, rendered.problems)))
    layout = target.layout
    return WeasyPrintInputs(rendered.html, source.parent.as_uri() + "/",
                            tuple(project.stylesheet(name) for name in layout.stylesheets), layout.page_css())


# bench_certificates.py's comparison "the stylesheets parsed for every
# certificate" replaces a module global of the typesetter in its own process, so
# no export can stand in for it: code run in that process before the command.
TYPESETTER = "leafpress.typeset.engine"
PARSE_STYLES_EVERY_TIME = f"""
import importlib
typeset = importlib.import_module({TYPESETTER!r})
parsed = typeset.parsed_styles
def parse_every_time(*args, **kwargs):
    typeset.forget_parsed_styles()
    return parsed(*args, **kwargs)
typeset.parsed_styles = parse_every_time
"""


# bench_preflight.py times the preflight on its own, on the PDFs a build wrote:
# the build's preflight runs inside build_target with nothing to time it by.
def preflight_function():
    """leafpress.finish.preflight.preflight (its rules come from leafpress.pipeline.preflight_rules)."""
    module = importlib.import_module("leafpress.finish.preflight")
    return module.preflight
