"""Price adjustments (调价单): a manager proposes new prices for a selection of rooms, another
manager or an admin approves, and the figures of the preview are applied in the transaction that
records the approval, with one price-history row per room.

At approval every room row is locked; a room that has an active deal now (held, booked,
subscribed, signed) or whose prices changed since the preview keeps its price and is reported as
skipped. A rejected or withdrawn adjustment changes nothing."""
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles
from app.core.context import current_actor
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import approvals
from app.extensions import db
from app.inventory.models import Room
from app.inventory.models.pricing import PriceAdjustment, PriceAdjustmentLine, PriceHistory
from app.inventory.services import pricing

KIND = "price_adjustment"
TITLE_MAX = 100
STATUS_LABELS = {"pending": _l("Pending"), "approved": _l("Approved"), "rejected": _l("Rejected"),
                 "withdrawn": _l("Withdrawn")}
CHUNK = 5000


def register():
    approvals.register_kind(KIND, _l("Price adjustment"), apply=apply, approver_roles=(roles.ADMIN, roles.MANAGER),
                            describe=describe, validate=validate, on_close=on_close, link=link)


def _chunks(items):
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def create(project_id, room_ids, method, value, title, user, reason=None):
    """Compute the lines (the preview), save the adjustment and submit it for approval in one
    transaction. Returns the PriceAdjustment; a refusal leaves nothing behind."""
    try:
        return _create(project_id, room_ids, method, value, title, user, reason)
    except Exception:
        db.session.rollback()
        raise


def _create(project_id, room_ids, method, value, title, user, reason):
    project = pricing.get_project(project_id)
    if title is not None and not isinstance(title, str):
        raise BusinessError(_("Enter a title for the price adjustment."))
    title = (title or "").strip()
    if not title:
        raise BusinessError(_("Enter a title for the price adjustment."))
    if len(title) > TITLE_MAX:
        raise BusinessError(_("The title may be at most %(n)d characters long.", n=TITLE_MAX))
    lines = pricing.preview(project, room_ids, method, value)
    method, value = pricing.check_method(method, value)
    changing = [line for line in lines if not line.skipped]
    if not changing:
        raise BusinessError(_("None of the selected rooms gets a new price (active deals, no price or no change)."))
    adjustment = PriceAdjustment(
        project_id=project.id, title=title, method=method, value=value, status="pending",
        reason=reason.strip() or None if isinstance(reason, str) else None,
        room_ids=[line.facts.id for line in lines], room_count=len(lines),
        skipped_count=len(lines) - len(changing), requested_by_id=user.id, created_at=utcnow())
    db.session.add(adjustment)
    db.session.flush()
    rows = []
    for line in lines:
        row = line.as_row()
        row["adjustment_id"] = adjustment.id
        rows.append(row)
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(PriceAdjustmentLine.__table__), chunk)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        summary = _("Price adjustment “%(title)s” of %(project)s: %(method)s, %(count)d rooms",
                    title=title, project=project.name, method=method_text(method, value), count=len(changing))
    # submit() commits the adjustment, its lines and the request together (or nothing).
    req = approvals.submit(KIND, user, "price_adjustment", adjustment.id, {"adjustment_id": adjustment.id},
                           summary, reason)
    adjustment = db.session.get(PriceAdjustment, adjustment.id)
    adjustment.approval_request_id = req.id
    db.session.commit()
    return adjustment


def method_text(method, value):
    label = str(pricing.ADJUSTMENT_METHOD_LABELS.get(method, method))
    if method == "percent":
        return "%s %s%%" % (label, ("+" if value > 0 else "") + str(value.normalize()))
    if method == "amount":
        return "%s %s/㎡" % (label, ("+" if value > 0 else "") + "{:,.2f}".format(value))
    return label


def _adjustment(payload, lock=False):
    try:
        adjustment_id = int((payload or {}).get("adjustment_id"))
    except (TypeError, ValueError):
        adjustment_id = None
    query = db.session.query(PriceAdjustment).filter(PriceAdjustment.id == adjustment_id)
    if lock:
        query = query.with_for_update(of=PriceAdjustment)
    adjustment = query.one_or_none() if adjustment_id is not None else None
    if adjustment is None:
        raise BusinessError(_("This price adjustment does not exist."))
    return adjustment


def validate(payload, requester):
    adjustment = _adjustment(payload)
    if adjustment.status != "pending":
        raise BusinessError(_("This price adjustment has already been decided."))
    return {"adjustment_id": adjustment.id}


