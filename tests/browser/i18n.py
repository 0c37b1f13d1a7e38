"""Finding English left over in the Chinese interface.

The page hands us every piece of text a user can see or reach (text nodes, including those of
closed menus and dialogs; placeholders, tooltips, button values), each marked with its context.
We flag:

- in interface text (labels, headings, menus, buttons, messages): any Latin word of two or
  more letters that is not on the allow-list below; inside a Chinese sentence only capitalised
  words (lower-case Latin there is code or an identifier quoted on purpose: "例如 hire_date");
- in data (table cells, options of a select, the chosen value of a select box): user data may
  well be Latin (usernames, e-mails, codes "GZ-TH", "E1001", IP addresses), so only runs of two
  or more Latin words, or a single word from the interface vocabulary (Yes, No, True, None,
  Edit, ...) that the application itself put there.

Not examined at all: <script>, <style>, <code>, <pre>, <textarea>, the values of text inputs,
the names of the languages in the language menu (each language is named in its own language),
and anything inside an element marked data-i18n-skip (for a page that shows Latin text on
purpose).
"""
import re

# Latin words that are fine in the Chinese interface.
ALLOWED_WORDS = {
    "Loupan", "API", "APIs", "Excel", "PDF", "ID", "URL", "JSON", "UTC", "IP", "OpenAPI", "Swagger",
    "xlsx", "xls", "csv", "pdf", "png", "jpg", "http", "https", "www", "Email", "E-mail", "VIP",
    # file kinds and sizes named in upload hints
    "PNG", "JPEG", "GIF", "WebP", "KB", "MB",
}

# Words of FAB's and our interface that must not reach a Chinese user even in a data cell.
UI_VOCABULARY = {
    "Search", "List", "Add", "Edit", "Delete", "Show", "Actions", "Action", "Filter", "Filters",
    "Record", "Records", "Save", "Back", "Yes", "No", "True", "False", "None", "Login", "Logout",
    "Profile", "Security", "Users", "User", "Roles", "Role", "Permissions", "Active", "Inactive",
    "Name", "Code", "Status", "Created", "Changed", "Refresh", "Cancel", "Submit", "Close",
    "Select", "Next", "Previous", "First", "Last", "Page", "Count", "Home", "Welcome", "Employed",
    "Suspended", "Left", "Group", "Department", "Insert", "Update", "Create", "Sign", "Password",
}

# Word boundaries for Latin text inside Chinese text ("或LDAP认证": no \\b between 或 and L).
_B, _E = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
_SKIPPED_PATTERNS = [
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",                 # e-mail addresses
    r"(?:https?|ftp)://\S+",                          # URLs
    r"(?<![\w/])/[\w\-./?=&%]*",                      # paths such as /departmentview/list/
    r"\S*\d\S*",                                      # anything with a digit: codes, dates, IPs, E1001
    r"[0-9a-fA-F:]*::[0-9a-fA-F:]+",                   # IPv6 addresses such as ::1
    _B + r"[A-Z]{1,6}(?:-[A-Z0-9]{1,8})+" + _E,       # upper-case codes such as GZ-TH
    _B + r"[A-Z]{3,6}s?" + _E,                        # acronyms: LDAP, OID, SMS (but "OK" is flagged)
    r"(?:Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_]+(?:/[A-Za-z_]+)?",
                                                      # time zone names: Asia/Shanghai
]
_SKIPPED = re.compile("|".join("(?:%s)" % p for p in _SKIPPED_PATTERNS))
# A run of Latin words joined by spaces or light punctuation: "Add a new record", "Record Count".
_RUN = re.compile(r"[A-Za-z][A-Za-z'’_-]*(?:[ \t\u00a0,:;.&/()'’\"-]+[A-Za-z][A-Za-z'’_-]*)*\)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’_-]*")
_SPACE = re.compile(r"\s+")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def clean(text):
    return _SPACE.sub(" ", text or "").strip()


def english_runs(text, data=False, known_data=()):
    """The offending Latin runs of one piece of text (an empty list if it is fine)."""
    text = clean(text)
    if not text:
        return []
    known = set(known_data)
    mixed = bool(CJK.search(text))
    stripped = _SKIPPED.sub(" ", text)
    found = []
    for match in _RUN.finditer(stripped):
        words = [w.strip("'’-_") for w in _WORD.findall(match.group(0))]
        words = [w for w in words if w and w not in ALLOWED_WORDS and w not in known]
        if data:
            bad = len(words) >= 2 or any(w in UI_VOCABULARY for w in words)
        elif mixed:
            # Inside a Chinese sentence, lower-case Latin is code or an identifier on purpose
            # ("例如 position 或 hire_date", "请用“flask scheduler run”启动"); a capitalised word
            # is English left over ("Welcome, 陈志明").
            bad = any(len(w) >= 2 and w[0].isupper() for w in words)
        else:
            bad = any(len(w) >= 2 for w in words)
        if bad:
            found.append(clean(match.group(0)))
    return found


