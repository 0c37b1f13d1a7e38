"""HTML → PDF with xhtml2pdf, with the CJK font shipped in app/printing/fonts embedded under
every usual family name, and the paper size put into the document's @page rules.
"""
import io
import logging
import os
import re

from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.printing.models import PAPERS

log = logging.getLogger(__name__)

# The fonts directory is app/printing/fonts, one level above this package.
FONT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fonts")
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

# Limit: time to make the PDF.
PDF_SECONDS = 60


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
