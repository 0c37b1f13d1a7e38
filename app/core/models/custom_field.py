import sqlalchemy as sa
from flask_appbuilder import Model

from app.core.models.base import Audited

FIELD_TYPES = ("text", "integer", "decimal", "date", "boolean", "choice")


class CustomFieldDef(Audited, Model):
    """A field that an admin added to a business entity (字段自定义)."""

    __tablename__ = "custom_field_def"
    __table_args__ = (sa.UniqueConstraint("entity", "name", name="uq_custom_field_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    entity = sa.Column(sa.String(50), nullable=False, index=True)
    name = sa.Column(sa.String(50), nullable=False)
    label = sa.Column(sa.String(100), nullable=False)
    field_type = sa.Column(sa.String(20), nullable=False, default="text")
    lookup_list_code = sa.Column(sa.String(50), sa.ForeignKey("lookup_list.code"))
    required = sa.Column(sa.Boolean, nullable=False, default=False)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)
    show_in_list = sa.Column(sa.Boolean, nullable=False, default=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True)

    def __str__(self):
        return self.label


class FieldLabel(Audited, Model):
    """An admin's own name for a built-in field, e.g. 物业类型 instead of 房类."""

    __tablename__ = "field_label"
    __table_args__ = (sa.UniqueConstraint("entity", "field", name="uq_field_label"),)
    id = sa.Column(sa.Integer, primary_key=True)
    entity = sa.Column(sa.String(50), nullable=False)
    field = sa.Column(sa.String(50), nullable=False)
    label = sa.Column(sa.String(100), nullable=False)
