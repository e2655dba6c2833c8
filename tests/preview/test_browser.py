"""The live preview in a real headless browser: Debian's chromium, driven by Playwright.

Not part of `make test`: run `make test-preview`, which installs chromium and
Playwright first (Playwright never downloads a browser here; it drives
/usr/bin/chromium). Without them these tests are skipped, unless
LEAFPRESS_REQUIRE_BROWSER is set (as `make test-preview` sets it): then they fail.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RELOAD_TIMEOUT_MS = 15_000


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("LEAFPRESS_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    _need(os.path.exists(chromium), "Debian's chromium is not installed (make test-preview installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "Playwright is not installed (make test-preview installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def addressed(project):
    """An address (of no real place), so that leafpress.yaml has no warning for every page's problems box."""
    config = project.root / "leafpress.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("address: []", "address: [1 Test Street]"),
                      encoding="utf-8")


class Watcher:
    """`leafpress watch` in its own process group, as a user runs it in a terminal."""

    def __init__(self, cwd, *args: str):
        code = "import sys; from leafpress.runner.preview import watch; watch(sys.argv[1:])"
        self.process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(stream, kept), daemon=True)
                        for stream, kept in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, kept: list[str]) -> None:
        for line in stream:
            kept.append(line)
            self.lines.put(line)

    def wait_for(self, start: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if line.startswith(start):
                return line
        raise AssertionError(f"no line starting {start!r}; stdout:\n{''.join(self.out)}\nstderr:\n{''.join(self.err)}")

    def content_problems(self, timeout: float = 10, count: int = 0) -> list[str]:
        """The problems in content/ printed so far, once there are ``count`` of them (or after ``timeout``).

        stdout and stderr are read apart, so a line on stdout may be seen before
        the problems printed ahead of it on stderr.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [line.rstrip("\n") for line in self.err if line.startswith("content/")]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def interrupt(self) -> int:
        """Ctrl-C, as the terminal sends it: SIGINT to the whole process group.

        Returns the exit code once the process is gone and all it printed was read.
        """
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=20)
        for reader in self.readers:
            reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


PROBLEMS = "#leafpress-problems"
TITLE_ERROR = ("content/topic/article.md:2: error: 'title' must be text, not a yes/no value; "
               'put it in quotes: title: "no"')
SCRIPT_WARNING = "HTML element <script> is not allowed in a leaflet: it was removed with its content"


def test_preview_reloads_after_a_save_and_shows_errors(project, browser):
    from playwright.sync_api import expect

    article = project.topic(body="## Background\n\nThe first version of the text [@smith2020; @jones2021].\n",
                            title="Browser preview topic")
    watcher = Watcher(project.root, "--port", "0", "--layout", "article")
    try:
        url = watcher.wait_for("Preview: ").split()[1]
        assert url.startswith("http://127.0.0.1:")
        watcher.wait_for("Watching ")
        assert (project.root / "output" / "topic" / "article.en.pdf").is_file()

        page = browser.new_page()
        page.goto(url)
        page.click("text=topic/article")
        page.wait_for_url(url + "preview/topic/article")
        # The pages are the default view; the HTML view is a click away, and back.
        page.click("#leafpress-bar >> text=HTML view")
        page.wait_for_url(url + "preview/topic/article?view=html")
        assert page.locator("#leafpress-html-bar a").get_attribute("href") == "/preview/topic/article"
        assert page.locator("h1").inner_text() == "Browser preview topic"
        assert "The first version of the text" in page.inner_text("main")
        # The print stylesheets apply, with the bundled fonts served to the browser.
        assert "Source Sans 3" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('700 24pt \"Source Sans 3\"'))")
        assert page.evaluate("[...document.fonts].some(f => f.family.includes('Source Sans 3') "
                             "&& f.status === 'loaded')")
        # A clean build: no problems, so no box.
        assert page.locator(PROBLEMS).count() == 0
        assert watcher.content_problems(timeout=0) == []

        # A save: the page reloads by itself (the marker is gone) and shows the new text.
        # The page's Content-Security-Policy is left on, so this also shows the
        # reload script works under it.
        page.evaluate("window.leafpressMarker = 'before the save'")
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("The first version", "A second version"), encoding="utf-8")
        expect(page.locator("main")).to_contain_text("A second version of the text", timeout=RELOAD_TIMEOUT_MS)
        assert page.evaluate("window.leafpressMarker") is None
        watcher.wait_for("built  topic/article ->", timeout=30)

        # An error: it shows at the top of the page, with file and line, open (not folded).
        article.write_text(text.replace("title: Browser preview topic", "title: no"), encoding="utf-8")
        problems = page.locator(PROBLEMS)
        problems.wait_for(timeout=RELOAD_TIMEOUT_MS)
        assert TITLE_ERROR in problems.inner_text()
        assert problems.get_attribute("role") == "alert"
        assert problems.is_visible()
        watcher.wait_for("FAILED topic/article", timeout=30)
        assert watcher.content_problems(count=1) == [TITLE_ERROR]

        # Fixed again: the box goes away by itself.
        article.write_text(text, encoding="utf-8")
        expect(page.locator("main")).to_contain_text("The first version of the text", timeout=RELOAD_TIMEOUT_MS)
        expect(page.locator(PROBLEMS)).to_have_count(0)

        # Ctrl-C while the page is still open (its event stream connected).
        assert watcher.interrupt() == 0
        page.close()
        assert "Stopped." in "".join(watcher.out)
        assert "Traceback" not in "".join(watcher.err), "".join(watcher.err)
        # Everything it printed about the content, the whole time: the one error.
        assert watcher.content_problems(timeout=0) == [TITLE_ERROR]
    finally:
        watcher.kill()


# Appends a script without the page's nonce, inline and from the topic's folder,
# and resolves with the Content-Security-Policy violations it caused.
INSERT_SCRIPTS = """() => new Promise(resolve => {
  const blocked = [];
  document.addEventListener("securitypolicyviolation", event => {
    blocked.push([event.violatedDirective, event.blockedURI]);
    if (blocked.length === 2) resolve(blocked);
  });
  setTimeout(() => resolve(blocked), 5000);
  const inline = document.createElement("script");
  inline.textContent = "window.leafpressInline = true;";
  document.body.append(inline);
  const file = document.createElement("script");
  file.src = "topic.js";
  document.body.append(file);
})"""


def test_scripts_in_the_content_never_run_in_the_preview(project, browser):
    article = project.topic(body="## Background\n\nThe text around the scripts [@smith2020; @jones2021].\n\n"
                                 "<script>window.leafpressInline = true;</script>\n"
                                 '<script src="topic.js"></script>\n',
                            title="Browser preview topic")
    (article.parent / "topic.js").write_text("window.leafpressFile = true;\n", encoding="utf-8")
    lines = article.read_text(encoding="utf-8").splitlines()
    first_script = lines.index("<script>window.leafpressInline = true;</script>") + 1
    # One warning for both elements, at the first; the PDF is made without them.
    warning = f"content/topic/article.md:{first_script}: warning: {SCRIPT_WARNING}"
    watcher = Watcher(project.root, "--port", "0", "--layout", "article")
    try:
        url = watcher.wait_for("Preview: ").split()[1]
        watcher.wait_for("Watching ")
        assert watcher.content_problems(count=1) == [warning]
        assert (project.root / "output" / "topic" / "article.en.pdf").is_file()

        page = browser.new_page()
        page.goto(url)
        assert "topic/article (built, 1 page, 1 warning)" in page.inner_text("body")
        page.goto(url + "preview/topic/article?view=html")
        assert "The text around the scripts" in page.inner_text("main")

        # The sanitiser removed both scripts, and the page says so: a warning alone
        # is folded under its summary line, not an alert.
        problems = page.locator(PROBLEMS)
        assert problems.evaluate("box => box.tagName") == "DETAILS"
        assert problems.get_attribute("role") is None
        assert problems.locator("summary").inner_text() == "leafpress: 0 errors, 1 warning"
        assert problems.locator("li").all_text_contents() == [warning]
        # The only script left is the reload script, and the content's did not run.
        assert page.eval_on_selector_all("script", "all => all.map(s => s.getAttribute('src'))") \
            == ["/_leafpress/reload.js"]
        assert page.evaluate("[window.leafpressInline, window.leafpressFile]") == [None, None]

        # Should a script ever get past the sanitiser, the Content-Security-Policy
        # stops it: only the reload script carries the nonce. topic.js is served
        # (it is a file of the topic), so it is the policy that blocks it.
        assert page.request.get(url + "preview/topic/topic.js").text() == "window.leafpressFile = true;\n"
        blocked = page.evaluate(INSERT_SCRIPTS)
        assert sorted(blocked) == [["script-src-elem", url + "preview/topic/topic.js"],
                                   ["script-src-elem", "inline"]]
        assert page.evaluate("[window.leafpressInline, window.leafpressFile]") == [None, None]

        assert watcher.interrupt() == 0
        page.close()
        assert "Stopped." in "".join(watcher.out)
        assert "Traceback" not in "".join(watcher.err), "".join(watcher.err)
        assert watcher.content_problems(timeout=0) == [warning]  # once: nothing was saved since
    finally:
        watcher.kill()


# Not medical content: filler for a leaflet of several pages, and a summary too long for its one page.
FILLER = "".join(f"## Part {n}\n\n" + "Filler words for a layout test, not medical content. " * 40
                 + "[@smith2020]\n\n" for n in range(1, 7))
LONG_SUMMARY = "max_pages: 1\nkey_points:\n" + "".join(
    f"  - Point {n} of a layout test, not medical content, " + "words " * 60 + "[@smith2020]\n" for n in range(8)) + \
    "safety:\n  - A safety point of the test [@jones2021].\n"
A4_CSS_PX = (210 * 96 / 25.4, 297 * 96 / 25.4)  # an A4 page at 100% zoom: 793.7 x 1122.5 CSS pixels


def test_pages_view_shows_the_pdf_keeps_the_place_and_marks_a_summary_over_its_limit(project, browser, tmp_path):
    import pikepdf
    from playwright.sync_api import expect

    from conftest import EVIDENCE, add_data

    article = project.topic(body="The first version of the text [@smith2020; @jones2021].\n\n" + FILLER,
                            title="Browser preview topic", url="https://example.org/topic")
    add_data(article, evidence=EVIDENCE, summary=LONG_SUMMARY, cpd=None)
    watcher = Watcher(project.root, "--port", "0", "--layout", "article", "--layout", "summary")
    try:
        url = watcher.wait_for("Preview: ").split()[1]
        watcher.wait_for("Watching ")
        with pikepdf.open(project.root / "output" / "topic" / "article.en.pdf") as pdf:
            count = len(pdf.pages)
        assert count >= 3

        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url)
        page.click("text=topic/article")
        page.wait_for_url(url + "preview/topic/article")
        # Every page, loaded, at its printed size, with its number and the count.
        pages = page.locator("#leafpress-pages figure")
        expect(pages).to_have_count(count)
        assert page.locator("figcaption").all_inner_texts() == [f"Page {n} of {count}" for n in range(1, count + 1)]
        page.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
        sizes = page.eval_on_selector_all("#leafpress-pages img",
                                          "all => all.map(image => image.getBoundingClientRect())"
                                          ".map(box => [box.width, box.height])")
        assert all(abs(w - A4_CSS_PX[0]) < 0.5 and abs(h - A4_CSS_PX[1]) < 0.5 for w, h in sizes), sizes
        assert page.locator("#leafpress-current").inner_text() == f"Page 1 of {count}"
        pdf_link = page.locator("#leafpress-bar a", has_text="PDF: article.en.pdf")
        assert pdf_link.get_attribute("href") == "/output/topic/article.en.pdf"
        response = page.request.get(url + "output/topic/article.en.pdf")
        assert response.headers["content-type"] == "application/pdf"
        assert response.body() == (project.root / "output" / "topic" / "article.en.pdf").read_bytes()
        page.screenshot(path=str(tmp_path / "pages.png"))

        # The reader is on page 3 when a save rebuilds the PDF: the page reloads (the marker is gone,
        # the images are new) and they are still on page 3, at the same place.
        page.evaluate("document.getElementById('page-3').scrollIntoView()")
        before = page.evaluate("window.scrollY")
        page.mouse.wheel(0, 120)  # as a reader scrolls: a little further down
        # A wheel scrolls smoothly, over several frames: the place is where it comes to rest.
        page.wait_for_function("before => { const y = window.scrollY, still = window.lastY === y; window.lastY = y;"
                               " return still && y > before; }", arg=before, polling=100)
        page.wait_for_function("() => document.getElementById('leafpress-current').textContent.startsWith('Page 3 ')")
        place = page.evaluate("window.scrollY")
        first_image = page.locator("#page-1 img").get_attribute("src")
        page.evaluate("window.leafpressMarker = 'before the save'")
        article.write_text(article.read_text(encoding="utf-8").replace("The first version", "A second version"),
                           encoding="utf-8")
        # The whole rebuild: the summary, made from the article too, is rebuilt (in either order).
        watcher.wait_for("1 built, 1 failed", timeout=60)
        # Polled by time, not by animation frames, which a reload interrupts.
        page.wait_for_function("() => window.leafpressMarker === undefined && document.readyState === 'complete'",
                               timeout=RELOAD_TIMEOUT_MS, polling=100)
        assert page.locator("#page-1 img").get_attribute("src") != first_image
        assert abs(page.evaluate("window.scrollY") - place) <= 1
        assert page.locator("#leafpress-current").inner_text() == f"Page 3 of {count}"

        # The summary does not fit its one page: the draft's pages, marked, and the mark says so.
        page.goto(url + "preview/topic/summary")
        limit = page.locator("#leafpress-limit")
        assert limit.get_attribute("role") == "alert"
        assert limit.locator("strong").inner_text() == "Over its page limit: 2 pages, the summary must fit on 1"
        assert page.locator("figcaption").all_inner_texts() == ["Page 1 of 2", "Page 2 of 2: past the limit of 1 page"]
        assert page.locator("#page-2").get_attribute("class") == "lp-page lp-over"
        assert page.locator("#leafpress-bar a", has_text="draft PDF").get_attribute("href") == \
            "/output/topic/summary.en.draft.pdf"
        assert "error: the summary of 'topic' takes 2 pages" in page.locator("#leafpress-problems").inner_text()
        page.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
        page.screenshot(path=str(tmp_path / "summary-over-limit.png"), full_page=True)
        if os.environ.get("LEAFPRESS_SCREENSHOTS"):  # to look at: LEAFPRESS_SCREENSHOTS=folder make test-preview
            for shot in ("pages.png", "summary-over-limit.png"):
                shutil.copy(tmp_path / shot, os.path.join(os.environ["LEAFPRESS_SCREENSHOTS"], shot))

        assert watcher.interrupt() == 0
        page.close()
        assert "Traceback" not in "".join(watcher.err), "".join(watcher.err)
    finally:
        watcher.kill()
