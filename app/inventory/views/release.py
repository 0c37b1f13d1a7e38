"""Pages of release (推盘/加推) and room search (房源查询)."""
import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from app.core import clock, display
from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.views.base import LoupanModelView, record_ids
from app.extensions import db
from app.inventory.models import Building, Layout, Project, PropertyType, ReleaseBatch, Room, RoomStatus
from app.inventory.services import release as release_service
from app.inventory.services import search as search_service
from app.inventory.views import RoomView, status_label
from app.inventory.views.ordering import ReleaseBatchInterface

MAX_RELEASE_ROOMS = 2000


class ReleaseBatchView(LoupanModelView):
    """The batches of every project (首开, 加推一…) with their rooms; made only by a release."""

    datamodel = ReleaseBatchInterface(ReleaseBatch)
    list_title = _l("Release batches")
    show_title = _l("Release batch")
    edit_title = _l("Edit release batch")
    base_permissions = ["can_list", "can_show", "can_edit"]
    related_views = [RoomView]
    list_columns = ["project", "name", "release_date", "rooms_count", "rooms_area", "available_count", "note"]
    show_columns = ["project", "name", "release_date", "rooms_count", "rooms_area", "available_count", "note"]
    edit_columns = ["name", "release_date", "note"]
    search_columns = ["project", "name", "release_date"]
    base_order = ("release_date", "desc")
    label_columns = {"project": _l("Project"), "name": _l("Batch"), "release_date": _l("Release date"),
                     "rooms_count": _l("Rooms released"), "rooms_area": _l("Gross area released"),
                     "available_count": _l("Still available"), "note": _l("Note")}
    formatters_columns = {"rooms_area": display.area}

    def before_update(self, item):
        release_service.check_batch(item)


def _date(value):
    value = (value or "").strip()
    if not value:
        raise BusinessError(_("Enter the release date."))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BusinessError(_("Enter the release date as 2026-11-26, not “%(value)s”.", value=value[:30]))


def _room_ids(values):
    return sorted(set(record_ids(values)))[:MAX_RELEASE_ROOMS + 1]


class ReleaseRoomsView(BaseView):
    """The form behind the room list's "Release" action: name the batch, give its date, release.
    Guarded by the room list's own permission can_release."""

    route_base = "/release"
    default_view = "form"
    class_permission_name = "RoomView"
    base_permissions = RoomView.base_permissions
    method_permission_name = {"form": "release"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def form(self):
        ids = _room_ids(request.values.getlist("room"))
        if len(ids) > MAX_RELEASE_ROOMS:
            flash(_("Release at most %(max)d rooms at a time.", max=MAX_RELEASE_ROOMS), "danger")
            return redirect(url_for("RoomView.list"))
        rooms = db.session.query(Room).filter(Room.id.in_(ids)).all() if ids else []
        if not rooms:
            flash(_("Select at least one room."), "danger")
            return redirect(url_for("RoomView.list"))
        rooms.sort(key=lambda r: (r.project.code, r.building.sort_order, r.building_id,
                                  r.unit.sort_order if r.unit else -1, r.unit_id or 0, r.floor,
                                  len(r.number), r.number))
        values = {"name": request.form.get("name", ""), "note": request.form.get("note", ""),
                  "release_date": request.form.get("release_date", clock.local_today().isoformat())}
        if request.method == "POST":
            try:
                batch = release_service.release(rooms, values["name"], _date(values["release_date"]),
                                                note=values["note"])
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
            else:
                flash(_("%(count)d rooms released as “%(name)s”.", count=len(rooms), name=batch.name), "success")
                return redirect(url_for("ReleaseBatchView.show", pk=batch.id))
            rooms = db.session.query(Room).filter(Room.id.in_(ids)).all()
            rooms.sort(key=lambda r: (r.project.code, r.building.sort_order, r.building_id,
                                      r.unit.sort_order if r.unit else -1, r.unit_id or 0, r.floor,
                                      len(r.number), r.number))
        unreleased = sum(1 for r in rooms if r.status == "unreleased")
        batches = (db.session.query(ReleaseBatch).filter(ReleaseBatch.project_id.in_({r.project_id for r in rooms}))
                   .order_by(ReleaseBatch.release_date, ReleaseBatch.id).all())
        return self.render_template("inventory/release_form.html", rooms=rooms, values=values,
                                    unreleased=unreleased, batches=batches, status_label=status_label,
                                    area=display.area, money=display.money,
                                    total_area=sum((r.area_gross for r in rooms), 0))


def _options(model, *conditions, order=None):
    query = db.session.query(model).filter(*conditions)
    return query.order_by(*(order or [model.id])).all()


class RoomSearchView(BaseView):
    """房源查询: the search a salesperson runs for a customer. Anyone who may list rooms may search."""

    route_base = "/roomsearch"
    default_view = "search"
    class_permission_name = "RoomView"
    base_permissions = RoomView.base_permissions
    method_permission_name = {"search": "list"}

    @expose("/")
    @has_access
    def search(self):
        projects = _options(Project, Project.active.is_(True), order=[Project.code])
        form = MultiDict(request.args)
        if not form.get("project") and projects:
            form["project"] = str(projects[0].id)
        error, count, rooms, criteria = None, 0, [], None
        try:
            criteria = search_service.parse(form)
            count, rooms = search_service.search(criteria)
        except BusinessError as e:
            error = str(e)
            criteria = search_service.parse_leniently(form)
        project_id = criteria.project_id
        if project_id is not None and not any(p.id == project_id for p in projects):
            project = db.session.get(Project, project_id)
            if project is None:
                abort(404)
            projects.append(project)
        buildings = _options(Building, Building.project_id == project_id, order=[Building.sort_order, Building.id])
        layouts = _options(Layout, Layout.project_id == project_id, order=[Layout.name])
        ptypes = _options(PropertyType, PropertyType.project_id == project_id,
                          order=[PropertyType.sort_order, PropertyType.id])
        lookups = _options(LookupValue, LookupValue.list_code.in_(("orientation", "view")),
                           LookupValue.active.is_(True), order=[LookupValue.sort_order, LookupValue.id])
        statuses = _options(RoomStatus, order=[RoomStatus.sort_order])
        pages = (count + search_service.PAGE_SIZE - 1) // search_service.PAGE_SIZE
        args = MultiDict(form)
        args.pop("page", None)
        return self.render_template(
            "inventory/room_search.html", form=form, criteria=criteria, error=error, count=count, rooms=rooms,
            projects=projects, buildings=buildings, layouts=layouts, property_types=ptypes,
            orientations=[v for v in lookups if v.list_code == "orientation"],
            views=[v for v in lookups if v.list_code == "view"], statuses=statuses, pages=pages,
            page_url=lambda n: url_for("RoomSearchView.search", page=n, **args.to_dict(flat=False)),
            status_label=status_label, area=display.area, money=display.money,
            may_show=self.appbuilder.sm.has_access("can_show", "RoomView"))
