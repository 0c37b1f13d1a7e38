"""批量生成: the wizard page over services.generation (choose a building, describe its floors and
positions, preview every room, generate them in one commit)."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core import display
from app.core.errors import BusinessError
from app.core.services.lookup import active_values
from app.extensions import db
from app.inventory.models import Building, Layout, Project, PropertyType, Unit
from app.inventory.services import generation as gen

PREVIEW_ROWS = 2000


def _id(value):
    value = (value or "").strip()
    # Ids beyond a database integer are no row's id (and PostgreSQL would refuse the query).
    return int(value) if value.isdigit() and int(value) < 2 ** 31 else None


def _positions_count(form, default=2):
    value = (form.get("rooms_per_floor") or "").strip()
    if not value.isdigit() or not 1 <= int(value) <= gen.MAX_POSITIONS:
        return default
    return int(value)


def request_from_form(building, form):
    """The page's fields → a generation request (text that is not a number is refused by name)."""
    units = []
    for value in form.getlist("unit"):
        if value == "none":
            units.append(None)
        elif _id(value) is not None:
            units.append(_id(value))
    count = gen.parse_int(form.get("rooms_per_floor"), _("rooms per floor"))
    if not 1 <= count <= gen.MAX_POSITIONS:
        raise BusinessError(_("Rooms per floor per unit: 1 to %(max)d.", max=gen.MAX_POSITIONS))
    positions = []
    for pos in range(1, count + 1):
        get = lambda name: form.get("pos-%d-%s" % (pos, name))  # noqa: E731
        positions.append(gen.Position(
            pos=pos, property_type_id=_id(get("property_type")), layout_id=_id(get("layout")),
            orientation_id=_id(get("orientation")), view_id=_id(get("view")), decoration_id=_id(get("decoration")),
            area_gross=get("area_gross"), area_inner=get("area_inner"), unit_price=get("unit_price")))
    return gen.Request(
        building_id=building.id, unit_ids=units,
        floor_from=gen.parse_int(form.get("floor_from"), _("the first floor")),
        floor_to=gen.parse_int(form.get("floor_to"), _("the last floor")),
        skip_floors=gen.parse_floor_list(form.get("skip_floors")),
        floor_names=gen.parse_floor_names(form.get("floor_names")),
        numbering=form.get("numbering") or "floor_pos", pattern=form.get("pattern") or "",
        positions=positions)


def _defaults(building, units, ptypes):
    """The form as first shown: every unit, every floor above ground, two positions."""
    values = {"floor_from": "1", "floor_to": str(building.floors_above), "rooms_per_floor": "2",
              "numbering": "floor_pos", "pattern": "{floor}{pos:02}", "skip_floors": "", "floor_names": ""}
    homes = next((p for p in ptypes if not p.is_parking), ptypes[0] if ptypes else None)
    for pos in (1, 2):
        values["pos-%d-property_type" % pos] = str(homes.id) if homes else ""
    return values, [str(u.id) for u in units] or ["none"]


class RoomGenerationView(BaseView):
    route_base = "/roomgeneration"
    default_view = "wizard"
    base_permissions = ["can_generate"]
    method_permission_name = {"wizard": "generate"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def wizard(self):
        source = request.form if request.method == "POST" else request.args
        building = None
        building_id = _id(source.get("building"))
        if building_id is not None:
            building = db.session.get(Building, building_id)
        if building is None:
            buildings = (db.session.query(Building).join(Project)
                         .order_by(Project.code, Building.sort_order, Building.id).all())
            if building_id is not None:
                flash(_("Choose the building."), "danger")
            return self.render_template("inventory/generation_choose.html", buildings=buildings,
                                        title=_("Generate rooms"))
        project = building.project
        units = db.session.query(Unit).filter(Unit.building_id == building.id).order_by(Unit.sort_order, Unit.id).all()
        layouts = db.session.query(Layout).filter(Layout.project_id == project.id).order_by(Layout.name).all()
        ptypes = (db.session.query(PropertyType).filter(PropertyType.project_id == project.id)
                  .order_by(PropertyType.sort_order, PropertyType.id).all())
        lookups = {code: active_values(code).all() for code in ("orientation", "view", "decoration")}
        if request.method == "GET":
            values, chosen_units = _defaults(building, units, ptypes)
        else:
            values, chosen_units = request.form.to_dict(), request.form.getlist("unit")
        action = request.form.get("action") if request.method == "POST" else None
        plan = None
        if action in ("preview", "generate"):
            try:
                req = request_from_form(building, request.form)
                if action == "generate":
                    _plan, created = gen.generate(req, skip_existing=bool(request.form.get("skip_existing")))
                    skipped = len(_plan.existing)
                    message = _("%(count)d rooms generated in “%(building)s”.", count=created, building=building.name)
                    if skipped:
                        message += " " + _("%(count)d rooms that already existed were skipped.", count=skipped)
                    flash(message, "success")
                    return redirect(url_for("RoomView.list", _flt_0_building=building.id))
                plan = gen.plan(req)
                db.session.rollback()
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
        return self.render_template(
            "inventory/generation.html", title=_("Generate rooms"), building=building, project=project,
            units=units, layouts=layouts, ptypes=ptypes, lookups=lookups, values=values, chosen_units=chosen_units,
            positions=range(1, _positions_count(values) + 1), plan=plan, preview_rows=PREVIEW_ROWS,
            area=display.area, money=display.money)
