"""Pricing (定价): the factors a project's list prices are computed from, the approved price
adjustments (调价单) with their per-room lines, and each room's price history.

How a room's prices follow from the factors is defined in app/inventory/services/pricing.py."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.core.models.base import utcnow

# kind of factor: base unit price, per-floor table row, step per floor from a reference floor,
# orientation, view, layout, an admin's own factor (临街, 边套 …), and the floor-price ratio.
FACTOR_KINDS = ("base", "floor", "floor_step", "orientation", "view", "layout", "custom", "floor_price")
# How an adjustment factor acts: an amount per m² (+300) or a coefficient (×1.02).
FACTOR_METHODS = ("amount", "coefficient")
ADJUSTMENT_METHODS = ("percent", "amount", "factors")
ADJUSTMENT_STATUSES = ("pending", "approved", "rejected", "withdrawn")

price_factor_room = sa.Table(
    "price_factor_room", Model.metadata,
    sa.Column("factor_id", sa.Integer, sa.ForeignKey("price_factor.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("room_id", sa.Integer, sa.ForeignKey("room.id", ondelete="CASCADE"), primary_key=True),
)


class PriceFactor(Audited, Model):
    """One pricing factor of a project. Optional conditions (building, property type, floor range,
    room-number ending, chosen rooms) limit the rooms it applies to; every set condition must hold."""

    __tablename__ = "price_factor"
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    kind = sa.Column(sa.String(20), nullable=False)
    name = sa.Column(sa.String(50))
    method = sa.Column(sa.String(20), nullable=False, default="amount")
    value = sa.Column(sa.Numeric(12, 4), nullable=False)
    # conditions
    building_id = sa.Column(sa.Integer, sa.ForeignKey("building.id"), index=True)
    building = relationship("Building", lazy="joined")
    property_type_id = sa.Column(sa.Integer, sa.ForeignKey("property_type.id"), index=True)
    property_type = relationship("PropertyType", lazy="joined")
    floor_from = sa.Column(sa.Integer)
    floor_to = sa.Column(sa.Integer)
    ref_floor = sa.Column(sa.Integer)
    orientation_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    orientation = relationship("LookupValue", foreign_keys=[orientation_id], lazy="joined")
    view_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    view = relationship("LookupValue", foreign_keys=[view_id], lazy="joined")
    layout_id = sa.Column(sa.Integer, sa.ForeignKey("layout.id"))
    layout = relationship("Layout", lazy="joined")
    number_suffix = sa.Column(sa.String(10))
    rooms = relationship("Room", secondary=price_factor_room, lazy="selectin", order_by="Room.code")
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return self.name or self.kind


class PriceAdjustment(Audited, Model):
    """A batch change of list prices (调价单), applied when its approval request is approved."""

    __tablename__ = "price_adjustment"
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    title = sa.Column(sa.String(100), nullable=False)
    method = sa.Column(sa.String(20), nullable=False)
    value = sa.Column(sa.Numeric(12, 4))
    status = sa.Column(sa.String(20), nullable=False, default="pending", index=True)
    reason = sa.Column(sa.String(1000))
    room_ids = sa.Column(sa.JSON, nullable=False, default=list)
    room_count = sa.Column(sa.Integer, nullable=False, default=0)
    skipped_count = sa.Column(sa.Integer, nullable=False, default=0)
    approval_request_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"), index=True)
    approval_request = relationship("ApprovalRequest", lazy="joined")
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), nullable=False)
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    applied_at = sa.Column(sa.DateTime)

    def __str__(self):
        return self.title


class PriceAdjustmentLine(Model):
    """One room of an adjustment: the figures shown in the preview are the figures applied."""

    __tablename__ = "price_adjustment_line"
    __table_args__ = (sa.UniqueConstraint("adjustment_id", "room_id", name="uq_price_adjustment_line_room"),)
    id = sa.Column(sa.Integer, primary_key=True)
    adjustment_id = sa.Column(sa.Integer, sa.ForeignKey("price_adjustment.id"), nullable=False, index=True)
    adjustment = relationship("PriceAdjustment", lazy="select")
    room_id = sa.Column(sa.Integer, sa.ForeignKey("room.id"), nullable=False, index=True)
    room = relationship("Room", lazy="joined", innerjoin=True)
    old_unit_price = sa.Column(sa.Numeric(12, 2))
    old_total_price = sa.Column(sa.Numeric(14, 2))
    old_floor_price = sa.Column(sa.Numeric(14, 2))
    new_unit_price = sa.Column(sa.Numeric(12, 2))
    new_total_price = sa.Column(sa.Numeric(14, 2))
    new_floor_price = sa.Column(sa.Numeric(14, 2))
    # Why the room keeps its price: active_deal, changed (since the preview), no_price, no_base, unchanged.
    skipped = sa.Column(sa.String(20))

    def __str__(self):
        return str(self.room_id)


class PriceHistory(Model):
    """A room's list prices before and after each change (append-only)."""

    __tablename__ = "price_history"
    id = sa.Column(sa.Integer, primary_key=True)
    room_id = sa.Column(sa.Integer, sa.ForeignKey("room.id"), nullable=False, index=True)
    room = relationship("Room", lazy="joined", innerjoin=True)
    adjustment_id = sa.Column(sa.Integer, sa.ForeignKey("price_adjustment.id"), index=True)
    adjustment = relationship("PriceAdjustment", lazy="joined")
    changed_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    changed_by = relationship("User", foreign_keys=[changed_by_id], lazy="joined")
    changed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    old_unit_price = sa.Column(sa.Numeric(12, 2))
    old_total_price = sa.Column(sa.Numeric(14, 2))
    old_floor_price = sa.Column(sa.Numeric(14, 2))
    new_unit_price = sa.Column(sa.Numeric(12, 2))
    new_total_price = sa.Column(sa.Numeric(14, 2))
    new_floor_price = sa.Column(sa.Numeric(14, 2))

    def __str__(self):
        return str(self.id)
