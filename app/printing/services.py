"""Printing rules: the registry of print kinds, the sandboxed template engine and its filters,
HTML → PDF with an embedded CJK font, and which template prints what.

A module that prints something registers a kind from its init_app():

    from app.printing import services as printing
    printing.register_kind(
        "receipt", _l("Receipt"), sample_receipt_context,
        [("receipt.number", _l("Receipt number")), ("receipt.amount", _l("Amount (Decimal)"))],
        record_context=receipt_context,              # pk -> dict, or None when missing/not visible
        permission=("can_show", "ReceiptView"),      # who may print a real record
        default_template={"name": "收据", "html": "...", "paper": "a5_landscape"},
    )

and links to /printtemplateview/print/<kind>/<pk> from its pages (or uses the macro in
printing/macros.html). record_context runs in the request of the user who prints: it must
apply that user's data scope and mask personal data they may not see in full.

Templates are Jinja templates rendered in a sandbox (no attribute starting with "_", no
mutation of lists/dicts, bounded time, output and string sizes). Placeholders a template uses
that the context does not have are errors, so a typo shows up in the preview. Every failure
of a template is a BusinessError with a message for the admin, never a server error.
"""
import datetime as dt
import io
import logging
import os
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from app.core.errors import BusinessError
from app.extensions import db
from app.printing import sandbox
from app.printing.models import PAPERS, PrintTemplate

log = logging.getLogger(__name__)

FONT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts")
FONT_PATH = os.path.join(FONT_DIR, "wqy-microhei.ttc")
FONT_FAMILY = "loupancjk"
# Every family a template is likely to name resolves to the embedded CJK font, so that no
# template can fall back to a base-14 face that has no Chinese glyphs (boxes).
FONT_ALIASES = (
    FONT_FAMILY, "helvetica", "arial", "verdana", "sans-serif", "sans", "sansserif", "serif",
    "times", "times new roman", "times-roman", "georgia", "courier", "courier new", "monospace",
    "mono", "system-ui", "simsun", "simhei", "songti", "heiti", "kaiti", "fangsong", "stsong",
    "microsoft yahei", "pingfang sc", "wenquanyi micro hei", "noto sans cjk sc", "source han sans",
    "宋体", "黑体", "楷体", "仿宋", "微软雅黑",
)

PAPER_CSS = {"a4": "a4 portrait", "a4_landscape": "a4 landscape",
             "a5": "a5 portrait", "a5_landscape": "a5 landscape"}
assert set(PAPER_CSS) == set(PAPERS)

# Limits: time to fill in a template, size of its source, time to make the PDF (the sandbox
# has its own limits on sizes).
RENDER_SECONDS = 10
MAX_TEMPLATE = 500_000
PDF_SECONDS = 60

FEN = Decimal("0.01")


class NotFound(LookupError):
    """The kind, template or record to print does not exist (or may not be seen): a 404."""


# ---------------------------------------------------------------------------------------------
# Registry of print kinds

@dataclass
class PrintKind:
    code: str
    label: object
    sample_context: object
    placeholders: list
    record_context: object = None
    record_choices: object = None
    permission: tuple = None
    default_template: dict = None
    record_label: object = None
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return str(self.label)


_kinds = {}


def register_kind(code, label, sample_context_fn, placeholders, *, record_context=None,
                  record_choices=None, record_label=None, permission=None, default_template=None, **extra):
    """Declare a kind of printed document.

    code: stable string stored in print_template.kind ("subscription_letter", "receipt" ...).
    label: lazy_gettext label shown to users.
    sample_context_fn(): a dict of made-up data with the same shape as a real record's, used by
        the preview and to check a template when it is saved.
    placeholders: [(expression, description)] or {expression: description}, shown to admins.
    record_context(pk): the context of a real record, or None when it does not exist or the
        current user may not see it (answers 404).
    record_choices(): optional [(pk, label)] of records for the "choose and print" page, whose
        select is labelled record_label (e.g. _l("Department")).
    permission: optional (permission, view) a user needs, besides can_print, to print a record.
    default_template: optional {"name", "html", "paper", "description"} seeded by seed_templates().
    """
    if isinstance(placeholders, dict):
        placeholders = list(placeholders.items())
    if default_template is not None and default_template.get("paper", "a4") not in PAPERS:
        raise ValueError("unknown paper %r" % default_template.get("paper"))
    kind = PrintKind(code, label, sample_context_fn, list(placeholders or []), record_context,
                     record_choices, tuple(permission) if permission else None, default_template,
                     record_label, extra)
    _kinds[code] = kind
    return kind


