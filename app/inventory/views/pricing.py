"""Pricing screens: pricing factors (a tab of the project page), the re-price page (old and new
prices with the step-by-step computation, then submit for approval), price adjustments with
their lines and approval, the price history of a room, and the price list as Excel."""
import datetime as dt
import io
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional

from app.core import display
from app.core.errors import BusinessError
from app.core.services import approvals
from app.core.views.base import LoupanModelView
from app.extensions import db
from app.inventory.models import Project, RoomStatus
from app.inventory.models.pricing import PriceAdjustment, PriceAdjustmentLine, PriceFactor, PriceHistory
from app.inventory.services import price_adjustment, price_list, pricing
from app.inventory.views import ProjectView, RoomView
from app.inventory.views.choices import project_choice
from app.inventory.models import Building, Layout, PropertyType


def _factor_value(item):
    return pricing.factor_value_label(item.kind, item.method, item.value)


def _lookup_filter(code):
    return [["list_code", FilterEqual, code], ["active", FilterEqual, True]]


class PriceFactorView(LoupanModelView):
    """A project's pricing factors (定价系数); the order they apply in is in services/pricing.py."""

    datamodel = SQLAInterface(PriceFactor)
    list_title = _l("Pricing factors")
    show_title = _l("Pricing factor")
    add_title = _l("Add pricing factor")
    edit_title = _l("Edit pricing factor")
    list_columns = ["project", "kind", "name", "method", "value_label", "building", "property_type", "floor_from",
                    "floor_to", "ref_floor", "orientation", "view", "layout", "number_suffix", "active"]
    show_columns = [
        "project", "kind", "name", "method", "value", "building", "property_type", "floor_from", "floor_to",
        "ref_floor", "orientation", "view", "layout", "number_suffix", "rooms", "active", "sort_order"]
    # Chosen rooms by code, within the factor's project (a select of every project's rooms was too big).
    add_columns = edit_columns = [c if c != "rooms" else "room_codes" for c in show_columns]
    search_columns = ["project", "kind", "name", "building", "property_type", "active"]
    base_order = ("sort_order", "asc")
    label_columns = {
        "project": _l("Project"), "kind": _l("Kind"), "name": _l("Name"), "method": _l("Method"),
        "value": _l("Factor value"), "value_label": _l("Factor value"), "building": _l("Building"),
        "property_type": _l("Property type"),
        "floor_from": _l("From floor"), "floor_to": _l("To floor"), "ref_floor": _l("Reference floor"),
        "orientation": _l("Orientation"), "view": _l("View"), "layout": _l("Layout"),
        "number_suffix": _l("Room number ends with"), "rooms": _l("Chosen rooms"), "room_codes": _l("Chosen rooms"),
        "active": _l("Active"),
        "sort_order": _l("Order"),
    }
    description_columns = {
        "kind": _l("Base unit price, floor table, step per floor, orientation, view, layout, another factor "
                   "(临街, 边套 …) or the floor price ratio."),
        "method": _l("An amount per m² (+300) or a coefficient (1.02). Base prices are amounts; the floor price "
                     "ratio is a coefficient."),
        "value": _l("Base: yuan per m². Amount: yuan per m², may be negative. Coefficient: e.g. 1.02. Floor "
                    "price ratio: e.g. 0.97. A step per floor: the amount or coefficient for each floor above "
                    "the reference floor."),
        "building": _l("Only rooms of this building (empty: all)."),
        "property_type": _l("Only rooms of this property type (empty: all)."),
        "floor_from": _l("Floor table: the floor (or the first of a range). Other kinds: only from this floor."),
        "number_suffix": _l("Only rooms whose number ends with this, e.g. 01 for the end rooms (边套)."),
        "rooms": _l("Only these rooms (empty: all rooms matching the other conditions)."),
        "room_codes": _l("Only these rooms of the project: room codes separated by commas or new lines, "
                         "e.g. 1栋-1单元-101, 1栋-1单元-102 (empty: all rooms matching the other conditions)."),
    }
    formatters_columns = {
        "kind": lambda k: str(pricing.KIND_LABELS.get(k, k)),
        "method": lambda m: str(pricing.METHOD_LABELS.get(m, m)),
        "rooms": lambda rooms: "、".join(r.code for r in rooms or []),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), widget=Select2Widget(), default="base",
                            choices=lambda: [(k, str(v)) for k, v in pricing.KIND_LABELS.items()]),
        "method": SelectField(_l("Method"), widget=Select2Widget(), default="amount",
                              choices=lambda: [(k, str(v)) for k, v in pricing.METHOD_LABELS.items()]),
        "room_codes": TextAreaField(_l("Chosen rooms"), widget=BS3TextAreaFieldWidget(),
                                    validators=[Optional(), Length(max=40000)]),
        "building": project_choice(Building, _l("Building"), description=description_columns["building"]),
        "property_type": project_choice(PropertyType, _l("Property type"),
                                        description=description_columns["property_type"]),
        "layout": project_choice(Layout, _l("Layout")),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "orientation": _lookup_filter("orientation"),
        "view": _lookup_filter("view"),
    }

    def before_add(self, item):
        codes = getattr(item, "room_codes", None)
        if codes is not None:  # the page's text box (the API sends room ids)
            project_id = item.project.id if item.project is not None else item.project_id
            item.rooms = pricing.rooms_by_codes(project_id, codes)
        pricing.check_factor(item)

    before_update = before_add

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        if item is not None and "room_codes" in form:
            form.room_codes.data = "\n".join(r.code for r in item.rooms)


