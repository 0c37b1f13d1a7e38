"""Every menu entry of every shipped role, opened in Chromium after a real login.

Each role's pages are visited once (the crawl) and judged by two tests, so that a missing
translation does not hide a broken page and the other way round:

- test_menu_pages_open: HTTP status below 400, no error page, no flashed error (e.g. "访问被拒绝"),
  no console error, not sent back to the login page;
- test_menu_pages_are_in_chinese: no English left in the Chinese interface; its failure is the
  translators' to-do list, page by page (also written to tests/artifacts/untranslated-<role>.txt).

The menu entries are read from the navigation bar, never listed here: new modules' menus are
covered as soon as they land. From each menu page we also open the first "add" and "show"
page and any "change history" page it links to (forms and detail pages have their own words;
edit forms are the add forms again, so they are left out to keep the suite fast).
Screenshots: tests/artifacts/<role>-<page>.png.
"""
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.browser import i18n
from tests.browser.conftest import (ARTIFACTS, ConsoleLog, launch_chromium, login, login_as, password_of,
                                    shot, slug)

ROLES = ["admin", "manager", "sales", "finance", "service"]

# Latin text a user legitimately sees in data cells: the demo logins' usernames.
KNOWN_DATA = set(ROLES)

# FAB's permission screens show its internal identifiers ("can list on DepartmentView") as
# data; they are names, not text to translate. Their interface text is still checked.
TECHNICAL_DATA_PATHS = ("/roles/", "/permissions/", "/viewmenus/", "/permissionviews/")

NAVBAR_LINKS_JS = """
() => {
  const links = [];
  const items = document.querySelectorAll(
    ".navbar .navbar-brand a, .navbar .navbar-brand[href], .navbar .nav > li > a, .navbar .dropdown-menu a");
  for (const a of items) {
    const href = a.getAttribute("href");
    if (!href) continue;
    links.push({href, label: a.textContent.replace(/\\s+/g, " ").trim()});
  }
  return links;
}
"""

# Pages one step deeper, found in the content (not the navigation bar) of a menu page.
FOLLOW_UPS = [
    ("add", "a[href$='/add'], a[href*='/add?']"),
    ("show", "a[href*='/show/']"),
    ("history", "a.loupan-history-link, a[href*='/history/']"),
]


def menu_hrefs(links):
    seen, out = set(), []
    for link in links:
        href = link["href"]
        path = urlsplit(href).path
        if (href.startswith(("#", "javascript:", "mailto:")) or path.startswith("/lang/")
                or path.rstrip("/").endswith("/logout") or urlsplit(href).netloc):
            continue
        if href not in seen:
            seen.add(href)
            out.append(link)
    return out


@dataclasses.dataclass
class Visit:
    role: str
    url: str                     # the path asked for
    via: str                     # the menu label, or how we got there
    status: int = 0
    final_url: str = ""
    problems: list = dataclasses.field(default_factory=list)
    english: list = dataclasses.field(default_factory=list)
    screenshot: str = ""


class Crawl:
    def __init__(self, role):
        self.role = role
        self.visits = []
        self.menu = []

    def pages_with_problems(self):
        return [v for v in self.visits if v.problems]


# What a page shows of errors, read in one call with its texts (one round trip per page).
PAGE_STATE_JS = """
() => ({
  errorPages: Array.from(document.querySelectorAll("[data-error-code]"))
    .map(e => [e.dataset.errorCode, e.innerText.trim()]),
  alerts: Array.from(document.querySelectorAll(".alert-danger:not([data-error-code])"))
    .map(e => e.innerText.trim()),
  segments: (%s)(),
})
""" % i18n.COLLECT_JS.strip()


def _judge(page, visit, response, log, base_url):
    visit.status = response.status if response is not None else 0
    visit.final_url = page.url[len(base_url):] if page.url.startswith(base_url) else page.url
    if response is None:
        visit.problems.append("no response")
    elif response.status >= 400:
        visit.problems.append("HTTP %d" % response.status)
    if urlsplit(visit.final_url).path.startswith("/login") and not visit.url.startswith("/login"):
        visit.problems.append("sent to the login page (%s)" % visit.final_url)
    state = page.evaluate(PAGE_STATE_JS)
    for code, message in state["errorPages"]:
        visit.problems.append("error page %s: %s" % (code, " ".join(message.split())))
    for text in state["alerts"]:
        visit.problems.append("flashed error: %s" % " ".join(text.replace("×", "").split()))
    visit.problems.extend(log.take())
    technical = visit.url.startswith(TECHNICAL_DATA_PATHS)
    segments = [s for s in state["segments"] if not (technical and s.get("data"))]
    visit.english = i18n.offending(segments, known_data=KNOWN_DATA)


