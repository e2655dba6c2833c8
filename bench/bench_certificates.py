"""Benchmark: certificates as one batch document vs one render per attendee.

    python bench/bench_certificates.py [N]        # N attendees, default 100

Works on a temporary copy of the project (the sample topic, a generated
roster of N names in several scripts), so nothing in the checkout changes.
Both approaches make the same verified PDFs from the same roster in the same
run:

* batch: what `leafpress certificates` does: typeset every certificate as one
  WeasyPrint document, then split it into one PDF per attendee with pikepdf;
* one render per attendee: a WeasyPrint document per certificate.

Not a test: pytest only collects tests/.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leafpress.certificates import (REGISTER_NAME, UNTAGGED, Certificate, certificate_html,  # noqa: E402
                                    file_names, load_activity, make_certificates, number_rows, read_roster,
                                    register_csv)
from leafpress.i18n import strings  # noqa: E402
from leafpress.files import write_atomic  # noqa: E402
from leafpress.postprocess import bundled_font_names, verify_pdf  # noqa: E402
from leafpress.project import Project, load_project  # noqa: E402
from leafpress.render import make_environment  # noqa: E402
from leafpress.typeset import forget_parsed_styles, typeset  # noqa: E402

from _common import TOPIC, copy_project  # noqa: E402  (bench/ is on the path)

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


def one_render_per_attendee(project: Project, topic: Path, roster: Path, out_dir: Path) -> int:
    """The same certificates, checks and files, typeset one WeasyPrint document at a time."""
    activity = load_activity(topic)
    rows, _ = read_roster(roster)
    attendees = number_rows(rows, activity.topic, activity.first_date)
    env = make_environment(project.templates_dir)
    allowed = bundled_font_names(project.styles_dir / "fonts")
    sheets = (project.styles_dir / "fonts" / "fonts-world.css", project.styles_dir / "certificate.css")
    word = strings(activity.language)["cert_pdf_title"]
    made = []
    for attendee, name in zip(attendees, file_names(attendees)):
        html = certificate_html(env, project, activity, [attendee], pdf_title=f"{word} — {attendee.name}")
        result = typeset(html, activity.folder, sheets, (project.styles_dir, project.templates_dir),
                         profile=UNTAGGED)
        problems = list(result.warnings) + verify_pdf(result.pdf, allowed)
        assert not problems and result.pages == 1, problems
        write_atomic(out_dir / name, result.pdf)
        made.append(Certificate(attendee, out_dir / name))
    write_atomic(out_dir / REGISTER_NAME, register_csv(made))
    return len(made)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="leafpress-bench-") as temp:
        root = Path(temp)
        copy_project(root)
        roster = root / "attendees.csv"
        roster.write_text(roster_text(count), encoding="utf-8")
        project = load_project(root)
        topic = root / "content" / TOPIC

        # Each side starts with no parsed stylesheets, as a fresh `leafpress certificates` would.
        forget_parsed_styles()
        started = time.perf_counter()
        result = make_certificates(project, topic, roster, root / "batch")
        batch = time.perf_counter() - started
        assert result.ok and len(result.certificates) == count, [str(p) for p in result.problems]

        forget_parsed_styles()
        started = time.perf_counter()
        made = one_render_per_attendee(project, topic, roster, root / "single")
        single = time.perf_counter() - started
        assert made == count

        sizes = [c.path.stat().st_size for c in result.certificates]
        print(f"{count} attendees; batch PDFs {min(sizes) // 1024}-{max(sizes) // 1024} KiB each")
        print(f"batch: {batch:.1f} s, one render per attendee: {single:.1f} s, ratio {single / batch:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
