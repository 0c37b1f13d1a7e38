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
PRICE_FACTORS = "Pricing factors"
PRICE_ADJUSTMENTS = "Price adjustments"
ROOM_GENERATION = "Generate rooms"
ROOM_IMPORT = "Import rooms"
ROOM_SEARCH = "Room search"
RELEASE_BATCHES = "Release batches"

_registered = False


def init_app(app, appbuilder):
    global _registered
    from app import demo
    from app.core import roles
    from app.core.services import custom_fields, setup
    from app.inventory import api, services, views
    from app.inventory.views import pricing as _pricing_views  # noqa: F401 (tabs on the project and room pages)
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

    # Release (推盘/加推) and room search (房源查询); the search and the release form share the
    # room list's permissions (can_list, can_release).
    from app.inventory.api import release as release_api
    from app.inventory.views import release as release_views
    appbuilder.add_view(release_views.RoomSearchView, ROOM_SEARCH, label=_l("Room search"), icon="fa-search",
                        category=INVENTORY)
    appbuilder.add_view(release_views.ReleaseBatchView, RELEASE_BATCHES, label=_l("Release batches"),
                        icon="fa-bullhorn", category=INVENTORY)
    appbuilder.add_view_no_menu(release_views.ReleaseRoomsView)
    for resource in (release_api.PhaseApi, release_api.PresalePermitApi, release_api.RoomStatusApi,
                     release_api.ReleaseBatchApi, release_api.RoomActionApi):
        appbuilder.add_api(resource)
    roles.extend(
        permissions={roles.MANAGER: {"RoomView": ("can_release",), "ReleaseBatchView": roles.READ + ("can_edit",)},
                     roles.SALES: {"ReleaseBatchView": roles.READ}, roles.FINANCE: {"ReleaseBatchView": roles.READ},
                     roles.SERVICE: {"ReleaseBatchView": roles.READ}},
        menus={role: [INVENTORY, ROOM_SEARCH, RELEASE_BATCHES]
               for role in (roles.MANAGER, roles.SALES, roles.FINANCE, roles.SERVICE)},
    )

    # Batch generation (批量生成) and batch edit (批量修改): managers and admins.
    from app.inventory.views import batch_edit as batch_edit_views
    from app.inventory.views import generation as generation_views
    appbuilder.add_view(generation_views.RoomGenerationView, ROOM_GENERATION, label=_l("Generate rooms"),
                        icon="fa-th", category=INVENTORY)
    appbuilder.add_view_no_menu(batch_edit_views.RoomBatchEditView)
    roles.extend(
        permissions={roles.MANAGER: {"RoomGenerationView": ("can_generate",),
                                     "RoomBatchEditView": ("can_batch_edit",),
                                     "RoomView": ("can_batch_edit",)}},
        menus={roles.MANAGER: [INVENTORY, ROOM_GENERATION]},
    )

    # Excel import (批量导入): managers and admins; the export is the room list's (can_export).
    from app.extensions import csrf
    from app.inventory.views import imports as import_views
    appbuilder.add_view(import_views.RoomImportView, ROOM_IMPORT, label=_l("Import rooms"), icon="fa-file-import",
                        category=INVENTORY)
    # The upload checks its size before reading the body, then its CSRF token itself.
    csrf.exempt("app.inventory.views.imports.upload")
    roles.extend(permissions={roles.MANAGER: {"RoomImportView": ("can_import",)}},
                 menus={roles.MANAGER: [INVENTORY, ROOM_IMPORT]})
    from app.inventory.services import imports as import_services
    from app.jobs.services import register_job
    register_job("room_import_files", import_services.remove_old_files, cron="40 3 * * *",
                 label=_l("Remove the files of room imports finished over 7 days ago"))

    # Pricing (定价系数, 调价单, 价目表): factors on the project page, the re-price page, adjustments
    # approved in the approvals inbox, price history on the room page, the price list.
    from app.inventory import demo_pricing
    from app.inventory.api import pricing as pricing_api
    from app.inventory.services import price_adjustment, price_list
    from app.inventory.views import pricing as pricing_views
    demo_pricing.register()  # after the inventory demo loader: it prices 云璟花园
    price_adjustment.register()
    price_list.register()
    views.ProjectView.add_link_provider(pricing_views.project_links)
    appbuilder.add_view(pricing_views.PriceFactorView, PRICE_FACTORS, label=_l("Pricing factors"),
                        icon="fa-sliders-h", category=INVENTORY)
    appbuilder.add_view(pricing_views.PriceAdjustmentView, PRICE_ADJUSTMENTS, label=_l("Price adjustments"),
                        icon="fa-chart-line", category=INVENTORY)
    for view in (pricing_views.PriceAdjustmentLineView, pricing_views.PriceHistoryView, pricing_views.RepriceView,
                 pricing_views.PriceListView):
        appbuilder.add_view_no_menu(view)
    for resource in (pricing_api.PriceFactorApi, pricing_api.PriceAdjustmentApi, pricing_api.PriceAdjustmentLineApi,
                     pricing_api.PriceHistoryApi):
        appbuilder.add_api(resource)
    history = {"PriceHistoryView": roles.READ}
    roles.extend(
        permissions={roles.MANAGER: {"PriceFactorView": roles.CRUD,
                                     "PriceAdjustmentView": roles.READ + ("can_add",),
                                     "PriceAdjustmentLineView": ("can_list",), "PriceHistoryView": roles.READ},
                     roles.SALES: history, roles.FINANCE: history, roles.SERVICE: history},
        menus={roles.MANAGER: [INVENTORY, PRICE_FACTORS, PRICE_ADJUSTMENTS]},
    )