def get_kind(code):
    return _kinds.get(code)


def require_kind(code):
    kind = _kinds.get(code)
    if kind is None:
        raise NotFound(code)
    return kind


def kinds():
    """Registered kinds, sorted by label in the current language."""
    return sorted(_kinds.values(), key=lambda k: str(k.label))


def kind_label(code):
    kind = _kinds.get(code)
    return str(kind.label) if kind else code


# Placeholders every kind gets, and the filters; shown on the editing page.
COMMON_PLACEHOLDERS = (
    ("today", _l("Today's date (use |date or |date_cn)")),
    ("now", _l("The date and time of printing")),
    ("printed_by", _l("Name of the user who prints")),
)
FILTER_HELP = (
    ("{{ amount|money }}", "¥1,234,567.00"),
    ("{{ amount|money('') }}", "1,234,567.00"),
    ("{{ area|area }}", "89.50㎡"),
    ("{{ day|date }}", "2026-11-26"),
    ("{{ day|date('%Y/%m/%d') }}", "2026/11/26"),
    ("{{ day|date_cn }}", "2026年11月26日"),
    ("{{ amount|amount_in_words }}", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
)


# ---------------------------------------------------------------------------------------------
# Formatting (pure functions, also the template filters)

def _decimal(value):
    """Decimal from a Decimal, int or numeric string. Floats are refused: money is never a float."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError("%r is not a number" % value) from None
    elif isinstance(value, float):
        raise TypeError("amounts must be Decimal, not float")
    else:
        raise TypeError("%r is not a number" % (value,))
    if not result.is_finite():
        raise ValueError("%r is not a finite number" % (value,))
    return result


def _display_decimal(value):
    # Display only: a float literal written in a template ({{ 1.5|money }}) is shown, not refused.
    if isinstance(value, float):
        value = repr(value)
    return _decimal(value)


def format_money(value, symbol="¥", places=2):
    """¥1,234,567.00 (rounded half up); "" for None; negative as -¥1,234.00."""
    if value is None or value == "":
        return ""
    amount = _display_decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return "%s%s%s" % (sign, symbol, "{:,.{p}f}".format(abs(amount), p=int(places)))


def format_area(value, unit="㎡", places=2):
    """89.50㎡; "" for None."""
    if value is None or value == "":
        return ""
    area = _display_decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return "{:.{p}f}{u}".format(area, p=int(places), u=unit)


def format_date(value, fmt="%Y-%m-%d"):
    """2026-11-26 from a date or datetime; "" for None; a string is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        if len(fmt) > 100:
            raise ValueError("date format too long")
        return value.strftime(fmt)
    return str(value)


def format_date_cn(value):
    """2026年11月26日."""
    if value is None or value == "":
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return "%d年%d月%d日" % (value.year, value.month, value.day)
    return str(value)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_WAN = 10 ** 4
_YI = 10 ** 8
MAX_AMOUNT_IN_WORDS = Decimal(10 ** 16)


def _words_below_10000(n):
    """1..9999 → 壹仟零伍 (zeros inside written once, no trailing zero)."""
    out, zero = [], False
    for position in (3, 2, 1, 0):
        digit = n // 10 ** position % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[position])
    return "".join(out)


def _words_below_yi(n):
    """1..99999999 → 壹拾贰万叁仟肆佰伍拾陆."""
    high, low = divmod(n, _WAN)
    out = ""
    if high:
        out = _words_below_10000(high) + "万"
    if low:
        if high and low < 1000:
            out += "零"
        out += _words_below_10000(low)
    return out


def _integer_words(n):
    """1..(10^16 - 1) → words, with 亿 and 万亿."""
    high, low = divmod(n, _YI)
    out = ""
    if high:
        out = _words_below_yi(high) + "亿"
    if low:
        if high and low < 10 ** 7:
            out += "零"
        out += _words_below_yi(low)
    return out


def amount_in_words(amount):
    """Chinese capital amount (大写金额) as written on receipts and cheques.

    123456.78 → 壹拾贰万叁仟肆佰伍拾陆元柒角捌分; 10005 → 壹万零伍元整; 0.05 → 伍分;
    1.50 → 壹元伍角整; 0 → 零元整; -3 → 负叁元整. Zeros inside the number are written once
    (壹仟零伍元); a whole amount, or one that ends in 角, ends with 整; the 零 that the rules
    make optional after a zero 元 digit is left out (壹仟陆佰捌拾元叁角贰分). The amount is
    rounded half up to the fen. It takes a Decimal (or an int or numeric string); a float is
    refused with TypeError, an amount of 10^16 yuan or more with ValueError.
    """
    value = _decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)
    if abs(value) >= MAX_AMOUNT_IN_WORDS:
        raise ValueError("amount too large to write in words: %s" % value)
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    out = sign
    if yuan:
        out += _integer_words(yuan) + "元"
    if jiao:
        out += _DIGITS[jiao] + "角"
    if fen:
        if yuan and not jiao:
            out += "零"
        out += _DIGITS[fen] + "分"
    else:
        out += "整"
    return out