# FAB's permission names ("can list on DepartmentView", "menu access on Employees") are
# identifiers shown by its role screens, not text a catalogue can translate.
PERMISSION_NAME = re.compile(r"^[a-z][a-z_ ]* on [A-Za-z_][\w' /.-]*$")


def offending(segments, known_data=()):
    """The offending strings of one page, in page order, each once: [{"text", "notes"}].

    segments: dicts from COLLECT_JS: text, kind ("text", "attribute:title", ...), data, hidden.
    Interface text is reported whole (that is what a translator looks for); data only by its
    offending run. A string seen several times is listed once, "hidden" only if it is hidden
    everywhere."""
    found = {}
    for seg in segments:
        text = clean(seg["text"])
        if PERMISSION_NAME.match(text):
            continue
        runs = english_runs(text, data=seg.get("data"), known_data=known_data)
        if not runs:
            continue
        shown = " / ".join(runs) if seg.get("data") else text
        if len(shown) > 140:
            shown = shown[:137] + "..."
        entry = found.setdefault(shown, {"text": shown, "kinds": [], "data": True, "hidden": True})
        kind = seg.get("kind", "text")
        if kind not in entry["kinds"]:
            entry["kinds"].append(kind)
        entry["data"] = entry["data"] and bool(seg.get("data"))
        entry["hidden"] = entry["hidden"] and bool(seg.get("hidden"))
    out = []
    for entry in found.values():
        notes = [k for k in entry["kinds"] if k != "text"]
        if entry["data"]:
            notes.append("data")
        if entry["hidden"]:
            notes.append("hidden until opened")
        out.append({"text": entry["text"], "notes": notes})
    return out


def describe(entry):
    return '"%s"%s' % (entry["text"], " (%s)" % ", ".join(entry["notes"]) if entry["notes"] else "")


# Runs in the page: every text a user can see or open, with its context.
COLLECT_JS = r"""
() => {
  const SKIP_TAGS = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "CODE", "PRE", "TEXTAREA", "svg", "SVG"]);
  const DATA_TAGS = new Set(["TD", "OPTION", "DD"]);
  const UI_TAGS = new Set(["TH", "LABEL", "BUTTON", "LEGEND", "CAPTION"]);
  const info = new Map();
  function context(el) {
    if (info.has(el)) return info.get(el);
    let result;
    if (!el || el === document.documentElement) {
      result = {skip: false, data: false, srOnly: false};
    } else {
      const parent = context(el.parentElement);
      const skip = parent.skip || SKIP_TAGS.has(el.tagName) || el.hasAttribute("data-i18n-skip")
        || (el.tagName === "A" && /\/lang\//.test(el.getAttribute("href") || ""));
      const cls = el.classList || {contains: () => false};
      // Interface inside a table cell: form labels, buttons, screen-reader texts, menus.
      const ui = UI_TAGS.has(el.tagName) || cls.contains("btn") || cls.contains("sr-only")
        || cls.contains("dropdown-menu") || cls.contains("help-block") || el.hasAttribute("data-i18n-ui");
      const data = !ui && (parent.data || DATA_TAGS.has(el.tagName) || el.hasAttribute("data-i18n-data")
        || cls.contains("select2-selection__rendered") || cls.contains("select2-chosen"));
      const srOnly = parent.srOnly || cls.contains("sr-only");
      result = {skip, data, srOnly};
    }
    info.set(el, result);
    return result;
  }
  function hidden(el) {
    return typeof el.checkVisibility === "function" ? !el.checkVisibility() : el.offsetParent === null;
  }
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.nodeValue.replace(/\s+/g, " ").trim();
    if (!text) continue;
    const el = node.parentElement;
    const c = context(el);
    if (c.skip) continue;
    out.push({text, kind: c.srOnly ? "screen-reader text" : "text", data: c.data, hidden: hidden(el)});
  }
  const ATTRS = ["placeholder", "title", "alt", "aria-label", "data-original-title", "data-placeholder"];
  for (const el of document.body.querySelectorAll("*")) {
    const c = context(el);
    if (c.skip) continue;
    for (const name of ATTRS) {
      const value = (el.getAttribute(name) || "").trim();
      if (value) out.push({text: value, kind: "attribute:" + name, data: c.data, hidden: hidden(el)});
    }
    if (el.tagName === "INPUT" && ["submit", "button", "reset"].includes((el.type || "").toLowerCase())) {
      const value = (el.value || "").trim();
      if (value) out.push({text: value, kind: "button", data: false, hidden: hidden(el)});
    }
  }
  return out;
}
"""


def page_segments(page):
    return page.evaluate(COLLECT_JS)
