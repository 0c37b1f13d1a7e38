"""Release (推盘/加推): unreleased rooms go on sale as a named batch on a date, all or none; and
the natural order of rooms (building, unit, floor, number) that lists and searches share."""
import contextlib
import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from app.core.context import acting_as, current_user_obj
from app.core.errors import BusinessError
from app.core.services.records import taken
from app.extensions import db
from app.inventory.models import (Building, PresalePermit, Project, ReleaseBatch, Room, RoomStatus, Unit,
                                  presale_permit_building)

NAME_MAX = 50
NOTE_MAX = 500


def natural_order(direction="asc"):
    """ORDER BY terms that put 1单元-101 before 1单元-1001: project, building order, unit order,
    floor, then the room number as a number where it is one. Correlated subqueries over aliases,
    so that they work whatever the query already joins."""
    b, u, p = aliased(Building), aliased(Unit), aliased(Project)
    terms = [
        sa.select(p.code).where(p.id == Room.project_id).correlate(Room).scalar_subquery(),
        sa.select(b.sort_order).where(b.id == Room.building_id).correlate(Room).scalar_subquery(),
        Room.building_id,
        sa.func.coalesce(sa.select(u.sort_order).where(u.id == Room.unit_id).correlate(Room).scalar_subquery(), -1),
        sa.func.coalesce(Room.unit_id, 0),
        Room.floor,
        sa.func.length(Room.number),
        Room.number,
        Room.id,
    ]
    order = sa.desc if direction == "desc" else sa.asc
    return [order(t) for t in terms]


def check_batch(batch):
    """A batch's own fields (edited on its page): a name unique in the project, a date."""
    batch.name = (batch.name or "").strip()
    if not batch.name:
        raise BusinessError(_("Enter the name of the batch, e.g. 首开 or 加推一."))
    if len(batch.name) > NAME_MAX:
        raise BusinessError(_("The batch name is at most %(max)d characters.", max=NAME_MAX))
    if batch.release_date is None:
        raise BusinessError(_("Enter the release date."))
    if batch.note and len(batch.note) > NOTE_MAX:
        raise BusinessError(_("The note is at most %(max)d characters.", max=NOTE_MAX))
    project_id = batch.project.id if batch.project is not None else batch.project_id
    if taken(ReleaseBatch, batch, project_id=project_id, name=batch.name):
        raise BusinessError(_("The batch “%(name)s” already exists in this project; give this release another "
                              "name, e.g. 加推二.", name=batch.name))


def _refuse(message):
    db.session.rollback()
    raise BusinessError(message)


def release(rooms, name, release_date, user=None, note=None):
    """Release unreleased rooms as the batch `name` (首开, then 加推一, 加推二…) on `release_date`:
    they become available. All or none: any room that is not unreleased refuses the whole
    release, naming it. A name already used in the project is refused (a later release is a new
    batch), so that a batch keeps one date. Returns the new ReleaseBatch."""
    ids = sorted({r.id if isinstance(r, Room) else int(r) for r in rooms or []})
    if not ids:
        raise BusinessError(_("Select at least one room."))
    if isinstance(release_date, dt.datetime):
        release_date = release_date.date()
    note = (note or "").strip() or None
    # Lock the rows: a deal or another release may be changing the same rooms at this moment.
    locked = (db.session.query(Room).filter(Room.id.in_(ids)).order_by(Room.id)
              .with_for_update(of=Room).all())
    if len(locked) != len(ids):
        _refuse(_("Some of the selected rooms no longer exist; select them again."))
    projects = {r.project_id for r in locked}
    if len(projects) > 1:
        _refuse(_("Release the rooms of one project at a time."))
    refused = [r for r in locked if r.status != "unreleased"]
    if refused:
        names = dict(db.session.query(RoomStatus.code, RoomStatus.name))
        _refuse(_("Only unreleased rooms can be released; these are %(statuses)s: %(codes)s.",
                  statuses="、".join(sorted({names.get(r.status, r.status) for r in refused})),
                  codes=", ".join(r.code for r in refused[:20]) + (" …" if len(refused) > 20 else "")))
    uncovered = uncovered_buildings({r.building_id for r in locked}, release_date)
    if uncovered:
        _refuse(_("No presale permit valid on %(date)s covers %(buildings)s; record the permit before releasing "
                  "their rooms.", date=release_date.isoformat() if release_date else "",
                  buildings="、".join(uncovered)))
    batch = ReleaseBatch(project_id=projects.pop(), name=(name or "").strip(), release_date=release_date,
                         note=note)
    try:
        with db.session.no_autoflush:
            check_batch(batch)
    except BusinessError:
        db.session.rollback()
        raise
    # In a request the logged-in user acts already; elsewhere (CLI, jobs) the given user does.
    with acting_as(user) if user is not None and user is not current_user_obj() else contextlib.nullcontext():
        db.session.add(batch)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:
            # Another release took the same name at the same instant.
            _refuse(_("The batch “%(name)s” already exists in this project; give this release another name, "
                      "e.g. 加推二.", name=batch.name))
        for room in locked:
            room.status = "available"
            room.release_batch = batch
        db.session.commit()
    return batch


def uncovered_buildings(building_ids, on_date):
    """Names of the buildings that no presale permit (预售证) valid on `on_date` covers: their rooms
    may not go on sale yet."""
    if not building_ids or on_date is None:
        return []
    covered = {b_id for (b_id,) in db.session.query(presale_permit_building.c.building_id)
               .join(PresalePermit, PresalePermit.id == presale_permit_building.c.permit_id)
               .filter(presale_permit_building.c.building_id.in_(list(building_ids)),
                       sa.or_(PresalePermit.issue_date.is_(None), PresalePermit.issue_date <= on_date),
                       sa.or_(PresalePermit.valid_to.is_(None), PresalePermit.valid_to >= on_date))}
    missing = set(building_ids) - covered
    if not missing:
        return []
    return [name for (name,) in db.session.query(Building.name).filter(Building.id.in_(list(missing)))
            .order_by(Building.sort_order, Building.id)]


def batch_figures(batch_ids):
    """{batch id: (rooms, gross area, rooms still available)} in one query, for a list of batches."""
    if not batch_ids:
        return {}
    rows = (db.session.query(Room.release_batch_id, sa.func.count(Room.id),
                             sa.func.coalesce(sa.func.sum(Room.area_gross), 0),
                             sa.func.sum(sa.case((Room.status == "available", 1), else_=0)))
            .filter(Room.release_batch_id.in_(list(batch_ids))).group_by(Room.release_batch_id))
    return {batch_id: (count, area, available or 0) for batch_id, count, area, available in rows}
