import io

from flask import abort, flash, g, has_request_context, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from app.core import display
from app.core.errors import BusinessError
from app.core.views.base import LoupanModelView
from app.core.views.custom_fields import CustomFieldsMixin
from app.inventory import services
from app.inventory.services import floor_plan as floor_plans
from app.inventory.models import (Building, Layout, Phase, PresalePermit, Project, PropertyType, Room,
                                  RoomStatus, Unit)
from app.inventory.views.ordering import RoomInterface
from app.inventory.views.room_form import building_field, layout_field, property_type_field, unit_field
from app.inventory.views.choices import project_choice, project_choices

PRICE_ROUNDING_LABELS = {"fen": _l("To the fen (0.01)"), "yuan": _l("To the yuan (1)")}


def status_label(status):
    """A room status as a small label in its colour (plain text in an Excel export)."""
    if status is None:
        return ""
    if has_request_context() and (request.endpoint or "").endswith(".export"):
        return status.name
    return Markup('<span class="label loupan-room-status" style="background-color:%s">%s</span>') % (
        status.colour, status.name)


def colour_swatch(colour):
    if not colour:
        return ""
    return Markup('<span class="label" style="background-color:%s">&nbsp;&nbsp;&nbsp;</span> %s') % (colour, colour)


def _lookup_filter(code):
    return [["list_code", FilterEqual, code], ["active", FilterEqual, True]]


class RoomStatusView(LoupanModelView):
    """Admins rename and recolour the seven statuses; the codes and their meaning are fixed."""

    datamodel = SQLAInterface(RoomStatus)
    list_title = _l("Room statuses")
    show_title = _l("Room status")
    edit_title = _l("Edit room status")
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_columns = show_columns = ["code", "name", "colour", "sort_order"]
    edit_columns = ["name", "colour", "sort_order"]
    base_order = ("sort_order", "asc")
    label_columns = {"code": _l("Code"), "name": _l("Name"), "colour": _l("Colour"), "sort_order": _l("Order")}
    formatters_columns = {"colour": colour_swatch}

    def before_update(self, item):
        services.check_room_status(item)