# The value with its unit (¥/㎡, ×1.02, +300/㎡) needs the whole row.
PriceFactor.value_label = property(_factor_value)


def adjustment_status(status):
    return price_adjustment.status_label(status)


def _skip_label(code):
    return str(pricing.SKIP_LABELS.get(code, code)) if code else ""


class PriceAdjustmentLineView(LoupanModelView):
    datamodel = SQLAInterface(PriceAdjustmentLine)
    list_title = _l("Rooms of the price adjustment")
    base_permissions = ["can_list"]
    list_columns = ["room", "old_unit_price", "new_unit_price", "old_total_price", "new_total_price",
                    "old_floor_price", "new_floor_price", "skipped"]
    base_order = ("room_id", "asc")
    page_size = 50
    label_columns = {
        "room": _l("Room"), "old_unit_price": _l("Old unit price"), "new_unit_price": _l("New unit price"),
        "old_total_price": _l("Old total price"), "new_total_price": _l("New total price"),
        "old_floor_price": _l("Old floor price"), "new_floor_price": _l("New floor price"),
        "skipped": _l("Keeps its price"),
    }
    formatters_columns = {c: display.money for c in list_columns[1:-1]}
    formatters_columns["skipped"] = _skip_label


class PriceAdjustmentView(LoupanModelView):
    """Price adjustments (调价单): made on the re-price page, decided in the approvals inbox."""

    datamodel = SQLAInterface(PriceAdjustment)
    list_title = _l("Price adjustments")
    show_title = _l("Price adjustment")
    base_permissions = ["can_list", "can_show", "can_add"]
    related_views = [PriceAdjustmentLineView]
    list_columns = ["id", "project", "title", "method_label", "room_count", "skipped_count", "status",
                    "requested_by", "created_at", "applied_at"]
    show_columns = ["id", "project", "title", "method_label", "reason", "room_count", "skipped_count", "status",
                    "requested_by", "created_at", "approval_request", "applied_at"]
    search_columns = ["project", "title", "status", "created_at"]
    base_order = ("id", "desc")
    label_columns = {
        "id": _l("No."), "project": _l("Project"), "title": _l("Title"), "method_label": _l("Change"),
        "reason": _l("Reason"), "room_count": _l("Rooms"), "skipped_count": _l("Rooms keeping their price"),
        "status": _l("Status"), "requested_by": _l("Requested by"), "created_at": _l("Requested at"),
        "approval_request": _l("Approval request"), "applied_at": _l("Applied at"),
    }
    formatters_columns = {
        "status": adjustment_status,
        "requested_by": approvals.display_name,
        "approval_request": lambda r: "#%d %s" % (r.id, approvals.status_label(r.status)) if r else "",
    }
    list_template = "inventory/pricing_adjustment_list.html"

    def detail_links(self, pk):
        links = []
        item = db.session.get(PriceAdjustment, pk)
        if item is not None and item.approval_request_id and \
                self.appbuilder.sm.has_access("can_show", "ApprovalView"):
            links.append((_l("Approval request"), url_for("ApprovalView.show", pk=item.approval_request_id),
                          "fa-stamp"))
        return links

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """Adjustments are made on the re-price page of a project."""
        return redirect(url_for("RepriceView.index"))


PriceAdjustment.method_label = property(lambda a: price_adjustment.method_text(a.method, a.value))


class PriceHistoryView(LoupanModelView):
    """A room's price history (a tab of the room page)."""

    datamodel = SQLAInterface(PriceHistory)
    list_title = _l("Price history")
    show_title = _l("Price history")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["changed_at", "room", "old_unit_price", "new_unit_price", "old_total_price", "new_total_price",
                    "old_floor_price", "new_floor_price", "changed_by", "adjustment"]
    show_columns = list_columns
    search_columns = ["room", "changed_at", "adjustment"]
    base_order = ("changed_at", "desc")
    label_columns = dict(PriceAdjustmentLineView.label_columns, changed_at=_l("Changed at"),
                         changed_by=_l("Approved by"), adjustment=_l("Price adjustment"))
    formatters_columns = {c: display.money for c in list_columns[2:8]}
    formatters_columns["changed_by"] = approvals.display_name


# Tabs on the project and room pages.
ProjectView.related_views = list(ProjectView.related_views or []) + [PriceFactorView]
RoomView.related_views = list(RoomView.related_views or []) + [PriceHistoryView]


