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

One file per concept; this package re-exports their public names, so callers keep writing
services.register_kind(), services.render(), services.to_pdf() ...:

    registry.py    the print kinds (PrintKind, register_kind, kinds ...), NotFound, the help texts
    formatting.py  money, area and date formatting (the money/area/date/date_cn filters)
    words.py       amount_in_words (大写金额)
    engine.py      the sandboxed environment with those filters, compile_html, render
    pdf.py         to_pdf: fonts, paper sizes, what xhtml2pdf may read
    templates.py   templates in the database: save rules, choosing, preview, print, seeding

A setting such as RENDER_SECONDS is read where it is used: to change it (in a test), set it
on its own file (engine.RENDER_SECONDS), not on this package.
"""
from app.printing.services import engine, formatting, pdf, registry, templates, words
from app.printing.services.engine import MAX_TEMPLATE, RENDER_SECONDS, compile_html, environment, render
from app.printing.services.formatting import format_area, format_date, format_date_cn, format_money
from app.printing.services.pdf import (FONT_ALIASES, FONT_DIR, FONT_FAMILY, FONT_PATH, PAPER_CSS, PDF_SECONDS,
                                       apply_paper, base_css, to_pdf)
from app.printing.services.registry import (COMMON_PLACEHOLDERS, FILTER_HELP, NotFound, PrintKind, _kinds,
                                            get_kind, kind_label, kinds, register_kind, require_kind)
from app.printing.services.templates import (check_html, check_template, choose_template, common_context,
                                             name_taken, preview, preview_draft, print_record, record_context,
                                             render_pdf, sample_context, save_template, seed_templates,
                                             templates_for)
from app.printing.services.words import FEN, MAX_AMOUNT_IN_WORDS, amount_in_words

__all__ = [
    # the files
    "engine", "formatting", "pdf", "registry", "templates", "words",
    # registry.py
    "COMMON_PLACEHOLDERS", "FILTER_HELP", "NotFound", "PrintKind", "get_kind", "kind_label", "kinds",
    "register_kind", "require_kind",
    # formatting.py and words.py
    "format_area", "format_date", "format_date_cn", "format_money",
    "FEN", "MAX_AMOUNT_IN_WORDS", "amount_in_words",
    # engine.py
    "MAX_TEMPLATE", "RENDER_SECONDS", "compile_html", "environment", "render",
    # pdf.py
    "FONT_ALIASES", "FONT_DIR", "FONT_FAMILY", "FONT_PATH", "PAPER_CSS", "PDF_SECONDS", "apply_paper",
    "base_css", "to_pdf",
    # templates.py
    "check_html", "check_template", "choose_template", "common_context", "name_taken", "preview",
    "preview_draft", "print_record", "record_context", "render_pdf", "sample_context", "save_template",
    "seed_templates", "templates_for",
]
