from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.services import custom_fields as cf
from app.core.views.base import LoupanModelRestApi
from app.inventory.models import Building, Layout, Project, PropertyType, Room, Unit
from app.inventory.views import (BuildingView, LayoutView, ProjectView, PropertyTypeView, RoomView,
                                 UnitView)


class ProjectApi(LoupanModelRestApi):
    resource_name = "projects"
    datamodel = SQLAInterface(Project)
    permissions_of = ProjectView
    list_columns = show_columns = ["id", "name", "code", "city", "address", "developer_id", "price_rounding",
                                   "hold_hours", "booking_days", "active"]
    add_columns = edit_columns = ["name", "code", "city", "address", "developer", "price_rounding",
                                  "hold_hours", "booking_days", "active"]


class BuildingApi(LoupanModelRestApi):
    resource_name = "buildings"
    datamodel = SQLAInterface(Building)
    permissions_of = BuildingView
    list_columns = show_columns = ["id", "project_id", "phase_id", "name", "floors_above", "floors_below",
                                   "units_count", "sort_order"]
    add_columns = edit_columns = ["project", "phase", "name", "floors_above", "floors_below", "units_count",
                                  "sort_order"]


class UnitApi(LoupanModelRestApi):
    resource_name = "units"
    datamodel = SQLAInterface(Unit)
    permissions_of = UnitView
    list_columns = show_columns = ["id", "building_id", "name", "sort_order"]
    add_columns = edit_columns = ["building", "name", "sort_order"]


class LayoutApi(LoupanModelRestApi):
    resource_name = "layouts"
    datamodel = SQLAInterface(Layout)
    permissions_of = LayoutView
    list_columns = show_columns = ["id", "project_id", "name", "bedrooms", "living_rooms", "bathrooms",
                                   "typical_area"]
    add_columns = edit_columns = ["project", "name", "bedrooms", "living_rooms", "bathrooms", "typical_area"]


class PropertyTypeApi(LoupanModelRestApi):
    resource_name = "property_types"
    datamodel = SQLAInterface(PropertyType)
    permissions_of = PropertyTypeView
    list_columns = show_columns = ["id", "project_id", "name", "code", "is_parking", "sort_order"]
    add_columns = edit_columns = ["project", "name", "code", "is_parking", "sort_order"]


class RoomApi(LoupanModelRestApi):
    resource_name = "rooms"
    datamodel = SQLAInterface(Room)
    permissions_of = RoomView
    # status and release_batch_id are read-only: release, deals and the mark actions change them.
    list_columns = show_columns = ["id", "project_id", "building_id", "unit_id", "code", "floor", "number",
                                   "layout_id", "property_type_id", "orientation_id", "view_id",
                                   "decoration_id", "area_gross", "area_inner", "area_shared",
                                   "list_unit_price", "list_total_price", "floor_price", "status",
                                   "release_batch_id", "custom"]
    add_columns = edit_columns = ["building", "unit", "floor", "number", "code", "layout", "property_type",
                                  "orientation", "view", "decoration", "area_gross", "area_inner",
                                  "list_unit_price", "list_total_price", "floor_price", "custom"]
    search_columns = ["project", "building", "unit", "floor", "layout", "property_type", "orientation", "view",
                      "decoration", "area_gross", "list_unit_price", "list_total_price", "status", "code"]

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # Without a code the services compose it from building, unit and number.
        self.add_model_schema.fields["code"].required = False

    def before_add(self, item):
        # The page takes custom fields from its form; the API takes the `custom` object.
        item.custom = cf.clean_values("room", item.custom)
        super().before_add(item)

    def before_update(self, item):
        item.custom = cf.clean_values("room", item.custom)
        super().before_update(item)
