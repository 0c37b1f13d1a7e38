"""Templates in the database: the rules for saving one, which template prints what, the
preview with sample data, printing a real record, and the seeding of default templates.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.printing.models import PAPERS, PrintTemplate
from app.printing.services.engine import compile_html, render
from app.printing.services.pdf import PAPER_CSS, to_pdf
from app.printing.services.registry import NotFound, get_kind, kind_label, kinds, require_kind


def common_context(printed_by=None):
    now = clock.local_now()
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