def _visit(page, crawl, log, base_url, url, via, name):
    visit = Visit(crawl.role, url, via)
    response = page.goto(url, wait_until="load")
    _judge(page, visit, response, log, base_url)
    visit.screenshot = str(shot(page, "%s-%s" % (crawl.role, name)))
    crawl.visits.append(visit)
    return visit


FOLLOW_UPS_JS = """
(selectors) => selectors.map(([kind, selector]) => [kind,
  Array.from(document.querySelectorAll(selector)).filter(e => !e.closest('.navbar'))
    .map(e => e.getAttribute('href'))])
"""


def _follow_ups(page, visited):
    targets = []
    for kind, found in page.evaluate(FOLLOW_UPS_JS, FOLLOW_UPS):
        found = [h for h in found if h and not h.startswith(("#", "javascript:"))
                 and "/delete/" not in h and not urlsplit(h).netloc]
        if found and found[0] not in visited:
            visited.add(found[0])
            targets.append((kind, found[0]))
    return targets


def crawl_role(browser, base_url, role, part=0, parts=1):
    """Log in as `role`, read the menu, open its entries (those of this part when a role's
    menu is shared out between several browsers) and the pages one step deeper."""
    crawl = Crawl(role)
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 900})
    # Generous: several browsers crawl at once beside the other database's run, and a few forms
    # (e.g. a new follow-up, choosing among every opportunity as admin) are large pages.
    context.set_default_timeout(45_000)
    page = context.new_page()
    log = ConsoleLog(page)
    try:
        if part == 0:  # the login page itself, as everyone sees it first
            _visit(page, crawl, log, base_url, "/login/", "login page", "login")
        login(page, role, password_of(role))
        assert "/login" not in page.url, "%s could not log in (still on %s)" % (role, page.url)
        crawl.menu = menu_hrefs(page.evaluate(NAVBAR_LINKS_JS))
        visited = {"/login/"}
        for link in crawl.menu[part::parts]:
            href = link["href"]
            if href in visited:
                continue
            visited.add(href)
            path = urlsplit(href).path
            _visit(page, crawl, log, base_url, href, "menu: " + (link["label"] or href),
                   slug(path) if path.strip("/") else "home")
            for kind, target in _follow_ups(page, visited):
                _visit(page, crawl, log, base_url, target, "%s page from %s" % (kind, href),
                       slug(urlsplit(target).path))
                # One change-history page (the same template for every record).
                history = page.eval_on_selector_all(
                    "a.loupan-history-link", "els => els.map(e => e.getAttribute('href'))")
                if history and not any("/history/" in v.url for v in crawl.visits):
                    visited.add(history[0])
                    _visit(page, crawl, log, base_url, history[0], "change history from %s" % target,
                           slug(urlsplit(history[0]).path))
    finally:
        context.close()
    return crawl


def _crawl_in_own_browser(base_url, role, part, parts):
    # Playwright's sync API belongs to one thread: each thread runs its own, and its own Chromium.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            return crawl_role(browser, base_url, role, part, parts)
        finally:
            browser.close()


CRAWL_THREADS = 3
# The admin sees every menu: that crawl is shared out between two browsers.
CRAWL_PARTS = {"admin": 2}


@pytest.fixture(scope="session")
def crawls(base_url):
    """Every role's crawl, made once per session, side by side in threads (the browser and
    the server spend most of a page load waiting for each other)."""
    cache = {}

    def crawl_all():
        jobs = [(role, part, CRAWL_PARTS.get(role, 1)) for role in ROLES
                for part in range(CRAWL_PARTS.get(role, 1))]
        with ThreadPoolExecutor(CRAWL_THREADS) as pool:
            futures = [(role, pool.submit(_crawl_in_own_browser, base_url, role, part, parts))
                       for role, part, parts in jobs]
            for role, future in futures:
                try:
                    result = future.result()
                except Exception as e:  # one role's crash fails that role's tests only
                    cache[role] = e
                    continue
                if isinstance(cache.get(role), Exception):
                    continue
                if role not in cache:
                    cache[role] = result
                else:  # a page both parts reached is judged once
                    seen = {v.url for v in cache[role].visits}
                    cache[role].visits.extend(v for v in result.visits if v.url not in seen)

    def get(role):
        if not cache:
            crawl_all()
        result = cache[role]
        if isinstance(result, Exception):
            raise result
        return result

    get.done = lambda: [cache[r] for r in ROLES if isinstance(cache.get(r), Crawl)]
    return get


