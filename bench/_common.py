"""Shared by the benchmarks: a temporary copy of the project, timing, commands, verdicts.

Not a benchmark itself and not a test (pytest only collects tests/).
"""

from __future__ import annotations

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "ketamine-neuropathic-pain"
PYTHON = sys.executable
# `python build.py` is the same command as `leafpress` (README), and runs this checkout.
LEAFPRESS = [PYTHON, str(ROOT / "build.py")]


def weasyprint_command() -> list[str]:
    """The `weasyprint` command line of the Python running the benchmark."""
    script = Path(PYTHON).parent / "weasyprint"
    return [str(script)] if script.is_file() else [PYTHON, "-m", "weasyprint"]


def copy_project(root: Path, topics: tuple[str, ...] = (TOPIC,)) -> None:
    """The project's config, templates and styles, and the given topics, into ``root``."""
    for name in ("leafpress.yaml", "templates", "styles"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    for topic in topics:
        shutil.copytree(ROOT / "content" / topic, root / "content" / topic)


@contextmanager
def temporary_project(topics: tuple[str, ...] = (TOPIC,)) -> Iterator[Path]:
    """A throw-away copy of the project, so nothing in the checkout changes."""
    with tempfile.TemporaryDirectory(prefix="leafpress-bench-") as temp:
        root = Path(temp)
        copy_project(root, topics)
        yield root


def child_env() -> dict[str, str]:
    """Environment for child processes: this checkout's leafpress first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def run(command: list[str], cwd: Path, check: bool = True) -> tuple[float, subprocess.CompletedProcess]:
    """Run a whole process; return its wall-clock seconds and the completed process."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - started
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
                report: str = "report.json") -> float:
    """Seconds of one whole `leafpress build ARGS` process; its report must list ``count`` targets, all ``status``."""
    seconds, _ = run(LEAFPRESS + ["build", *args, "--report", report], root)
    targets = read_report(root / report)
    assert len(targets) == count and all(t["status"] == status for t in targets), targets
    return seconds


def write_mixed_batch(root: Path, small: int) -> int:
    """The sample topic plus ``small`` short articles under ``root``; returns how many targets a build plans."""
    write_small_topics(root, small)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from leafpress.planning import plan
    from leafpress.project.config import load_project

    count = len(plan(load_project(root), []))
    print(f"{count} targets: the sample topic's {count - small} and {small} short articles")
    return count
