"""Organisation (组织架构): companies and departments as one tree, employees linked to logins."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.crypto import EncryptedString
from app.core.models import Audited, CustomFieldsMixin

DEPARTMENT_KINDS = ("group", "company", "department", "sales_team")
EMPLOYEE_STATUSES = ("active", "suspended", "left")


class Department(Audited, Model):
    """A node of the organisation tree: 集团 → 区域公司 → 项目部/销售部."""

    __tablename__ = "department"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)
    code = sa.Column(sa.String(30), unique=True, nullable=False)
    kind = sa.Column(sa.String(20), nullable=False, default="department")
    parent_id = sa.Column(sa.Integer, sa.ForeignKey("department.id"), index=True)
    parent = relationship("Department", remote_side=[id], back_populates="children", lazy="joined",
                          join_depth=1)
    children = relationship("Department", back_populates="parent", order_by="Department.sort_order")
    region_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    region = relationship("LookupValue", lazy="joined")
    phone = sa.Column(sa.String(30))
    address = sa.Column(sa.String(200))
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    employees = relationship("Employee", back_populates="department")

    def __str__(self):
        return self.name


class Employee(Audited, CustomFieldsMixin, Model):
    __tablename__ = "employee"
    __custom_entity__ = "employee"
    __encrypted_fields__ = ("phone", "id_number")
    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(30), unique=True, nullable=False)
    name = sa.Column(sa.String(50), nullable=False)
    department_id = sa.Column(sa.Integer, sa.ForeignKey("department.id"), nullable=False, index=True)
    # Loaded with the employee: every list shows them (no query per row).
    department = relationship("Department", back_populates="employees", lazy="joined", innerjoin=True)
    position = sa.Column(sa.String(50))
    phone = sa.Column(EncryptedString)
    phone_hash = sa.Column(sa.String(64), index=True)
    id_number = sa.Column(EncryptedString)
    id_number_hash = sa.Column(sa.String(64), index=True)
    hire_date = sa.Column(sa.Date)
    status = sa.Column(sa.String(20), nullable=False, default="active")
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), unique=True)
    user = relationship("User", lazy="joined")

    def __str__(self):
        return "%s (%s)" % (self.name, self.number)
