"""REST resources of release batches, phases, presale permits and room statuses, and the room
actions (release, mark not for sale, mark for sale) — with the pages' permissions."""
import datetime as dt

from flask import g, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi
from app.extensions import db
from app.inventory import services
from app.inventory.models import Phase, PresalePermit, ReleaseBatch, Room, RoomStatus
from app.inventory.services import release as release_service
from app.inventory.views import PhaseView, PresalePermitView, RoomStatusView, RoomView
from app.inventory.views.ordering import ReleaseBatchInterface
from app.inventory.views.release import ReleaseBatchView

MAX_ROOMS = 5000


class PhaseApi(LoupanModelRestApi):
    resource_name = "phases"
    datamodel = SQLAInterface(Phase)
    permissions_of = PhaseView
    list_columns = show_columns = ["id", "project_id", "name", "sort_order"]
    add_columns = edit_columns = ["project", "name", "sort_order"]


class PresalePermitApi(LoupanModelRestApi):
    resource_name = "presale_permits"
    datamodel = SQLAInterface(PresalePermit)
    permissions_of = PresalePermitView
    list_columns = show_columns = ["id", "project_id", "number", "issue_date", "valid_to", "buildings.id",
                                   "buildings.name"]
    add_columns = edit_columns = ["project", "number", "issue_date", "valid_to", "buildings"]


class RoomStatusApi(LoupanModelRestApi):
    resource_name = "room_statuses"
    datamodel = SQLAInterface(RoomStatus)
    permissions_of = RoomStatusView
    list_columns = show_columns = ["id", "code", "name", "colour", "sort_order"]
    edit_columns = ["name", "colour", "sort_order"]


class ReleaseBatchApi(LoupanModelRestApi):
    resource_name = "release_batches"
    datamodel = ReleaseBatchInterface(ReleaseBatch)
    permissions_of = ReleaseBatchView
    list_columns = show_columns = ["id", "project_id", "name", "release_date", "note", "rooms_count",
                                   "rooms_area", "available_count"]
    edit_columns = ["name", "release_date", "note"]


def _room_ids(payload):
    rooms = payload.get("rooms") if isinstance(payload, dict) else None
    if not isinstance(rooms, list) or not rooms:
        raise BusinessError(_("Give the ids of the rooms as a list, e.g. \"rooms\": [12, 13]."))
    if len(rooms) > MAX_ROOMS:
        raise BusinessError(_("At most %(max)d rooms at a time.", max=MAX_ROOMS))
    if not all(isinstance(r, int) and not isinstance(r, bool) for r in rooms):
        raise BusinessError(_("Room ids are whole numbers."))
    found = db.session.query(Room).filter(Room.id.in_(rooms)).all()
    if len(found) != len(set(rooms)):
        raise BusinessError(_("Some of the selected rooms no longer exist; select them again."))
    return found


class RoomActionApi(BaseApi):
    """POST /api/v1/rooms/release, /mark_not_for_sale, /mark_for_sale with {"rooms": [ids], ...};
    the room list's own permissions (can_release, can_mark_not_for_sale, can_mark_for_sale)."""

    resource_name = "rooms"
    allow_browser_login = True
    class_permission_name = "RoomView"
    base_permissions = RoomView.base_permissions
    method_permission_name = {"release": "release", "mark_not_for_sale": "mark_not_for_sale",
                              "mark_for_sale": "mark_for_sale"}

    def _run(self, action):
        try:
            return action(request.get_json(silent=True) or {})
        except BusinessError as e:
            db.session.rollback()
            return self.response_422(message=str(e))

    @expose("/release", methods=["POST"])
    @protect()
    @safe
    def release(self):
        """Release rooms as a new batch: {"rooms": [ids], "name": "加推一", "release_date": "2026-12-01",
        "note": "..."} → 201 with the batch."""
        def act(payload):
            rooms = _room_ids(payload)
            raw = payload.get("release_date")
            try:
                date = dt.date.fromisoformat(raw) if isinstance(raw, str) else None
            except ValueError:
                date = None
            if date is None:
                raise BusinessError(_("Enter the release date as 2026-11-26, not “%(value)s”.",
                                      value=str(raw)[:30]))
            name, note = payload.get("name"), payload.get("note")
            if not isinstance(name, str) or (note is not None and not isinstance(note, str)):
                raise BusinessError(_("Enter the name of the batch, e.g. 首开 or 加推一."))
            batch = release_service.release(rooms, name, date, user=g.user, note=note)
            return self.response(201, id=batch.id, name=batch.name, release_date=batch.release_date.isoformat(),
                                 rooms=len(rooms))
        return self._run(act)

    def _mark(self, service):
        def act(payload):
            changed = service(_room_ids(payload), g.user)
            return self.response(200, rooms={r.id: r.status for r in changed})
        return self._run(act)

    @expose("/mark_not_for_sale", methods=["POST"])
    @protect()
    @safe
    def mark_not_for_sale(self):
        """Take rooms off the market (非售): {"rooms": [ids]}."""
        return self._mark(services.mark_not_for_sale)

    @expose("/mark_for_sale", methods=["POST"])
    @protect()
    @safe
    def mark_for_sale(self):
        """Put rooms back on the market: {"rooms": [ids]}."""
        return self._mark(services.mark_for_sale)