class RoomView(CustomFieldsMixin, LoupanModelView):
    datamodel = RoomInterface(Room)
    list_title = _l("Rooms")
    show_title = _l("Room")
    add_title = _l("Add room")
    edit_title = _l("Edit room")
    export_enabled = True
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export",
                        "can_mark_not_for_sale", "can_mark_for_sale", "can_release", "can_batch_edit"]
    method_permission_name = {"mark_not_for_sale": "mark_not_for_sale", "mark_for_sale": "mark_for_sale",
                              "release": "release", "batch_edit": "batch_edit"}
    list_columns = ["code", "project", "building", "unit", "floor", "layout", "property_type", "orientation",
                    "area_gross", "area_inner", "list_unit_price", "list_total_price", "status_info"]
    show_columns = ["code", "project", "building", "unit", "floor", "number", "layout", "property_type",
                    "orientation", "view", "decoration", "area_gross", "area_inner", "area_shared",
                    "list_unit_price", "list_total_price", "floor_price", "status_info", "release_batch"]
    # No status here: it changes only through release, deals and the mark actions.
    add_columns = edit_columns = ["building", "unit", "floor", "number", "code", "layout", "property_type",
                                  "orientation", "view", "decoration", "area_gross", "area_inner",
                                  "list_unit_price", "list_total_price", "floor_price"]
    search_columns = ["code", "project", "building", "unit", "floor", "layout", "property_type", "orientation",
                      "view", "decoration", "area_gross", "area_inner", "list_unit_price", "list_total_price",
                      "status_info", "release_batch"]
    base_order = ("code", "asc")
    label_columns = {
        "code": _l("Room code"), "project": _l("Project"), "building": _l("Building"), "unit": _l("Unit"),
        "floor": _l("Floor"), "number": _l("Room number"), "layout": _l("Layout"),
        "property_type": _l("Property type"), "orientation": _l("Orientation"), "view": _l("View"),
        "decoration": _l("Decoration"), "area_gross": _l("Gross area"), "area_inner": _l("Inner area"),
        "area_shared": _l("Shared area"), "list_unit_price": _l("List unit price"),
        "list_total_price": _l("List total price"), "floor_price": _l("Floor price"),
        "status_info": _l("Status"), "status": _l("Status"), "release_batch": _l("Release batch"),
    }
    formatters_columns = {
        "area_gross": display.area, "area_inner": display.area, "area_shared": display.area,
        "list_unit_price": display.money, "list_total_price": display.money, "floor_price": display.money,
        "status_info": status_label,
        # The building has its own column: the unit reads 1单元, not 1栋-1单元.
        "unit": lambda unit: unit.name if unit is not None else "",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "code": StringField(_l("Room code"), widget=BS3TextFieldWidget(),
                            description=_l("Leave empty to compose it from building, unit and number."),
                            validators=[Optional(), Length(max=80)]),
        "building": building_field(),
        "unit": unit_field(),
        "layout": layout_field(),
        "property_type": property_type_field(),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "orientation": _lookup_filter("orientation"),
        "view": _lookup_filter("view"),
        "decoration": _lookup_filter("decoration"),
    }

    def before_add(self, item):
        services.check_room(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_room_deletable(item)

    def _mark(self, items, service, done):
        rooms = items if isinstance(items, list) else [items]
        try:
            changed = service(rooms, g.user)
            flash(done % {"count": len(changed)}, "success")
        except BusinessError as e:
            flash(str(e), "danger")
        self.update_redirect()
        return redirect(self.get_redirect())

    @action("release", _l("Release"), "", "fa-bullhorn", single=False)
    def release(self, items):
        """推盘/加推: on to the form that names the batch (ReleaseRoomsView)."""
        rooms = items if isinstance(items, list) else [items]
        return redirect(url_for("ReleaseRoomsView.form", room=[r.id for r in rooms]))

    @action("batch_edit", _l("Batch edit"), "", "fa-edit", single=False)
    def batch_edit(self, items):
        """批量修改 of the picked rooms (RoomBatchEditView)."""
        rooms = items if isinstance(items, list) else [items]
        return redirect(url_for("RoomBatchEditView.edit", ids=",".join(str(r.id) for r in rooms)))

    def list_links(self):
        links = super().list_links()
        filtered = any(k.startswith(("_flt_", "cf_")) for k in request.args)
        if filtered and self.appbuilder.sm.has_access("can_batch_edit", "RoomBatchEditView"):
            links.append((_("Batch edit all rooms matching this filter"),
                          url_for("RoomBatchEditView.edit", scope="filter", **request.args), "fa-edit"))
        if self.appbuilder.sm.has_access("can_import", "RoomImportView"):
            links.append((_("Import from Excel"), url_for("RoomImportView.index"), "fa-file-import"))
        return links

    @expose("/export/")
    @has_access
    def export(self):
        """The filtered rooms in the import template's columns (edit the file, import it again)."""
        from app.inventory.views.imports import export_rooms
        return export_rooms(self)

    @action("mark_not_for_sale", _l("Mark not for sale"), _l("Take the selected rooms off the market?"),
            "fa-ban", single=False)
    def mark_not_for_sale(self, items):
        return self._mark(items, services.mark_not_for_sale, _("%(count)d rooms marked not for sale."))

    @action("mark_for_sale", _l("Mark for sale"), _l("Put the selected rooms back on the market?"),
            "fa-check", single=False)
    def mark_for_sale(self, items):
        return self._mark(items, services.mark_for_sale, _("%(count)d rooms marked for sale."))


class UnitView(LoupanModelView):
    datamodel = SQLAInterface(Unit)
    list_title = _l("Units")
    show_title = _l("Unit")
    add_title = _l("Add unit")
    edit_title = _l("Edit unit")
    related_views = [RoomView]
    list_columns = ["building", "name", "sort_order"]
    show_columns = add_columns = edit_columns = ["building", "name", "sort_order"]
    search_columns = ["building", "name"]
    base_order = ("sort_order", "asc")
    label_columns = {"building": _l("Building"), "name": _l("Name"), "sort_order": _l("Order")}
    add_form_extra_fields = edit_form_extra_fields = {
        "building": project_choice(Building, _l("Building"), required=True)}

    def before_add(self, item):
        services.check_unit(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_unit_deletable(item)


class BuildingView(LoupanModelView):
    datamodel = SQLAInterface(Building)
    list_title = _l("Buildings")
    show_title = _l("Building")
    add_title = _l("Add building")
    edit_title = _l("Edit building")
    related_views = [UnitView, RoomView]
    list_columns = ["project", "phase", "name", "floors_above", "floors_below", "units_count"]
    show_columns = add_columns = edit_columns = ["project", "phase", "name", "floors_above", "floors_below",
                                                 "units_count", "sort_order"]
    search_columns = ["project", "phase", "name"]
    base_order = ("sort_order", "asc")
    label_columns = {
        "project": _l("Project"), "phase": _l("Phase"), "name": _l("Name"),
        "floors_above": _l("Floors above ground"), "floors_below": _l("Floors below ground"),
        "units_count": _l("Units"), "sort_order": _l("Order"),
    }
    add_form_extra_fields = edit_form_extra_fields = {"phase": project_choice(Phase, _l("Phase"))}

    def before_add(self, item):
        services.check_building(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_building_deletable(item)


class PhaseView(LoupanModelView):
    datamodel = SQLAInterface(Phase)
    list_title = _l("Phases")
    show_title = _l("Phase")
    add_title = _l("Add phase")
    edit_title = _l("Edit phase")
    list_columns = show_columns = add_columns = edit_columns = ["project", "name", "sort_order"]
    search_columns = ["project", "name"]
    base_order = ("sort_order", "asc")
    label_columns = {"project": _l("Project"), "name": _l("Name"), "sort_order": _l("Order")}

    def before_add(self, item):
        services.check_phase(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_phase_deletable(item)


class PresalePermitView(LoupanModelView):
    datamodel = SQLAInterface(PresalePermit)
    list_title = _l("Presale permits")
    show_title = _l("Presale permit")
    add_title = _l("Add presale permit")
    edit_title = _l("Edit presale permit")
    list_columns = show_columns = add_columns = edit_columns = ["project", "number", "issue_date", "valid_to",
                                                                "buildings"]
    search_columns = ["project", "number", "issue_date", "valid_to"]
    base_order = ("issue_date", "asc")
    label_columns = {"project": _l("Project"), "number": _l("Permit number"), "issue_date": _l("Issue date"),
                     "valid_to": _l("Valid to"), "buildings": _l("Buildings covered")}
    formatters_columns = {"buildings": lambda bs: "、".join(b.name for b in bs or [])}
    add_form_extra_fields = edit_form_extra_fields = {"buildings": project_choices(Building, _l("Buildings covered"))}

    def before_add(self, item):
        services.check_permit(item)

    before_update = before_add


def floor_plan_image(layout_id):
    if not layout_id:
        return ""
    return Markup('<a href="%s" target="_blank"><img class="loupan-floor-plan" src="%s" alt="%s"></a>') % (
        url_for("LayoutView.floor_plan", pk=layout_id), url_for("LayoutView.floor_plan", pk=layout_id),
        _("Floor plan"))


class LayoutView(LoupanModelView):
    datamodel = SQLAInterface(Layout)
    list_title = _l("Layouts")
    show_title = _l("Layout")
    add_title = _l("Add layout")
    edit_title = _l("Edit layout")
    method_permission_name = {"floor_plan": "show"}
    list_columns = ["project", "name", "bedrooms", "living_rooms", "bathrooms", "typical_area"]
    show_columns = ["project", "name", "bedrooms", "living_rooms", "bathrooms", "typical_area", "floor_plan_ref"]
    add_columns = ["project", "name", "bedrooms", "living_rooms", "bathrooms", "typical_area", "floor_plan_upload"]
    edit_columns = add_columns + ["floor_plan_remove"]
    search_columns = ["project", "name", "bedrooms", "typical_area"]
    base_order = ("name", "asc")
    label_columns = {"project": _l("Project"), "name": _l("Name"), "bedrooms": _l("Bedrooms"),
                     "living_rooms": _l("Living rooms"), "bathrooms": _l("Bathrooms"),
                     "typical_area": _l("Typical area"), "floor_plan_ref": _l("Floor plan"),
                     "floor_plan_upload": _l("Floor plan image"), "floor_plan_remove": _l("Remove the floor plan")}
    formatters_columns = {"typical_area": display.area, "floor_plan_ref": floor_plan_image}
    add_form_extra_fields = {
        "floor_plan_upload": FileField(_l("Floor plan image"),
                                       description=_l("PNG, JPEG, GIF or WebP, at most 5 MB.")),
    }
    edit_form_extra_fields = dict(add_form_extra_fields, floor_plan_remove=BooleanField(_l("Remove the floor plan")))

    def before_add(self, item):
        services.check_layout(item)
        upload = getattr(item, "floor_plan_upload", None)
        if getattr(item, "floor_plan_remove", False):
            floor_plans.remove_floor_plan(item)
        elif upload:
            floor_plans.set_floor_plan(item, upload.read())

    before_update = before_add

    def before_delete(self, item):
        services.check_layout_deletable(item)

    @expose("/floor_plan/<int:pk>")
    @has_access
    def floor_plan(self, pk):
        layout = self.datamodel.get(pk, self._base_filters)
        if layout is None or not layout.floor_plan_type:
            abort(404)
        return send_file(io.BytesIO(layout.floor_plan), mimetype=layout.floor_plan_type, max_age=300)


class PropertyTypeView(LoupanModelView):
    datamodel = SQLAInterface(PropertyType)
    list_title = _l("Property types")
    show_title = _l("Property type")
    add_title = _l("Add property type")
    edit_title = _l("Edit property type")
    list_columns = show_columns = add_columns = edit_columns = ["project", "name", "code", "is_parking",
                                                                "sort_order"]
    search_columns = ["project", "name", "code", "is_parking"]
    base_order = ("sort_order", "asc")
    label_columns = {"project": _l("Project"), "name": _l("Name"), "code": _l("Code"),
                     "is_parking": _l("Parking space"), "sort_order": _l("Order")}

    def before_add(self, item):
        services.check_property_type(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_property_type_deletable(item)


class ProjectView(LoupanModelView):
    datamodel = SQLAInterface(Project)
    list_title = _l("Projects")
    show_title = _l("Project")
    add_title = _l("Add project")
    edit_title = _l("Edit project")
    related_views = [PhaseView, BuildingView, PresalePermitView]
    list_columns = ["name", "code", "city", "developer", "active"]
    show_columns = add_columns = edit_columns = ["name", "code", "city", "address", "developer",
                                                 "price_rounding", "hold_hours", "booking_days", "active"]
    search_columns = ["name", "code", "city", "developer", "active"]
    base_order = ("code", "asc")
    label_columns = {
        "name": _l("Name"), "code": _l("Code"), "city": _l("City"), "address": _l("Address"),
        "developer": _l("Developer"), "price_rounding": _l("Price rounding"),
        "hold_hours": _l("Hold duration (hours)"), "booking_days": _l("Booking duration (days)"),
        "active": _l("Active"),
    }
    formatters_columns = {"price_rounding": lambda r: str(PRICE_ROUNDING_LABELS.get(r, r))}
    add_form_extra_fields = edit_form_extra_fields = {
        "price_rounding": SelectField(_l("Price rounding"), widget=Select2Widget(), default="fen",
                                      choices=lambda: [(k, str(v)) for k, v in PRICE_ROUNDING_LABELS.items()]),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "developer": [["kind", FilterInFunction, lambda: services.DEVELOPER_KINDS], ["active", FilterEqual, True]],
    }

    def before_add(self, item):
        services.check_project(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_project_deletable(item)

