"""Fixtures for the browser tests: the real host (harness.py), Debian's Chromium
driven by Playwright, a screenshot per step into artifacts/browser/<test>/, and
a page that fails its test on any console error the test did not expect."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import REPO, HostOptions, Loopback, OrchHost  # noqa: E402
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright  # noqa: E402

ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make deps does)")
    with sync_playwright() as playwright:
        # As root Chromium needs --no-sandbox; Debian's build is used (no browser download here).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def workdir(request, tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def loopback(workdir: Path) -> Loopback:
    loopback = Loopback(workdir)
    yield loopback
    loopback.close()


@pytest.fixture
def host_options() -> HostOptions:
    return HostOptions()


@pytest.fixture
def host(workdir: Path, loopback: Loopback, host_options: HostOptions) -> OrchHost:
    host = OrchHost(workdir, loopback, host_options).start()
    yield host
    host.stop()


class ConsoleWatch:
    """Every console error and uncaught exception of a page; a test lists the ones it causes on purpose."""

    def __init__(self, page: Page):
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} ({message.location.get('url', '')}:{message.location.get('lineNumber', '')})")

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [error for error in self.errors if not any(pattern.search(error) for pattern in self.allowed)]


class Shots:
    """Numbered screenshots of each step, kept as test artifacts."""

    def __init__(self, page: Page, directory: Path):
        self.page = page
        self.directory = directory
        self.count = 0
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def viewport() -> dict:
    return {"width": 1440, "height": 900}


@pytest.fixture
def page(browser: Browser, viewport: dict, request) -> Page:
    # The host starts first so that it stops last: a host stopping under an open
    # page makes the page log failed reconnects that no test caused.
    if "host" in request.fixturenames:
        request.getfixturevalue("host")
    context = browser.new_context(viewport=viewport, color_scheme="dark")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_watch = ConsoleWatch(page)  # type: ignore[attr-defined]
    yield page
    watch: ConsoleWatch = page.console_watch  # type: ignore[attr-defined]
    failed = request.node.rep_call.failed if hasattr(request.node, "rep_call") else False
    if failed:
        print("console errors on the page:\n" + "\n".join(watch.errors))
        try:
            page.screenshot(path=str(ARTIFACTS / request.node.name / "99-failure.png"))
        except Exception:
            pass
    context.close()
    unexpected = watch.unexpected()
    if unexpected and not failed:
        pytest.fail("console errors on the page:\n" + "\n".join(unexpected))


@pytest.fixture
def shots(page: Page, request) -> Shots:
    return Shots(page, ARTIFACTS / request.node.name)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
