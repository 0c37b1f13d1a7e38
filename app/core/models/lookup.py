import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models.base import Audited


class LookupList(Audited, Model):
    """A list of choices (选项字段) that admins maintain, e.g. 客户级别 or 朝向."""

    __tablename__ = "lookup_list"
    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(50), unique=True, nullable=False)
    name = sa.Column(sa.String(100), nullable=False)
    description = sa.Column(sa.String(500))
    values = relationship("LookupValue", back_populates="lookup_list",
                          order_by="LookupValue.sort_order, LookupValue.id")

    def __str__(self):
        return self.name


class LookupValue(Audited, Model):
    __tablename__ = "lookup_value"
    __table_args__ = (sa.UniqueConstraint("list_code", "name", name="uq_lookup_value_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    list_code = sa.Column(sa.String(50), sa.ForeignKey("lookup_list.code"), nullable=False, index=True)
    lookup_list = relationship("LookupList", back_populates="values")
    name = sa.Column(sa.String(100), nullable=False)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)
    active = sa.Column(sa.Boolean, nullable=False, default=True)

    def __str__(self):
        return self.name
