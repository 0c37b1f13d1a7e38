"""Inventory (房源): projects, phases, buildings, units and the rooms sold in them, with their
layouts, property types, presale permits and room statuses."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import deferred, relationship

from app.core.models import Audited, CustomFieldsMixin
from app.org.models import Department

# The room statuses of DESIGN.md, in their order on the sales-control chart; codes are fixed,
# names and colours are admin-editable rows of room_status.
ROOM_STATUSES = ("unreleased", "available", "held", "booked", "subscribed", "signed", "not_for_sale")
PRICE_ROUNDINGS = ("fen", "yuan")


class RoomStatus(Audited, Model):
    __tablename__ = "room_status"
    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(20), unique=True, nullable=False)
    name = sa.Column(sa.String(50), nullable=False)
    colour = sa.Column(sa.String(7), nullable=False, default="#999999")
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return self.name


class Project(Audited, Model):
    """A development (项目/楼盘): the unit of sales permissions and reports."""

    __tablename__ = "project"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)
    code = sa.Column(sa.String(30), unique=True, nullable=False)
    city = sa.Column(sa.String(50))
    address = sa.Column(sa.String(200))
    developer_id = sa.Column(sa.Integer, sa.ForeignKey("department.id"), nullable=False, index=True)
    developer = relationship(Department, lazy="joined", innerjoin=True)
    price_rounding = sa.Column(sa.String(10), nullable=False, default="fen")
    hold_hours = sa.Column(sa.Integer, nullable=False, default=24)
    booking_days = sa.Column(sa.Integer, nullable=False, default=7)
    active = sa.Column(sa.Boolean, nullable=False, default=True)

    def __str__(self):
        return self.name


class PropertyType(Audited, Model):
    __tablename__ = "property_type"
    __table_args__ = (sa.UniqueConstraint("project_id", "code", name="uq_property_type_code"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    code = sa.Column(sa.String(30), nullable=False)
    is_parking = sa.Column(sa.Boolean, nullable=False, default=False)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return self.name


class Layout(Audited, Model):
    """A floor plan type (户型), e.g. 三室两厅两卫 A户型."""

    __tablename__ = "layout"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_layout_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    bedrooms = sa.Column(sa.Integer, nullable=False, default=0)
    living_rooms = sa.Column(sa.Integer, nullable=False, default=0)
    bathrooms = sa.Column(sa.Integer, nullable=False, default=0)
    typical_area = sa.Column(sa.Numeric(10, 2))
    # The floor-plan image itself is loaded only when it is shown, never with a list.
    floor_plan = deferred(sa.Column(sa.LargeBinary))
    floor_plan_type = sa.Column(sa.String(30))

    @property
    def floor_plan_ref(self):
        """The layout's id when it has a floor plan (what the pages link the image by)."""
        return self.id if self.floor_plan_type else None

    def __str__(self):
        return self.name


class Phase(Audited, Model):
    __tablename__ = "phase"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_phase_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return self.name


presale_permit_building = sa.Table(
    "presale_permit_building", Model.metadata,
    sa.Column("permit_id", sa.Integer, sa.ForeignKey("presale_permit.id"), primary_key=True),
    sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id"), primary_key=True),
)


class Building(Audited, Model):
    __tablename__ = "building"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_building_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    phase_id = sa.Column(sa.Integer, sa.ForeignKey("phase.id"), index=True)
    phase = relationship("Phase", lazy="joined")
    name = sa.Column(sa.String(50), nullable=False)
    floors_above = sa.Column(sa.Integer, nullable=False, default=1)
    floors_below = sa.Column(sa.Integer, nullable=False, default=0)
    units_count = sa.Column(sa.Integer, nullable=False, default=1)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return self.name


class PresalePermit(Audited, Model):
    """A presale permit (预售证) and the buildings it allows to be sold."""

    __tablename__ = "presale_permit"
    __table_args__ = (sa.UniqueConstraint("project_id", "number", name="uq_presale_permit_number"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    number = sa.Column(sa.String(50), nullable=False)
    issue_date = sa.Column(sa.Date)
    valid_to = sa.Column(sa.Date)
    buildings = relationship("Building", secondary=presale_permit_building, lazy="selectin",
                             order_by="Building.sort_order, Building.id")

    def __str__(self):
        return self.number


class Unit(Audited, Model):
    """A stairwell section (单元) of a building, not the apartment."""

    __tablename__ = "unit"
    __table_args__ = (sa.UniqueConstraint("building_id", "name", name="uq_unit_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    building_id = sa.Column(sa.Integer, sa.ForeignKey("building.id"), nullable=False, index=True)
    building = relationship("Building", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return "%s-%s" % (self.building.name, self.name) if self.building is not None else self.name


class Room(Audited, CustomFieldsMixin, Model):
    """The thing sold: an apartment, shop, office or parking space."""

    __tablename__ = "room"
    __custom_entity__ = "room"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "code", name="uq_room_code"),
        sa.Index("ix_room_project_status", "project_id", "status"),
        sa.Index("ix_room_building_floor", "building_id", "floor"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    # Loaded with the room: every list shows them (no query per row).
    project = relationship("Project", lazy="joined", innerjoin=True)
    building_id = sa.Column(sa.Integer, sa.ForeignKey("building.id"), nullable=False)
    building = relationship("Building", lazy="joined", innerjoin=True)
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("unit.id"), index=True)
    unit = relationship("Unit", lazy="joined")
    floor = sa.Column(sa.Integer, nullable=False)
    number = sa.Column(sa.String(20), nullable=False)
    code = sa.Column(sa.String(80), nullable=False)
    layout_id = sa.Column(sa.Integer, sa.ForeignKey("layout.id"), index=True)
    layout = relationship("Layout", lazy="joined")
    property_type_id = sa.Column(sa.Integer, sa.ForeignKey("property_type.id"), nullable=False, index=True)
    property_type = relationship("PropertyType", lazy="joined", innerjoin=True)
    orientation_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    orientation = relationship("LookupValue", foreign_keys=[orientation_id], lazy="joined")
    view_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    view = relationship("LookupValue", foreign_keys=[view_id], lazy="joined")
    decoration_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    decoration = relationship("LookupValue", foreign_keys=[decoration_id], lazy="joined")
    area_gross = sa.Column(sa.Numeric(10, 2), nullable=False)
    area_inner = sa.Column(sa.Numeric(10, 2))
    list_unit_price = sa.Column(sa.Numeric(12, 2))
    list_total_price = sa.Column(sa.Numeric(14, 2))
    floor_price = sa.Column(sa.Numeric(14, 2))
    # Changed only by release, the deal services and mark_(not_)for_sale; never by a form.
    status = sa.Column(sa.String(20), sa.ForeignKey("room_status.code"), nullable=False, default="unreleased")
    status_info = relationship("RoomStatus", lazy="joined", innerjoin=True, viewonly=True)
    release_batch_id = sa.Column(sa.Integer, sa.ForeignKey("release_batch.id"), index=True)
    release_batch = relationship("ReleaseBatch", lazy="joined")

    @property
    def area_shared(self):
        """The shared part (公摊) of the gross area."""
        if self.area_gross is None or self.area_inner is None:
            return None
        return self.area_gross - self.area_inner

    def __str__(self):
        return self.code
from app.inventory.models.release import ReleaseBatch  # noqa: E402,F401
from app.inventory.models.pricing import PriceAdjustment, PriceAdjustmentLine, PriceFactor, PriceHistory  # noqa: E402,F401
from app.inventory.models.imports import RoomImport  # noqa: E402,F401