def project_links(view, pk):
    sm = view.appbuilder.sm
    links = []
    if sm.has_access("can_add", "PriceAdjustmentView"):
        links.append((_l("Re-price"), url_for("RepriceView.project", project_id=pk), "fa-calculator"))
    if sm.has_access("can_list", "RoomView"):
        links.append((_l("Price list (Excel)"), url_for("PriceListView.excel", project_id=pk), "fa-file-excel"))
        if sm.has_access("can_print", "PrintTemplateView"):
            links.append((_l("Print price list"), url_for("PrintTemplateView.choose", kind=price_list.KIND),
                          "fa-print"))
    return links


def _ints(name):
    values = []
    for raw in request.args.getlist(name):
        try:
            values.append(int(raw))
        except (TypeError, ValueError):
            continue
    return values


def _int(name):
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BusinessError(_("Enter floors as whole numbers."))


class RepriceView(BaseView):
    """The re-price page: choose rooms and a change, see old and new prices (and how any room's
    price is computed) before anything changes, then submit the adjustment for approval."""

    route_base = "/repricing"
    default_view = "index"
    class_permission_name = "PriceAdjustmentView"
    method_permission_name = {"index": "add", "project": "add", "submit": "add"}
    # The same list as the page whose permissions it shares: FAB drops the ones a view leaves out.
    base_permissions = PriceAdjustmentView.base_permissions

    @expose("/")
    @has_access
    def index(self):
        projects = db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()
        return self.render_template("inventory/pricing_projects.html", projects=projects)

    @expose("/<int:project_id>/")
    @has_access
    def project(self, project_id):
        project = db.session.get(Project, project_id)
        if project is None:
            abort(404)
        buildings, types = pricing.choices(project)
        args = request.args
        method = args.get("method") or ""
        value = args.get("value") or ""
        lines, explained, error = None, None, None
        statuses = db.session.query(RoomStatus).order_by(RoomStatus.sort_order).all()
        if method:
            try:
                ids = pricing.select_rooms(
                    project, building_ids=_ints("building"), property_type_ids=_ints("property_type"),
                    floor_from=_int("floor_from"), floor_to=_int("floor_to"), statuses=args.getlist("status"),
                    codes=[c.strip() for c in (args.get("codes") or "").replace("，", ",").split(",") if c.strip()])
                if not ids:
                    raise BusinessError(_("No room matches this selection."))
                lines = pricing.preview(project, ids, method, value)
                explain_id = args.get("explain", type=int) or next(
                    (line.facts.id for line in lines if not line.skipped), lines[0].facts.id)
                if explain_id not in {line.facts.id for line in lines}:
                    explain_id = lines[0].facts.id
                explained = pricing.explain(project, explain_id, method, value)
            except BusinessError as e:
                error, lines = str(e), None
        summary = None
        if lines:
            changing = [line for line in lines if not line.skipped]
            summary = {"rooms": len(lines), "changing": len(changing), "skipped": len(lines) - len(changing),
                       "old": sum((line.facts.total or 0) for line in changing),
                       "new": sum((line.result.total or 0) for line in changing)}
        return self.render_template(
            "inventory/pricing_reprice.html", project=project, buildings=buildings, types=types,
            statuses=statuses, lines=lines, explained=explained, error=error, summary=summary,
            methods=pricing.ADJUSTMENT_METHOD_LABELS, skip_labels=pricing.SKIP_LABELS, money=display.money,
            area=display.area, query=urlencode([(k, v) for k, v in args.items(multi=True) if k != "explain"]),
            room_ids=[line.facts.id for line in lines or []],
            default_title=_("Price adjustment %(date)s", date=dt.date.today().isoformat()))

    @expose("/<int:project_id>/submit", methods=["POST"])
    @has_access
    def submit(self, project_id):
        form = request.form
        try:
            adjustment = price_adjustment.create(project_id, form.getlist("room"), form.get("method"),
                                                 form.get("value"), form.get("title"), g.user, form.get("reason"))
        except BusinessError as e:
            flash(str(e), "danger")
            back = form.get("back") or ""
            return redirect(url_for("RepriceView.project", project_id=project_id) + ("?" + back if back else ""))
        flash(_("Price adjustment “%(title)s” submitted for approval.", title=adjustment.title), "success")
        return redirect(url_for("PriceAdjustmentView.show", pk=adjustment.id))


class PriceListView(BaseView):
    """The price list as Excel for whoever may list rooms."""

    route_base = "/pricelist"
    class_permission_name = "RoomView"
    method_permission_name = {"excel": "list"}
    base_permissions = RoomView.base_permissions

    @expose("/<int:project_id>.xlsx")
    @has_access
    def excel(self, project_id):
        project = db.session.get(Project, project_id)
        if project is None:
            abort(404)
        building = request.args.get("building", type=int)
        try:
            data = price_list.workbook(project, building)
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(url_for("ProjectView.show", pk=project_id))
        name = "price-list-%s-%s.xlsx" % (project.code, dt.date.today().isoformat())
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

