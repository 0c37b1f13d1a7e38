"""批量修改: the page that sets fields on many rooms at once, over services.batch_edit. Rooms come
either picked in the room list (its "Batch edit" action: ?ids=1,2,3) or as every room that the
room list's current filter matches (?scope=filter plus the list's own filter arguments)."""
import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.exceptions import ApplyFilterException
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.services.lookup import active_values
from app.core.views.base import record_ids
from app.extensions import db
from app.inventory.models import Layout, Project, PropertyType, Room
from app.inventory.services import batch_edit

SHOWN_CODES = 60


def _room_view(appbuilder):
    from app.inventory.views import RoomView
    return next(v for v in appbuilder.baseviews if isinstance(v, RoomView))


def filter_args(args):
    """The room list's own arguments (its filters), without ours."""
    return {k: v for k, v in args.items() if k.startswith("_flt_") or k.startswith("cf_")}


def rooms_matching_filter(appbuilder):
    """Every room the room list shows under the current request's filter (all pages)."""
    view = _room_view(appbuilder)
    get_filter_args(view._filters)
    try:
        _count, items = view.datamodel.query(view._filters.get_joined_filters(view._base_filters), "code", "asc")
    except (sa.exc.SQLAlchemyError, ApplyFilterException):
        # A filter value the database cannot read (text for a number on PostgreSQL) matches nothing.
        db.session.rollback()
        return []
    return items


class RoomBatchEditView(BaseView):
    route_base = "/roombatchedit"
    default_view = "edit"
    base_permissions = ["can_batch_edit"]
    method_permission_name = {"edit": "batch_edit"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def edit(self):
        # The filter travels in the query string (the room list's own arguments), also when posting.
        by_filter = request.args.get("scope") == "filter"
        source = request.args if by_filter or request.method == "GET" else request.form
        if by_filter:
            # Never "every room there is" by accident: an empty filter selects nothing.
            rooms = rooms_matching_filter(self.appbuilder) if filter_args(request.args) else []
            ids = [r.id for r in rooms]
        else:
            ids = record_ids((source.get("ids") or "").split(","))
            rooms = (db.session.query(Room).filter(Room.id.in_(ids)).order_by(Room.code).all()
                     if ids and len(ids) <= batch_edit.MAX_ROOMS else [])
        back = url_for("RoomView.list", **filter_args(source)) if by_filter else url_for("RoomView.list")
        if request.method == "POST":
            changes = {f: request.form.get(f) for f in batch_edit.FIELDS}
            try:
                count = batch_edit.apply(ids, changes)
            except BusinessError as e:
                flash(str(e), "danger")
            else:
                flash(_("%(changed)d of %(count)d rooms changed.", changed=count, count=len(ids)), "success")
                return redirect(back)
        project_ids = sorted({r.project_id for r in rooms})
        several = len(project_ids) > 1
        projects = dict(db.session.query(Project.id, Project.name).filter(Project.id.in_(project_ids))) \
            if project_ids else {}

        def choices(model, order):
            rows = (db.session.query(model).filter(model.project_id.in_(project_ids)).order_by(model.project_id, order)
                    .all() if project_ids else [])
            return [(r.id, "%s · %s" % (projects[r.project_id], r.name) if several else r.name) for r in rows]

        return self.render_template(
            "inventory/batch_edit.html", title=_("Batch edit rooms"), rooms=rooms[:SHOWN_CODES], count=len(ids),
            ids=",".join(str(i) for i in ids) if not by_filter else "", by_filter=by_filter,
            filters=filter_args(source) if by_filter else {}, back=back, values=request.form,
            layouts=choices(Layout, Layout.name),
            ptypes=choices(PropertyType, PropertyType.sort_order),
            lookups={code: [(v.id, v.name) for v in active_values(code)]
                     for code in ("orientation", "view", "decoration")})
