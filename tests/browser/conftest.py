"""Browser tests: the session's app served on 127.0.0.1 by a real HTTP server, driven by
Debian's Chromium through Playwright (sync API).

Never a browser that Playwright downloads: we launch the `chromium` executable from the PATH
(Debian's package, /usr/bin/chromium; `make browser-deps` installs it).

Every page fixture collects console errors and uncaught page errors and fails the test that
produced them. Screenshots go to tests/artifacts/ (ignored by git) for a person to look at.
"""
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN_PASSWORD = "Admin12345"
TIMEOUT_MS = 15_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs in Debian's Chromium against a live server")


def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- live server


class QuietRequestHandler(WSGIRequestHandler):
    """No line per request in the test output; errors still reach the app's log."""

    def log_request(self, *args, **kwargs):
        pass


class LiveServer:
    def __init__(self, app):
        # Port 0: the operating system picks a free port.
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name="loupan-live-server",
                                       daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def launch_chromium(playwright):
    """Debian's Chromium, the `chromium` on the PATH; never a browser Playwright downloads."""
    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("Debian's Chromium is not installed (`sudo apt-get install chromium`, or "
                    "`make browser-deps`). The browser tests never use a browser Playwright downloads.")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = launch_chromium(playwright_instance)
    yield browser
    browser.close()


class ConsoleLog:
    """Console errors and uncaught exceptions of one page, with the URL they happened on."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.on("console", self._console)
        page.on("pageerror", self._pageerror)

    def _console(self, message):
        if message.type == "error":
            location = message.location or {}
            where = location.get("url") or self._url()
            if where.endswith("/favicon.ico"):
                return  # reported once, by test_menus.py::test_favicon_is_served
            self.errors.append("console error on %s: %s" % (where, message.text))

    def _pageerror(self, error):
        self.errors.append("uncaught JavaScript error on %s: %s" % (self._url(), error))

    def _url(self):
        try:
            return self.page.url
        except Exception:  # the page may be closing
            return "?"

    def take(self):
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture
def context(browser, base_url):
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A fresh page in a fresh context (no cookies); the test fails on any console error."""
    page = context.new_page()
    log = ConsoleLog(page)
    page.console_log = log
    yield page
    errors = log.take()
    if errors:
        pytest.fail("Console errors in the browser:\n  " + "\n  ".join(errors), pytrace=False)


# --------------------------------------------------------------------------- helpers


def login(page, username, password):
    """Log in through the real login page: fill the form and press its submit button."""
    page.goto("/login/")
    page.fill("input#username", username)
    page.fill("input#password", password)
    with page.expect_navigation():
        page.click("form[name=login] [type=submit]")
    return page


def password_of(username):
    from app.demo import DEMO_PASSWORD
    return ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD


def login_as(page, username):
    login(page, username, password_of(username))
    assert "/login" not in page.url, "%s could not log in: still on %s" % (username, page.url)
    return page


def slug(text):
    text = re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "-", str(text)).strip("-")
    return text or "page"


MAX_SHOT_HEIGHT = 2400  # a longer page is cut: beyond that a person does not read it anyway


def shot(page, name, full_page=True):
    """Save a PNG of the page as tests/artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / ("%s.png" % slug(name))
    if full_page:
        size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        clip = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], MAX_SHOT_HEIGHT)}
        page.screenshot(path=str(path), full_page=True, clip=clip)
    else:
        page.screenshot(path=str(path))
    return path
