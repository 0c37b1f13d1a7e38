"""Discount policies (折扣方案) of a project and discount authority (折扣权限).

A policy takes a percentage of the price (98 = 98折), an amount off the total, or an amount off
the unit price (× gross area). Its category says when it applies: an ordinary discount the
salesperson chooses, a discount tied to a payment plan (only with that plan), or a special
discount (员工价, 老带新, 团购) that, with a customer source, applies by itself to customers of
that source. Policies apply in the order of their sequence numbers (lower first: a percentage at
10 and a reduction at 20 is 先折后减); the result is rounded once at the end by the project's rule.

An authority row says, for a role or for one user, the largest total discount (percent of the
list price) and the lowest final price relative to the room's floor price (底价) they may give on
their own; beyond that a trial goes to approval."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited

DISCOUNT_METHODS = ("percent", "amount", "unit_amount")
DISCOUNT_CATEGORIES = ("ordinary", "plan", "special")


class DiscountPolicy(Audited, Model):
    __tablename__ = "discount_policy"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_discount_policy_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    category = sa.Column(sa.String(10), nullable=False, default="ordinary")
    method = sa.Column(sa.String(12), nullable=False, default="percent")
    # percent: what the buyer pays (98 = 98折); amount: yuan off the total; unit_amount: yuan/㎡.
    value = sa.Column(sa.Numeric(14, 2), nullable=False)
    sequence = sa.Column(sa.Integer, nullable=False, default=10)
    stackable = sa.Column(sa.Boolean, nullable=False, default=False)
    valid_from = sa.Column(sa.Date, nullable=False)
    valid_to = sa.Column(sa.Date)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    # Tied to a payment plan (category "plan").
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("payment_plan.id"), index=True)
    plan = relationship("PaymentPlan", lazy="joined")
    # Special discounts: the customer source (来访渠道, e.g. 老带新) that qualifies automatically.
    customer_source = sa.Column(sa.String(100))
    # The rooms: every room of the project, or only one building and/or one property type.
    building_id = sa.Column(sa.Integer, sa.ForeignKey("building.id"))
    building = relationship("Building", lazy="joined")
    property_type_id = sa.Column(sa.Integer, sa.ForeignKey("property_type.id"))
    property_type = relationship("PropertyType", lazy="joined")
    description = sa.Column(sa.String(500))

    def __str__(self):
        return self.name


class DiscountAuthority(Audited, Model):
    __tablename__ = "discount_authority"
    id = sa.Column(sa.Integer, primary_key=True)
    role_id = sa.Column(sa.Integer, sa.ForeignKey("ab_role.id"), unique=True)
    role = relationship("Role", lazy="joined")
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), unique=True)
    user = relationship("User", lazy="joined")
    max_discount = sa.Column(sa.Numeric(5, 2), nullable=False, default=0)  # percent of the list price
    min_floor_ratio = sa.Column(sa.Numeric(6, 2))  # percent of the floor price; empty: not limited
    note = sa.Column(sa.String(200))

    def __str__(self):
        return str(self.user or self.role or "")
