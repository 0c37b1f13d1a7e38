"""Inventory (房源): projects, phases, buildings, units, rooms, layouts, property types and the
room statuses."""
from flask_babel import lazy_gettext as _l

INVENTORY = "Inventory"
PROJECTS = "Projects"
BUILDINGS = "Buildings"
ROOMS = "Rooms"
LAYOUTS = "Layouts"
PROPERTY_TYPES = "Property types"
ROOM_STATUSES = "Room statuses"

_registered = False


def init_app(app, appbuilder):
    global _registered
    from app import demo
    from app.core import roles
    from app.core.services import custom_fields, setup
    from app.inventory import api, services, views
    from app.inventory import demo as inventory_demo
    from app.inventory.models import Room

    custom_fields.register_entity("room", Room, _l("Room"))
    setup.register_seed(services.seed_statuses)
    if not _registered:
        # One loader however many apps a process builds (the tests build several).
        demo.register(inventory_demo.load)
        _registered = True

    appbuilder.add_view(views.ProjectView, PROJECTS, label=_l("Projects"), icon="fa-city", category=INVENTORY,
                        category_label=_l("Inventory"), category_icon="fa-warehouse")
    appbuilder.add_view(views.BuildingView, BUILDINGS, label=_l("Buildings"), icon="fa-building", category=INVENTORY)
    appbuilder.add_view(views.RoomView, ROOMS, label=_l("Rooms"), icon="fa-door-open", category=INVENTORY)
    appbuilder.add_view(views.LayoutView, LAYOUTS, label=_l("Layouts"), icon="fa-vector-square", category=INVENTORY)
    appbuilder.add_view(views.PropertyTypeView, PROPERTY_TYPES, label=_l("Property types"), icon="fa-tags",
                        category=INVENTORY)
    appbuilder.add_view(views.RoomStatusView, ROOM_STATUSES, label=_l("Room statuses"), icon="fa-palette",
                        category=INVENTORY)
    # Reached from the project and building pages (related lists).
    for view in (views.PhaseView, views.PresalePermitView, views.UnitView):
        appbuilder.add_view_no_menu(view)
    for resource in (api.ProjectApi, api.BuildingApi, api.UnitApi, api.LayoutApi, api.PropertyTypeApi, api.RoomApi):
        appbuilder.add_api(resource)

    read_all = {name: roles.READ for name in ("ProjectView", "PhaseView", "PresalePermitView", "BuildingView",
                                              "UnitView", "LayoutView", "PropertyTypeView", "RoomStatusView")}
    read_all["RoomView"] = roles.READ + ("can_export", "can_mark_not_for_sale", "can_mark_for_sale")
    read_rooms = {"ProjectView": roles.READ, "RoomView": roles.READ}
    roles.extend(
        permissions={roles.MANAGER: read_all, roles.SALES: read_rooms, roles.FINANCE: read_rooms,
                     roles.SERVICE: read_rooms},
        menus={roles.MANAGER: [INVENTORY, PROJECTS, BUILDINGS, ROOMS, LAYOUTS, PROPERTY_TYPES],
               roles.SALES: [INVENTORY, PROJECTS, ROOMS], roles.FINANCE: [INVENTORY, PROJECTS, ROOMS],
               roles.SERVICE: [INVENTORY, PROJECTS, ROOMS]},
    )
