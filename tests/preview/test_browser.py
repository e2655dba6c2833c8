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


class Watcher:
    """`leafpress watch` in its own process group, as a user runs it in a terminal."""

    def __init__(self, cwd, *args: str):
        code = "import sys; from leafpress.runner.preview import watch; watch(sys.argv[1:])"
        self.process = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, kept in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, kept), daemon=True).start()

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

    def interrupt(self) -> int:
        """Ctrl-C, as the terminal sends it: SIGINT to the whole process group."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=20)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def test_preview_reloads_after_a_save_and_shows_errors(project, browser):
    from playwright.sync_api import expect

    article = project.topic(body="## Background\n\nThe first version of the text [@smith2020; @jones2021].\n\n"
                                 "<script>window.leafpressInline = true;</script>\n"
                                 '<script src="topic.js"></script>\n',
                            title="Browser preview topic")
    (article.parent / "topic.js").write_text("window.leafpressFile = true;\n", encoding="utf-8")
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
        assert page.locator("h1").inner_text() == "Browser preview topic"
        assert "The first version of the text" in page.inner_text("main")
        # The print stylesheets apply, with the bundled fonts served to the browser.
        assert "Source Sans 3" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('700 24pt \"Source Sans 3\"'))")
        assert page.evaluate("[...document.fonts].some(f => f.family.includes('Source Sans 3') "
                             "&& f.status === 'loaded')")
        assert page.locator("#leafpress-problems").count() == 0
        # Scripts in the content never run in the preview: only the reload script has the nonce.
        assert page.evaluate("[window.leafpressInline, window.leafpressFile]") == [None, None]

        # A save: the page reloads by itself (the marker is gone) and shows the new text.
        # The page's Content-Security-Policy is left on, so this also shows the
        # reload script works under it.
        page.evaluate("window.leafpressMarker = 'before the save'")
        text = article.read_text(encoding="utf-8")
        article.write_text(text.replace("The first version", "A second version"), encoding="utf-8")
        expect(page.locator("main")).to_contain_text("A second version of the text", timeout=RELOAD_TIMEOUT_MS)
        assert page.evaluate("window.leafpressMarker") is None
        watcher.wait_for("built  topic/article ->", timeout=30)

        # An error: it shows at the top of the page, with file and line.
        article.write_text(text.replace("title: Browser preview topic", "title: no"), encoding="utf-8")
        problems = page.locator("#leafpress-problems")
        problems.wait_for(timeout=RELOAD_TIMEOUT_MS)
        assert "content/topic/article.md:2: error: 'title' must be text" in problems.inner_text()
        assert problems.is_visible()
        watcher.wait_for("FAILED topic/article", timeout=30)
        assert "content/topic/article.md:2: error: 'title' must be text" in "".join(watcher.err)

        # Fixed again: the box goes away by itself.
        article.write_text(text, encoding="utf-8")
        expect(page.locator("main")).to_contain_text("The first version of the text", timeout=RELOAD_TIMEOUT_MS)
        expect(page.locator("#leafpress-problems")).to_have_count(0)

        # Ctrl-C while the page is still open (its event stream connected).
        assert watcher.interrupt() == 0
        page.close()
        assert "Stopped." in "".join(watcher.out)
        assert "Traceback" not in "".join(watcher.err), "".join(watcher.err)
    finally:
        watcher.kill()