def apply(req):
    """Approved: lock the rooms, apply each line's new prices, write the history."""
    adjustment = _adjustment(req.payload, lock=True)
    if adjustment.status != "pending":
        raise BusinessError(_("This price adjustment has already been decided."))
    lines = db.session.execute(
        sa.select(PriceAdjustmentLine.id, PriceAdjustmentLine.room_id, PriceAdjustmentLine.old_unit_price,
                  PriceAdjustmentLine.old_total_price, PriceAdjustmentLine.old_floor_price,
                  PriceAdjustmentLine.new_unit_price, PriceAdjustmentLine.new_total_price,
                  PriceAdjustmentLine.new_floor_price)
        .where(PriceAdjustmentLine.adjustment_id == adjustment.id, PriceAdjustmentLine.skipped.is_(None))
        .order_by(PriceAdjustmentLine.room_id)).all()
    room_ids = [line.room_id for line in lines]
    current = {}
    for chunk in _chunks(room_ids):
        for facts in pricing.room_facts(adjustment.project_id, chunk, lock=True):
            current[facts.id] = facts
    now = utcnow()
    who_id = current_actor()[0]
    applied, skipped = 0, []
    for line in lines:
        facts = current.get(line.room_id)
        if facts is None:
            skipped.append({"b_id": line.id, "b_skipped": "changed"})
        elif facts.status in pricing.ACTIVE_DEAL:
            skipped.append({"b_id": line.id, "b_skipped": "active_deal"})
        elif (facts.unit, facts.total, facts.floor_price) != (line.old_unit_price, line.old_total_price,
                                                              line.old_floor_price):
            skipped.append({"b_id": line.id, "b_skipped": "changed"})
        else:
            applied += 1
    if not applied:
        raise BusinessError(_("None of the rooms of this adjustment can be re-priced any more."))
    line_table = PriceAdjustmentLine.__table__
    # Lines that no longer apply are marked first; the rest are applied from the lines themselves
    # (one UPDATE … FROM and one INSERT … SELECT instead of 10,000 statements each).
    for chunk in _chunks(skipped):
        db.session.execute(sa.update(line_table).where(line_table.c.id == sa.bindparam("b_id")).values(
            skipped=sa.bindparam("b_skipped")), chunk, execution_options={"synchronize_session": False})
    room = Room.__table__
    applying = sa.and_(line_table.c.adjustment_id == adjustment.id, line_table.c.skipped.is_(None))
    db.session.execute(
        sa.update(room).where(room.c.id == line_table.c.room_id, applying).values(
            list_unit_price=line_table.c.new_unit_price, list_total_price=line_table.c.new_total_price,
            floor_price=line_table.c.new_floor_price),
        execution_options={"synchronize_session": False})
    history_table = PriceHistory.__table__
    db.session.execute(history_table.insert().from_select(
        ["room_id", "adjustment_id", "changed_by_id", "changed_at", "old_unit_price", "old_total_price",
         "old_floor_price", "new_unit_price", "new_total_price", "new_floor_price"],
        sa.select(line_table.c.room_id, sa.literal(adjustment.id), sa.literal(who_id, sa.Integer),
                  sa.literal(now, sa.DateTime), line_table.c.old_unit_price, line_table.c.old_total_price,
                  line_table.c.old_floor_price, line_table.c.new_unit_price, line_table.c.new_total_price,
                  line_table.c.new_floor_price).where(applying).order_by(line_table.c.room_id)))
    adjustment.status = "approved"
    adjustment.applied_at = now
    adjustment.skipped_count = adjustment.skipped_count + len(skipped)
    db.session.flush()
    # Rooms already in the session must not keep their old prices.
    db.session.expire_all()


def on_close(req):
    """Rejected or withdrawn: nothing changes but the adjustment's status."""
    adjustment = _adjustment(req.payload, lock=True)
    actor_id = current_actor()[0]
    # Only the requester withdraws; nobody decides their own request.
    adjustment.status = "withdrawn" if actor_id == req.requester_id else "rejected"


def describe(req):
    adjustment = _adjustment(req.payload)
    rows = [(_("Project"), adjustment.project.name), (_("Title"), adjustment.title),
            (_("Method"), method_text(adjustment.method, adjustment.value)),
            (_("Rooms"), adjustment.room_count), (_("Rooms keeping their price"), adjustment.skipped_count)]
    totals = db.session.query(sa.func.sum(PriceAdjustmentLine.old_total_price),
                              sa.func.sum(PriceAdjustmentLine.new_total_price)).filter(
        PriceAdjustmentLine.adjustment_id == adjustment.id, PriceAdjustmentLine.skipped.is_(None)).one()
    if totals[0] is not None:
        rows.append((_("List total before → after"), "¥{:,.2f} → ¥{:,.2f}".format(totals[0], totals[1])))
    return rows


def link(req):
    """The approval page links to the adjustment (its page lists the rooms) and to its lines."""
    from flask import url_for
    sm = current_app.appbuilder.sm
    adjustment_id = (req.payload or {}).get("adjustment_id")
    if not isinstance(adjustment_id, int) or isinstance(adjustment_id, bool):
        return []
    links = []
    if sm.has_access("can_show", "PriceAdjustmentView"):
        links.append((_("Open the price adjustment"), url_for("PriceAdjustmentView.show", pk=adjustment_id)))
    if sm.has_access("can_list", "PriceAdjustmentLineView"):
        links.append((_("Rooms of the price adjustment"),
                      url_for("PriceAdjustmentLineView.list", _flt_0_adjustment=adjustment_id)))
    return links


def status_label(status):
    return str(STATUS_LABELS.get(status, status))


def history_of(room_id):
    return (db.session.query(PriceHistory).filter(PriceHistory.room_id == room_id)
            .order_by(PriceHistory.changed_at.desc(), PriceHistory.id.desc()).all())

