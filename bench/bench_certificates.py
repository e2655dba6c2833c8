"""Benchmark: certificates of attendance, time per certificate and memory as the roster grows.

    python bench/bench_certificates.py [N]        # N attendees, default 100

Works on a temporary copy of the project (the sample topic, a generated
roster in several scripts), so nothing in the checkout changes. Each
certificate is a WeasyPrint document of its own; the stylesheets and their
110 font files are parsed once per process and shared. Measured in the same
run, each in a fresh process (so the peak memory is its own):

* `leafpress certificates` for N attendees, and for 5 N: the time per
  certificate should not grow with the roster, nor should the memory;
* for N attendees, the same certificates with the stylesheets parsed for each
  one (what a plain WeasyPrint script does): the gain from sharing them.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from _common import PYTHON, TOPIC, copy_project, machine, run

GIVEN = ["María", "José", "Núria", "Jordi", "Lucía", "Álvaro", "Inés", "Françesc", "Ana", "Íñigo", "Carmen",
         "Pau", "Begoña", "Sergio", "Montserrat", "Raúl", "Elena", "Joan", "Marta", "Xavier"]
FAMILY = ["García", "Fernández", "López", "Martínez", "Puig i Vilà", "Gil·li", "Sánchez", "Núñez", "Ibáñez",
          "Pérez", "Gómez", "Ferrer", "Vidal", "Castellà", "Muñoz", "Ortega", "Rodríguez", "Roca"]
# One name in ten is in another script, as in a real Madrid or Barcelona roster.
OTHER = ["محمد عبد الله", "فاطمة الزهراء", "王小明", "李娜", "张伟", "陈静"]

# One process: make the certificates, then print seconds and peak RSS (MB).
MAKE = """
import resource, sys, time
from pathlib import Path
from leafpress.layouts.certificates import make_certificates
from leafpress.project.config import load_project
import leafpress.typeset.engine as typeset
if {fresh_styles!r}:  # parse the stylesheets and load the fonts again for every certificate
    parsed = typeset.parsed_styles
    def parse_every_time(*args, **kwargs):
        typeset.forget_parsed_styles()
        return parsed(*args, **kwargs)
    typeset.parsed_styles = parse_every_time
root = Path.cwd()
started = time.perf_counter()
result = make_certificates(load_project(root), root / "content" / {topic!r}, root / {roster!r}, root / {out!r})
seconds = time.perf_counter() - started
assert result.ok and len(result.certificates) == {count}, [str(p) for p in result.problems]
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def roster_text(count: int) -> str:
    rng = random.Random(20270310)  # the same roster on every run
    lines = ["name,email"]
    for n in range(count):
        name = rng.choice(OTHER) if n % 10 == 9 else f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        lines.append(f"{name},attendee{n}@example.org")
    return "\n".join(lines) + "\n"


def make(root: Path, count: int, fresh_styles: bool = False) -> tuple[float, float]:
    roster = f"roster-{count}.csv"
    (root / roster).write_text(roster_text(count), encoding="utf-8")
    code = MAKE.format(fresh_styles=fresh_styles, topic=TOPIC, roster=roster, count=count,
                       out=f"out-{count}-{'fresh' if fresh_styles else 'shared'}")
    _, done = run([PYTHON, "-c", code], root)
    seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="leafpress-bench-") as temp:
        root = Path(temp)
        copy_project(root)
        print(f"machine: {machine()}")
        small, small_peak = make(root, count)
        large, large_peak = make(root, 5 * count)
        fresh, _ = make(root, count, fresh_styles=True)
        print(f"{count:4d} attendees: {small:5.1f} s, {1000 * small / count:3.0f} ms each, peak RSS {small_peak:.0f} MB")
        print(f"{5 * count:4d} attendees: {large:5.1f} s, {1000 * large / (5 * count):3.0f} ms each, "
              f"peak RSS {large_peak:.0f} MB")
        print(f"time per certificate, {5 * count} vs {count}: {large / small / 5:.2f}x; "
              f"peak memory: {large_peak / small_peak:.2f}x")
        print(f"{count} attendees with the stylesheets parsed for each certificate: {fresh:.1f} s, "
              f"{fresh / small:.1f}x the time with them shared")
        print(f"machine after: {machine()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