def _amount_in_words_filter(value):
    if value is None or value == "":
        return ""
    return amount_in_words(_display_decimal(value))


# ---------------------------------------------------------------------------------------------
# Rendering (in the sandbox of app/printing/sandbox.py)

_ENV = sandbox.make_environment({
    "money": format_money,
    "area": format_area,
    "date": format_date,
    "date_cn": format_date_cn,
    "amount_in_words": _amount_in_words_filter,
})


def environment():
    return _ENV


def _template_line(exc):
    """The line of the template where a runtime error happened, from Jinja's rewritten traceback."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _with_line(line, message):
    if line:
        return _("Line %(line)d: %(message)s", line=line, message=message)
    return message[:1].upper() + message[1:]


def compile_html(html):
    """The compiled template, or a BusinessError naming the line of the syntax error."""
    if not html or not str(html).strip():
        raise BusinessError(_("The template is empty."))
    if len(str(html)) > MAX_TEMPLATE:
        raise BusinessError(_("The template is too long (at most %(count)d characters).", count=MAX_TEMPLATE))
    try:
        return _ENV.from_string(str(html))
    except TemplateSyntaxError as e:
        raise BusinessError(_with_line(e.lineno, _("the template has a syntax error: %(detail)s",
                                                     detail=e.message))) from None
    except RecursionError:
        raise BusinessError(_("The template is nested too deeply.")) from None
    except Exception as e:  # noqa: BLE001 - anything in a user's template is the user's error
        raise BusinessError(_("The template cannot be read: %(detail)s", detail=str(e))) from None


def render(template, context):
    """Fill in a template (a PrintTemplate or its HTML) with a context; returns HTML text."""
    html = template.html if isinstance(template, PrintTemplate) else template
    compiled = compile_html(html)
    try:
        with sandbox.deadline(RENDER_SECONDS):
            parts, size = [], 0
            for chunk in compiled.generate(dict(context or {})):
                size += len(chunk)
                if size > sandbox.MAX_OUTPUT:
                    raise sandbox.OutputTooLarge()
                parts.append(chunk)
        return "".join(parts)
    except SecurityError as e:
        raise BusinessError(_with_line(_template_line(e), _(
            "the template uses something that is not allowed in print templates (%(detail)s).",
            detail=str(e)))) from None
    except UndefinedError as e:
        raise BusinessError(_with_line(_template_line(e), _(
            "the template uses a placeholder that this kind of document does not have (%(detail)s).",
            detail=str(e)))) from None
    except sandbox.RenderTimeout:
        raise BusinessError(_("The template took more than %(seconds)d seconds to fill in; "
                              "check its loops.", seconds=RENDER_SECONDS)) from None
    except sandbox.OutputTooLarge:
        raise BusinessError(_("The template produces a document that is too large.")) from None
    except RecursionError:
        raise BusinessError(_("The template calls itself too deeply.")) from None
    except MemoryError:
        raise BusinessError(_("The template produces a document that is too large.")) from None
    except Exception as e:  # noqa: BLE001 - template code is user input
        raise BusinessError(_with_line(_template_line(e), _(
            "the template could not be filled in (%(detail)s).", detail=str(e) or type(e).__name__))) from None


# ---------------------------------------------------------------------------------------------
# PDF

def _css_url(path):
    return path.replace("\\", "/").replace('"', '\\"')


_PAGE_RULE = re.compile(r"@page\s*\{", re.IGNORECASE)


def base_css(paper="a4", page_rule=True):
    """xhtml2pdf's default CSS, the embedded CJK font under every usual family name and, unless
    the document has @page rules of its own, the paper and its margins."""
    from xhtml2pdf.default import DEFAULT_CSS
    families = ", ".join('"%s"' % name for name in FONT_ALIASES)
    css = DEFAULT_CSS + """