def untranslated_report(crawl):
    """URL → strings, with what every page of the role shares (the navigation bar, the common
    dialogs) listed once at the top."""
    inner = [v for v in crawl.visits if not v.url.startswith("/login")]
    common = set()
    if len(inner) >= 2:
        common = {e["text"] for e in inner[0].english}
        for v in inner[1:]:
            common &= {e["text"] for e in v.english}
    lines = []
    if common:
        lines.append("on every page of %s (navigation bar, shared dialogs):" % crawl.role)
        lines.extend("    " + i18n.describe(e) for e in inner[0].english if e["text"] in common)
    for v in crawl.visits:
        own = [e for e in v.english if e["text"] not in common]
        if own:
            lines.append("%s  [%s]" % (v.url, v.via))
            lines.extend("    " + i18n.describe(e) for e in own)
    return lines


def write_summary(crawls_done):
    """tests/artifacts/untranslated.txt: every offending string once, with where it was seen
    (the translators' to-do list across all roles crawled so far)."""
    where = {}
    for crawl in crawls_done:
        for v in crawl.visits:
            for e in v.english:
                pages = where.setdefault(e["text"], [])
                if v.url not in pages:
                    pages.append(v.url)
    lines = ["%d strings" % len(where)]
    for text in sorted(where, key=str.lower):
        pages = where[text]
        more = " (+%d)" % (len(pages) - 4) if len(pages) > 4 else ""
        lines.append('"%s"  — %s%s' % (text, ", ".join(pages[:4]), more))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "untranslated.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_role_has_menu_entries(crawls):
    """Sanity check of the crawl: every role sees a menu, the admin sees the most."""
    sizes = {role: len(crawls(role).menu) for role in ROLES}
    assert all(n >= 2 for n in sizes.values()), sizes
    assert sizes["admin"] == max(sizes.values()), sizes


@pytest.mark.parametrize("role", ROLES)
def test_menu_pages_open(crawls, role):
    crawl = crawls(role)
    bad = crawl.pages_with_problems()
    if bad:
        pytest.fail("%s: %d of %d pages have problems:\n%s" % (
            role, len(bad), len(crawl.visits),
            "\n".join("  %s  [%s] -> %s\n      %s" % (v.url, v.via, v.final_url, "\n      ".join(v.problems))
                      for v in bad)), pytrace=False)


@pytest.mark.parametrize("role", ROLES)
def test_menu_pages_are_in_chinese(crawls, role):
    crawl = crawls(role)
    lines = untranslated_report(crawl)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ("untranslated-%s.txt" % role)).write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_summary(crawls.done())
    if lines:
        pytest.fail("English left in the Chinese interface (%s, %d pages visited; also in "
                    "tests/artifacts/untranslated-%s.txt):\n%s" % (
                        role, len(crawl.visits), role, "\n".join(lines)), pytrace=False)


# --------------------------------------------------------------------------- language switch

OWN_NAVBAR_LABELS_JS = """
() => Array.from(document.querySelectorAll(".navbar .navbar-nav:not(.navbar-right) a"))
  .map(a => a.textContent.replace(/\\s+/g, " ").trim()).filter(t => t)
"""


def test_language_switch_to_english_and_back(page):
    login_as(page, "admin")
    chinese = page.evaluate(OWN_NAVBAR_LABELS_JS)
    assert chinese, "no menu in the navigation bar"
    assert any(i18n.CJK.search(label) for label in chinese), chinese
    shot(page, "language-zh")

    response = page.goto("/lang/en")
    assert response.status < 400
    english = page.evaluate(OWN_NAVBAR_LABELS_JS)
    shot(page, "language-en")
    with_chinese = [label for label in english if i18n.CJK.search(label)]
    assert not with_chinese, "Chinese left in the English menus: %s" % with_chinese
    assert len(english) == len(chinese), (english, chinese)
    user_menu = page.inner_text(".navbar .navbar-right", timeout=5_000)
    assert not i18n.CJK.search(page.eval_on_selector(
        ".navbar a[href$='/logout/']", "a => a.textContent")), user_menu

    response = page.goto("/lang/zh")
    assert response.status < 400
    back = page.evaluate(OWN_NAVBAR_LABELS_JS)
    shot(page, "language-zh-again")
    assert back == chinese, "the Chinese menus did not come back: %s != %s" % (back, chinese)
    assert i18n.CJK.search(page.eval_on_selector(".navbar a[href$='/logout/']", "a => a.textContent"))


def test_favicon_is_served(page, base_url):
    """Every page makes the browser ask for /favicon.ico; a 404 shows as a console error.
    (The page fixture ignores that one console error so that it is reported only here.)"""
    response = page.request.get(base_url + "/favicon.ico")
    assert response.status < 400, "GET /favicon.ico answers %d: add a favicon" % response.status
