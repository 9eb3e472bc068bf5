"""Browser journeys: Playwright driving Debian's Chromium, headless, against a live server.

`.ci/run` installs Chromium when it is missing; on a machine without it these tests say so
and skip (nothing else can stand in for a real browser).
"""

import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")

# Every page of every journey must satisfy the Content-Security-Policy: each browser context
# reports what the policy refused (Chromium's "Refused to ..." console errors and the
# page's securitypolicyviolation events), and a test that caused any fails.
CSP_VIOLATIONS: list[str] = []
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.violatedDirective + " refused " +
    (event.blockedURI || "inline") + " at " + (event.sourceFile || location.href) + ":" +
    event.lineNumber);
});
"""


# Refusals the policy makes on purpose: ReDoc's bundle shows its maker's logo from a CDN, and
# we load nothing from CDNs (its page is otherwise complete without it).
CSP_INTENDED = [("/api/v1/redoc/", "https://cdn.redoc.ly/")]


def _watch_csp(context) -> None:
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    def on_console(message):
        text = message.text
        if "Refused to" in text or text.startswith("CSP violation"):
            url = message.page.url if message.page else "?"
            if any(path in url and blocked in text for path, blocked in CSP_INTENDED):
                return
            CSP_VIOLATIONS.append(f"{url}: {text}")

    context.on("console", on_console)


def _wait_for_function_by_polling(page, expression, *, arg=None, timeout=None, polling=None):
    """Page.wait_for_function without eval in the page, which the policy refuses.

    Playwright compiles the predicate inside the page with `new Function`; evaluate() goes
    through the DevTools protocol, which the page's policy does not govern.
    """
    from playwright.sync_api import Error, TimeoutError

    source = expression.strip()
    if not source.startswith(("(", "function", "async")):
        source = f"() => ({source})"
    timeout_ms = 15_000 if timeout is None else timeout
    deadline = time.monotonic() + timeout_ms / 1000
    interval = polling / 1000 if isinstance(polling, int | float) else 0.1
    while True:
        try:
            value = page.evaluate(source, arg)
            if value:
                return value
        except Error as error:  # a navigation replaced the page's context: try again
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timeout {timeout_ms} ms waiting for {expression!r}")
        page.wait_for_timeout(interval * 1000)  # lets Playwright handle events meanwhile


@pytest.fixture(autouse=True)
def _no_csp_violations():
    CSP_VIOLATIONS.clear()
    yield
    violations, CSP_VIOLATIONS[:] = list(CSP_VIOLATIONS), []
    assert not violations, "The Content-Security-Policy refused:\n" + "\n".join(violations)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are
    # still plain synchronous code. Allowed for this module only, and undone after it.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        from playwright.sync_api import Page

        patch.setattr(Page, "wait_for_function", _wait_for_function_by_polling)
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        new_context = chromium.new_context

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            _watch_csp(context)
            return context

        # Every context, the `page` fixture's and those a journey opens itself, is watched.
        chromium.new_context = watched_context
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