@font-face { font-family: %(families)s; src: url("%(font)s"); }
@font-face { font-family: %(families)s; src: url("%(font)s"); font-weight: bold; }
html { font-family: %(family)s; font-size: 10.5pt; }
""" % {"families": families, "font": _css_url(FONT_PATH), "family": FONT_FAMILY}
    if page_rule:
        css += "@page { size: %s; margin: 1.5cm; }\n" % PAPER_CSS.get(paper, PAPER_CSS["a4"])
    return css


def apply_paper(html, paper="a4"):
    """The first @page rule xhtml2pdf reads is the one it keeps, so a document with @page rules of
    its own (margins, header and footer frames) gets the paper size put into them instead of a
    second rule. Returns (html, whether the document has its own @page)."""
    size = PAPER_CSS.get(paper, PAPER_CSS["a4"])
    html, count = _PAGE_RULE.subn(lambda _m: "@page { size: %s; " % size, html)
    return html, count > 0


def _policy():
    from xhtml2pdf.config.resources import ResourceAccessPolicy
    # Local reads only from the fonts shipped with Loupan; nothing from the network.
    return ResourceAccessPolicy.server(base_dir=FONT_DIR, allow_remote=False,
                                       max_render_seconds=PDF_SECONDS)


def to_pdf(html, paper="a4"):
    """PDF bytes of an HTML document, with the CJK font embedded. A template can still set its
    own @page rules, fonts from the fonts directory and data: images; nothing else is read."""
    from xhtml2pdf import pisa
    if paper not in PAPER_CSS:
        raise BusinessError(_("Unknown paper size “%(paper)s”.", paper=paper))
    html, own_page = apply_paper(str(html), paper)
    out = io.BytesIO()
    try:
        result = pisa.pisaDocument(html, dest=out, default_css=base_css(paper, page_rule=not own_page),
                                   encoding="utf-8",
                                   resource_policy=_policy())
    except Exception as e:  # noqa: BLE001 - HTML from a template is user input
        log.warning("PDF conversion failed: %s", e, exc_info=True)
        raise BusinessError(_("The document could not be turned into a PDF (%(detail)s). "
                              "Check the HTML of the template.", detail=str(e) or type(e).__name__)) from None
    data = out.getvalue()
    if result.err or not data.startswith(b"%PDF"):
        log.warning("PDF conversion reported %s errors", result.err)
        raise BusinessError(_("The document could not be turned into a PDF. Check the HTML of the template."))
    return data


# ---------------------------------------------------------------------------------------------
# Templates in the database

def _local_now():
    tz_name = "Asia/Shanghai"
    if has_app_context():
        tz_name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", tz_name)
    try:
        import pytz
        return dt.datetime.now(pytz.timezone(tz_name)).replace(tzinfo=None, microsecond=0)
    except Exception:  # noqa: BLE001
        return dt.datetime.now().replace(microsecond=0)


def common_context(printed_by=None):
    now = _local_now()
    return {"today": now.date(), "now": now, "printed_by": printed_by or ""}


def sample_context(kind, printed_by=None):
    context = common_context(printed_by or _("Sample user"))
    context.update(kind.sample_context() or {})
    return context


def check_html(kind_code, html, active=True):
    """A template may be saved: it compiles and, when active, fills in with the sample data."""
    compile_html(html)
    kind = get_kind(kind_code)
    if active and kind is not None:
        render(html, sample_context(kind))


def name_taken(kind_code, name, template_id=None):
    query = db.session.query(PrintTemplate.id).filter(
        PrintTemplate.kind == kind_code, PrintTemplate.name == (name or "").strip())
    if template_id is not None:
        query = query.filter(PrintTemplate.id != template_id)
    with db.session.no_autoflush:
        return query.first() is not None


def check_template(item):
    """Called before a template is saved (form or API): a known kind and paper, a name unique
    in its kind, HTML that works, and at most one active default per kind."""
    item.name = (item.name or "").strip()
    if not item.name:
        raise BusinessError(_("The template needs a name."))
    if get_kind(item.kind) is None:
        raise BusinessError(_("Unknown kind of document “%(kind)s”.", kind=item.kind))
    item.paper = item.paper or "a4"
    if item.paper not in PAPERS:
        raise BusinessError(_("Unknown paper size “%(paper)s”.", paper=item.paper))
    if item.active is None:
        item.active = True
    if item.is_default is None:
        item.is_default = False
    if name_taken(item.kind, item.name, item.id):
        raise BusinessError(_("There is already a template “%(name)s” for %(kind)s.",
                              name=item.name, kind=kind_label(item.kind)))
    if item.is_default and not item.active:
        raise BusinessError(_("A default template must be active."))
    check_html(item.kind, item.html, active=item.active)
    if item.is_default:
        _clear_other_defaults(item)


def _clear_other_defaults(item):
    """Un-default the kind's other templates first, so the partial unique index never sees two."""
    with db.session.no_autoflush:
        query = db.session.query(PrintTemplate).filter(
            PrintTemplate.kind == item.kind, PrintTemplate.is_default == sa.true())
        if item.id is not None:
            query = query.filter(PrintTemplate.id != item.id)
        others = query.all()
    for other in others:
        other.is_default = False
    if others:
        db.session.flush(others)


