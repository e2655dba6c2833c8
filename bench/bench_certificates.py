"""Benchmark: certificates of attendance, time per certificate and memory as the roster grows.

    python bench/bench_certificates.py [N]        # N attendees, default 100
    python bench/bench_certificates.py --smoke    # 2 attendees: checks that it runs

Works on a temporary copy of the project (the sample topic, a generated
roster in several scripts), so nothing in the checkout changes. Each
certificate is a WeasyPrint document of its own; the stylesheets and their
110 font files are parsed once per process and shared. Each measurement is a
whole `leafpress certificates` process, wall clock, with its peak resident
memory (from wait4), in the same run:

* one attendee: what every command pays once (imports, the project, parsing
  the stylesheets and loading the fonts, one certificate);
* N attendees, and 5 N: the time per certificate beyond the first, (T - T1) /
  (attendees - 1), should not grow with the roster, nor should the memory;
* N attendees with the stylesheets parsed again for each certificate (what a
  plain WeasyPrint script does): the gain from sharing them. That process
  runs the same command after replacing the typesetter's stylesheet cache
  (_common.PARSE_STYLES_EVERY_TIME, the one private hook the benchmark needs).

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import random
from pathlib import Path

from _common import (
    LEAFPRESS,
    PARSE_STYLES_EVERY_TIME,
    PYTHON,
    TOPIC,
    command_code,
    machine,
    run,
    temporary_project,
    workload,
)

GIVEN = ["María", "José", "Núria", "Jordi", "Lucía", "Álvaro", "Inés", "Françesc", "Ana", "Íñigo", "Carmen",
         "Pau", "Begoña", "Sergio", "Montserrat", "Raúl", "Elena", "Joan", "Marta", "Xavier"]
FAMILY = ["García", "Fernández", "López", "Martínez", "Puig i Vilà", "Gil·li", "Sánchez", "Núñez", "Ibáñez",
          "Pérez", "Gómez", "Ferrer", "Vidal", "Castellà", "Muñoz", "Ortega", "Rodríguez", "Roca"]
# One name in ten is in another script, as in a real Madrid or Barcelona roster.
OTHER = ["محمد عبد الله", "فاطمة الزهراء", "王小明", "李娜", "张伟", "陈静"]


def roster_text(count: int) -> str:
    rng = random.Random(20270310)  # the same roster on every run
    lines = ["name,email"]
    for n in range(count):
        name = rng.choice(OTHER) if n % 10 == 9 else f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        lines.append(f"{name},attendee{n}@example.org")
    return "\n".join(lines) + "\n"


def make(root: Path, count: int, fresh_styles: bool = False, combined: bool = False) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `leafpress certificates` process for ``count`` attendees
    (with ``--combined``: also certificates.pdf, which must be made)."""
    roster = f"roster-{count}.csv"
    (root / roster).write_text(roster_text(count), encoding="utf-8")
    out = root / f"out-{count}-{'fresh' if fresh_styles else 'shared'}{'-combined' if combined else ''}"
    args = ["certificates", f"content/{TOPIC}", "--roster", roster, "--out", str(out)]
    args += ["--combined"] if combined else []
    command = [PYTHON, "-c", PARSE_STYLES_EVERY_TIME + command_code(args)] if fresh_styles else LEAFPRESS + args
    seconds, done = run(command, root)
    made = len(list(out.glob("*.pdf"))) - (1 if combined else 0)  # certificates.pdf
    if made != count or (combined and not (out / "certificates.pdf").is_file()):
        raise SystemExit(f"{made} certificates made for {count} attendees:\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, done.peak_mb


def main(count: int) -> None:
    if count < 2:
        raise SystemExit("N must be at least 2")
    with temporary_project() as root:
        print(f"machine: {machine()}")
        one, one_peak = make(root, 1)
        small, small_peak = make(root, count)
        large, large_peak = make(root, 5 * count)
        fresh, fresh_peak = make(root, count, fresh_styles=True)

        def each(seconds: float, attendees: int) -> float:
            return 1000 * (seconds - one) / (attendees - 1)

        print("`leafpress certificates`, whole processes; 'each': (T - T1) / (attendees - 1)")
        print(f"{1:4d} attendee:  {one:5.1f} s (T1), peak RSS {one_peak:.0f} MB")
        print(f"{count:4d} attendees: {small:5.1f} s, {each(small, count):3.0f} ms each, peak RSS {small_peak:.0f} MB")
        print(f"{5 * count:4d} attendees: {large:5.1f} s, {each(large, 5 * count):3.0f} ms each, "
              f"peak RSS {large_peak:.0f} MB")
        print(f"time per certificate, {5 * count} vs {count}: {each(large, 5 * count) / each(small, count):.2f}x; "
              f"peak memory: {large_peak / small_peak:.2f}x")
        print(f"{count} attendees with the stylesheets parsed for each certificate: {fresh:.1f} s, "
              f"{each(fresh, count):3.0f} ms each, peak RSS {fresh_peak:.0f} MB: "
              f"{each(fresh, count) / each(small, count):.1f}x the time per certificate with them shared")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    main(workload(__doc__, ("count", 100, 2, "attendees")).count)
