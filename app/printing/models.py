"""Printing (打印): the HTML templates that documents are printed from."""
import sqlalchemy as sa
from flask_appbuilder import Model

from app.core.models import Audited, utcnow

# Paper codes; the CSS @page size of each is in services.PAPER_CSS.
PAPERS = ("a4", "a4_landscape", "a5", "a5_landscape")


class PrintTemplate(Audited, Model):
    """An admin-edited HTML template for one kind of document (认购书, 收据, 花名册 ...).

    A kind may have several templates (a project's own contract layout, say); at most one of
    them is the kind's default, which the database enforces with a partial unique index.
    The HTML is a Jinja template rendered in a sandbox; see app/printing/services/engine.py.
    """

    __tablename__ = "print_template"
    __table_args__ = (
        sa.UniqueConstraint("kind", "name", name="uq_print_template_kind_name"),
        sa.Index("uq_print_template_default", "kind", unique=True,
                 postgresql_where=sa.text("is_default"), sqlite_where=sa.text("is_default = 1")),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(50), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)
    description = sa.Column(sa.String(300))
    html = sa.Column(sa.Text, nullable=False)
    paper = sa.Column(sa.String(20), nullable=False, default="a4")
    is_default = sa.Column(sa.Boolean, nullable=False, default=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def __str__(self):
        return self.name