def save_template(item):
    """Check and store a template (for callers outside the CRUD screens)."""
    check_template(item)
    db.session.add(item)
    db.session.commit()
    return item


def templates_for(kind_code, active_only=True):
    query = db.session.query(PrintTemplate).filter(PrintTemplate.kind == kind_code)
    if active_only:
        query = query.filter(PrintTemplate.active == sa.true())
    return query.order_by(PrintTemplate.is_default.desc(), PrintTemplate.name, PrintTemplate.id).all()


def choose_template(kind_code, template_id=None):
    """The template to print with: the one asked for, else the default, else the first active."""
    if template_id is not None:
        template = db.session.get(PrintTemplate, template_id)
        if template is None or template.kind != kind_code:
            raise NotFound(template_id)
        if not template.active:
            raise BusinessError(_("The template “%(name)s” is not active.", name=template.name))
        return template
    candidates = templates_for(kind_code)
    if not candidates:
        raise BusinessError(_("There is no active print template for “%(kind)s”. An administrator "
                              "can add one under System settings → Print templates.",
                              kind=kind_label(kind_code)))
    return candidates[0]


def render_pdf(template, context):
    return to_pdf(render(template, context), template.paper)


def preview(template, printed_by=None):
    """The template filled in with its kind's sample data, as PDF bytes."""
    kind = get_kind(template.kind)
    if kind is None:
        raise BusinessError(_("Unknown kind of document “%(kind)s”.", kind=template.kind))
    return render_pdf(template, sample_context(kind, printed_by))


def preview_draft(kind_code, html, paper="a4", printed_by=None):
    """Unsaved HTML (from the editing form) filled in with the sample data, as PDF bytes."""
    kind = get_kind(kind_code)
    if kind is None:
        raise BusinessError(_("Choose the kind of document first."))
    if paper not in PAPER_CSS:
        raise BusinessError(_("Unknown paper size “%(paper)s”.", paper=paper))
    return to_pdf(render(html, sample_context(kind, printed_by)), paper)


def record_context(kind, pk, printed_by=None):
    if kind.record_context is None:
        raise NotFound(kind.code)
    data = kind.record_context(pk)
    if data is None:
        raise NotFound(pk)
    context = common_context(printed_by)
    context.update(data)
    return context


def print_record(kind_code, pk, template_id=None, printed_by=None):
    """PDF bytes and a file name for one real record. NotFound → 404, BusinessError → message."""
    kind = require_kind(kind_code)
    context = record_context(kind, pk, printed_by)
    template = choose_template(kind_code, template_id)
    return render_pdf(template, context), "%s-%s.pdf" % (kind_code, pk)


def seed_templates():
    """Create each registered kind's default template where the kind has no template yet.
    Safe to re-run: a kind that has any template (even one an admin renamed) is left alone."""
    created = []
    for kind in kinds():
        seed = kind.default_template
        if not seed:
            continue
        if db.session.query(PrintTemplate.id).filter(PrintTemplate.kind == kind.code).first():
            continue
        template = PrintTemplate(kind=kind.code, name=seed["name"], html=seed["html"],
                                 paper=seed.get("paper", "a4"), description=seed.get("description"),
                                 is_default=True, active=True)
        db.session.add(template)
        created.append(template)
    db.session.commit()
    return created
