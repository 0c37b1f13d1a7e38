"""Deal changes through approval (审批): rename (更名), room change (换房) and cancellation (退房).

The deal's salesperson, their managers or an admin asks (request_rename, request_room_change,
request_cancel); a 销售经理 of the salesperson's department (or an admin; never the requester)
approves or rejects on the approvals pages. The approval kinds' apply() makes the change in the
transaction that records the decision, so both happen or neither does.

- One pending change request per deal (whatever its kind): a second one is refused. The deal row
  is locked while a request is checked, so two requests sent the same instant cannot both pass.
- Rename: one to five buyers whose shares add up to 100, for a subscribed or signed deal. The
  buyers are replaced on approval; the new buyers' opportunities move to the deal's stage and a
  removed buyer's opportunity goes back to "intent" unless they buy another room of the project.
- Room change: to an available room of the same project, for a booked, subscribed or signed
  deal. The new price is the price trial of the new room with the deal's payment plan, discount
  policies and dates (the terms agreed at subscription), so that the same discounts apply to the
  new room's list price; a booked deal has no price yet and keeps its booking deposit. The
  request shows the old price, the new price and the difference; approval is refused when the
  new room's price changed since. The target room stays available while the request is pending,
  but a second pending request for the same target room is refused; on approval it must still be
  available (compare-and-set), else the approval is refused and nothing changes.
- Cancellation: a booked, subscribed or signed deal (a hold is released, not cancelled). The
  request states what was paid (default: the deposit, or the booking deposit of a booking), what
  is refunded (at most what was paid) and so what is kept. On approval the deal is cancelled,
  the room is available again, the buyers' opportunities go back to "intent", and a DealRefund
  (status to_refund) is handed to finance, whose users are notified.

Every step is kept in the deal's timeline: "request", then "rename"/"room_change"/"cancel" or
"rejected" (a withdrawal is a "note")."""
import decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles
from app.core.context import current_user_obj
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest, LookupValue
from app.core.models.base import utcnow
from app.core.services import approvals, lookup, notifications
from app.crm.models import Customer
from app.crm.services import opportunities
from app.extensions import db
from app.inventory.models import Room
from app.sales.models import OPPORTUNITY_STAGE, Deal, DealBuyer, DealRefund
from app.sales.services import deals, hooks, permissions
from app.sales.services import trial as trials

D = decimal.Decimal
RENAME, ROOM_CHANGE, CANCEL = "deal_rename", "deal_room_change", "deal_cancel"
KINDS = {"rename": RENAME, "change_room": ROOM_CHANGE, "cancel": CANCEL}
ACTIONS = {RENAME: "rename", ROOM_CHANGE: "room_change", CANCEL: "cancel"}
KIND_LABELS = {RENAME: _l("Change of buyers"), ROOM_CHANGE: _l("Room change"), CANCEL: _l("Deal cancellation")}
RENAME_STAGES = ("subscribed", "signed")
ROOM_CHANGE_STAGES = ("booked", "subscribed", "signed")
CANCEL_STAGES = ("booked", "subscribed", "signed")
TARGET = "deal"


class Pending(BusinessError):
    """Another request waits for approval on the deal or on the target room (the API answers 409)."""


def _yuan(value):
    if value in (None, ""):
        return ""
    try:
        return "¥{:,.2f}".format(D(value))
    except (TypeError, ValueError, decimal.InvalidOperation):
        return ""


def percent(value):
    """50 for 50.00, 33.33 for 33.33: a share as people write it."""
    text = "%.2f" % D(value or 0)
    return text.rstrip("0").rstrip(".")


def signed_money(value):
    value = D(value)
    return ("+" if value > 0 else "−" if value < 0 else "") + _yuan(abs(value))


def _text(value, limit=500):
    if value is None:
        return None
    if not isinstance(value, str):
        raise BusinessError(_("The note must be text."))
    value = value.strip()
    if len(value) > limit:
        raise BusinessError(_("The note may be at most %(n)d characters long.", n=limit))
    return value or None


def _int(value):
    if isinstance(value, bool):
        return None
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2 ** 31 else None


# ---------------------------------------------------------------- reading

def pending_request(deal_id):
    """The pending change request of a deal, or None."""
    return (db.session.query(ApprovalRequest)
            .filter(ApprovalRequest.kind.in_(tuple(KINDS.values())), ApprovalRequest.status == "pending",
                    ApprovalRequest.target_table == TARGET, ApprovalRequest.target_id == str(deal_id))
            .order_by(ApprovalRequest.id).first())


def pending_by_deal(deal_ids):
    """{deal id: its pending change request} for many deals in one query (lists, the chart)."""
    ids = [str(i) for i in deal_ids or []]
    if not ids:
        return {}
    rows = (db.session.query(ApprovalRequest)
            .filter(ApprovalRequest.kind.in_(tuple(KINDS.values())), ApprovalRequest.status == "pending",
                    ApprovalRequest.target_table == TARGET, ApprovalRequest.target_id.in_(ids))
            .order_by(ApprovalRequest.id).all())
    out = {}
    for row in rows:
        out.setdefault(int(row.target_id), row)
    return out


def pending_label(req):
    """"Room change (换房) pending approval" for a deal page or a room card."""
    return _("%(kind)s pending approval", kind=approvals.kind_label(req.kind)) if req is not None else ""


def reasons(code):
    return lookup.active_values(code).all()


def default_paid(deal):
    """What the buyer has paid so far: finance's answer (receipts net of refunds) when it has one,
    else a guess from the deposit or booking deposit."""
    guess = D("0.00")
    if deal.stage in ("subscribed", "signed") and deal.deposit:
        guess = D(deal.deposit)
    elif deal.booking_amount:
        guess = D(deal.booking_amount)
    return hooks.ask("paid", deal, guess)


def target_rooms(deal, user=None):
    """The available rooms of the deal's project the user may sell, except the deal's own and those
    another pending room change asks for, with a list price, by building and code (the room change
    form's choices)."""
    user = deals._user(user)
    grants = permissions.grants_for(user)
    query = (db.session.query(Room).filter(Room.project_id == deal.project_id, Room.status == "available",
                                           Room.id != deal.room_id, Room.list_total_price > 0)
             .order_by(Room.building_id, Room.code))
    condition = grants.room_condition()
    if condition is not None:
        query = query.filter(condition)
    asked = requested_rooms()
    return [room for room in query.all() if room.id not in asked]


def requested_rooms():
    """The ids of the rooms that pending room changes ask for."""
    rows = db.session.query(ApprovalRequest.payload).filter(ApprovalRequest.kind == ROOM_CHANGE,
                                                            ApprovalRequest.status == "pending").all()
    return {(payload or {}).get("room_id") for (payload,) in rows}


# ---------------------------------------------------------------- checks shared by the three

def _deal(deal_or_id, user):
    deal = deal_or_id if isinstance(deal_or_id, Deal) else deals.get_deal(deal_or_id, user)
    deals.check_deal_visible(deal)
    permissions.check_may_sell(user, deal.room)
    return deal


def _lock(deal):
    """Lock the deal's row until the transaction ends (PostgreSQL): requests for one deal queue."""
    db.session.query(Deal.id).filter(Deal.id == deal.id).with_for_update().one()


def _check_active(deal, stages, message):
    if deal.state != "active":
        raise BusinessError(_("This deal is %(state)s; it cannot be changed any more.",
                              state=deals.state_label(deal.state)))
    if deal.stage not in stages:
        raise BusinessError(message)


def _check_no_pending(deal):
    req = pending_request(deal.id)
    if req is not None:
        raise Pending(_("This deal already has a request waiting for approval (%(kind)s, #%(id)d); wait for "
                        "its decision or withdraw it first.", kind=approvals.kind_label(req.kind), id=req.id))


def _reason(code, value, missing):
    reason_id = _int(value)
    row = db.session.get(LookupValue, reason_id) if reason_id else None
    if row is None or row.list_code != code or not row.active:
        raise BusinessError(missing)
    return row


def _payload_deal(payload, requester, stages, message):
    deal = _deal(_int(payload.get("deal_id")) or 0, requester)
    _lock(deal)
    db.session.refresh(deal)
    _check_active(deal, stages, message)
    _check_no_pending(deal)
    return deal


def _stage_message(kind):
    return {RENAME: _("Buyers can be changed only on a subscribed or signed deal."),
            ROOM_CHANGE: _("Only a booked, subscribed or signed deal can move to another room."),
            CANCEL: _("Only a booked, subscribed or signed deal is cancelled; a hold is simply released.")}[kind]


def _submit(kind, deal, payload, user, summary_text):
    """Submit through approvals (which calls validate again inside its transaction), then write
    the request into the deal's timeline."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        summary = summary_text()
    req = approvals.submit(kind, user, TARGET, deal.id, payload, summary, payload.get("note"))
    with deals._acting(user):
        deals.event(deal, "request", user, req.summary, {"request_id": req.id, "kind": kind})
        seller = deal.employee.user_id if deal.employee is not None else None
        if seller and seller != user.id:  # a manager asked for the salesperson's deal
            with notifications.default_language():
                notifications.notify(seller, _("%(kind)s asked for your deal: %(summary)s",
                                               kind=approvals.kind_label(kind), summary=req.summary),
                                     link="/sales/deals/%d" % deal.id, commit=False)
        db.session.commit()
    return req


# ---------------------------------------------------------------- 更名 rename

def _buyer_rows(deal):
    return [{"customer_id": b.customer_id, "name": b.customer.name, "share": "%.2f" % b.share} for b in deal.buyers]


def clean_rename(payload, requester):
    deal = _payload_deal(payload, requester, RENAME_STAGES, _stage_message(RENAME))
    buyers = deals.parse_buyers([(row[0], row[1]) if isinstance(row, (list, tuple)) and len(row) == 2 else (row, None)
                                 for row in payload.get("buyers") or []])
    reason = _reason("rename_reason", payload.get("reason_id"), _("Choose the reason for the change of buyers."))
    old = _buyer_rows(deal)
    new = [{"customer_id": c.id, "name": c.name, "share": "%.2f" % s} for c, s in buyers]
    if [(r["customer_id"], r["share"]) for r in old] == [(r["customer_id"], r["share"]) for r in new]:
        raise BusinessError(_("These are the deal's buyers already; change a buyer or a share."))
    return {"deal_id": deal.id, "room_id": deal.room_id, "room_code": deal.room.code, "project": deal.project.name,
            "stage": deal.stage, "buyers": [[c.id, "%.2f" % s] for c, s in buyers], "old_buyers": old,
            "new_buyers": new, "reason_id": reason.id, "reason": reason.name, "note": _text(payload.get("note"))}


def request_rename(deal, buyers, reason_id, note=None, user=None):
    """Ask to replace the deal's buyers: buyers as [(customer or id, share)]."""
    user = deals._user(user)
    deal = _deal(deal, user)
    rows = [(getattr(c, "id", c), None if s in (None, "") else str(s)) for c, s in buyers or []]
    payload = clean_rename({"deal_id": deal.id, "buyers": rows, "reason_id": reason_id, "note": note}, user)
    db.session.rollback()  # the row lock of the check; submit checks again in its own transaction

    def summary():
        names = "、".join("%s %s%%" % (b["name"], percent(b["share"])) for b in payload["new_buyers"])
        return _("Change of buyers of room %(room)s (%(project)s) to %(buyers)s: %(reason)s",
                 room=payload["room_code"], project=payload["project"], buyers=names, reason=payload["reason"])
    return _submit(RENAME, deal, payload, user, summary)


def apply_rename(req):
    p = req.payload or {}
    deal = _approved_deal(req, RENAME_STAGES)
    approver = current_user_obj()
    ids = [int(row[0]) for row in p.get("buyers") or []]
    found = {c.id: c for c in db.session.query(Customer).filter(Customer.id.in_(ids))} if ids else {}
    if not ids or len(found) != len(ids):
        raise BusinessError(_("A buyer of this request no longer exists; reject it and ask again."))
    old_ids = [b.customer_id for b in deal.buyers]
    with deals._acting(approver):
        for buyer in list(deal.buyers):
            db.session.delete(buyer)
        db.session.flush()
        for n, row in enumerate(p["buyers"]):
            db.session.add(DealBuyer(deal_id=deal.id, customer_id=int(row[0]), share=D(row[1]), position=n))
        deal.customer_id = ids[0]
        deal.updated_at = utcnow()
        db.session.flush()
        db.session.expire(deal, ["buyers", "customer"])
        deals.event(deal, "rename", approver, p.get("reason"),
                    {"request_id": req.id, "old": p.get("old_buyers"), "new": p.get("new_buyers"),
                     "reason": p.get("reason"), "note": p.get("note")})
        stage = OPPORTUNITY_STAGE[deal.stage]
        for customer_id in ids:
            opportunities.advance(customer_id, deal.project_id, stage, employee=deal.employee)
        for customer_id in old_ids:
            if customer_id not in ids and not _buys_in_project(customer_id, deal.project_id):
                opportunities.set_back(customer_id, deal.project_id, "intent")
        with notifications.default_language():
            _tell(deal, req, approver, _("The buyers of room %(room)s were changed (approved)", room=deal.room.code))


def _tell(deal, req, actor, title, managers=False):
    """The deal's salesperson (and the department's managers) hear of a decision, except the
    one who made it and the requester (whom the approvals module tells)."""
    ids = set()
    if deal.employee is not None and deal.employee.user_id:
        ids.add(deal.employee.user_id)
    if managers:
        ids |= set(deals.manager_user_ids(deal.employee))
    ids -= {getattr(actor, "id", None), req.requester_id}
    if ids:
        notifications.notify_many(sorted(ids), title, link="/sales/deals/%d" % deal.id, commit=False)


def _buys_in_project(customer_id, project_id, except_deal_id=None):
    """Is the customer a buyer of another active deal of the project?"""
    query = (db.session.query(Deal.id).join(DealBuyer, DealBuyer.deal_id == Deal.id)
             .filter(DealBuyer.customer_id == customer_id, Deal.project_id == project_id, Deal.state == "active"))
    if except_deal_id is not None:
        query = query.filter(Deal.id != except_deal_id)
    return query.first() is not None


def describe_rename(req):
    p = req.payload or {}
    rows = _head_rows(req)
    rows.append((_("Buyers now"), _buyers_text(p.get("old_buyers"))))
    rows.append((_("New buyers"), _buyers_text(p.get("new_buyers"))))
    rows.append((_("Reason"), p.get("reason")))
    rows.append((_("Asked by"), approvals.display_name(req.requester)))
    return rows


def _buyers_text(rows):
    return "、".join("%s (%s%%)" % (r.get("name"), percent(r.get("share"))) for r in rows or [])


# ---------------------------------------------------------------- 换房 room change

def price_change(deal, room):
    """The figures of moving the deal to `room`: {"trial", "old_total", "new_total", "difference",
    …}; for a booked deal (no price yet) the list prices only. BusinessError when the trial
    refuses (e.g. the payment plan is disabled)."""
    old_list = D(deal.list_total if deal.list_total is not None else deal.room.list_total_price or 0)
    if deal.stage == "booked" or deal.plan is None:
        new_list, _total, _unit = trials.price_of(room)
        return {"trial": None, "priced": False, "old_list_total": old_list, "new_list_total": new_list,
                "old_total": None, "new_total": None, "difference": new_list - old_list}
    trial = trials.trial(room, deal.plan, deal.subscribed_on, first_home=deal.first_home,
                         subscription_date=deal.subscribed_on, signing_date=deal.signed_on or deal.sign_by,
                         discounts=deals._policies(deal.policy_ids), customer=deal.customer)
    return {"trial": trial, "priced": True, "old_list_total": old_list, "new_list_total": trial.list_total,
            "old_total": D(deal.total), "new_total": trial.total, "difference": trial.total - D(deal.total),
            "old_unit_price": D(deal.unit_price or 0), "new_unit_price": trial.unit_price,
            "old_deposit": D(deal.deposit or 0), "new_deposit": trial.deposit}


def preview_room_change(deal, room_id, user=None):
    """The price difference of a room change before asking (the form's preview)."""
    user = deals._user(user)
    deal = _deal(deal, user)
    room = _target_room(deal, room_id, user)
    return room, price_change(deal, room)


def _target_room(deal, room_id, user):
    if _int(room_id) is None:
        raise BusinessError(_("Choose the room to move to."))
    room = deals.get_room(room_id)
    if room.project_id != deal.project_id:
        raise BusinessError(_("A deal moves only to a room of the same project (%(project)s).",
                              project=deal.project.name))
    if room.id == deal.room_id:
        raise BusinessError(_("This is the deal's room already; choose another room."))
    permissions.check_may_sell(user, room)
    if room.status != "available":
        raise deals.Taken(deals.taken_message(room.id))
    return room


def _check_target_free(room, except_request_id=None):
    rows = (db.session.query(ApprovalRequest)
            .filter(ApprovalRequest.kind == ROOM_CHANGE, ApprovalRequest.status == "pending").all())
    for row in rows:
        if row.id != except_request_id and (row.payload or {}).get("room_id") == room.id:
            raise Pending(_("Room %(room)s is already asked for by another room change waiting for approval "
                            "(#%(id)d).", room=room.code, id=row.id))


def figures(change):
    def money(key):
        value = change.get(key)
        return None if value is None else "%.2f" % value
    return {"priced": change["priced"], "old_list_total": money("old_list_total"),
            "new_list_total": money("new_list_total"), "old_total": money("old_total"),
            "new_total": money("new_total"), "difference": money("difference"),
            "old_unit_price": money("old_unit_price"), "new_unit_price": money("new_unit_price"),
            "old_deposit": money("old_deposit"), "new_deposit": money("new_deposit"),
            "schedule_total": money("new_total")}


def clean_room_change(payload, requester):
    deal = _payload_deal(payload, requester, ROOM_CHANGE_STAGES, _stage_message(ROOM_CHANGE))
    room = _target_room(deal, payload.get("room_id"), requester)
    _check_target_free(room)
    change = price_change(deal, room)
    data = {"deal_id": deal.id, "stage": deal.stage, "old_room_id": deal.room_id, "old_room_code": deal.room.code,
            "room_id": room.id, "room_code": room.code, "project": deal.project.name,
            "plan": deal.plan.name if deal.plan is not None else None, "note": _text(payload.get("note"))}
    data.update(figures(change))
    return data


def request_room_change(deal, room_id, note=None, user=None):
    """Ask to move the deal to another available room of the project."""
    user = deals._user(user)
    deal = _deal(deal, user)
    payload = clean_room_change({"deal_id": deal.id, "room_id": _int(room_id) or room_id, "note": note}, user)
    db.session.rollback()

    def summary():
        if payload["priced"]:
            return _("Room change %(old)s → %(new)s (%(project)s): %(old_total)s → %(new_total)s (%(difference)s)",
                     old=payload["old_room_code"], new=payload["room_code"], project=payload["project"],
                     old_total=_yuan(payload["old_total"]), new_total=_yuan(payload["new_total"]),
                     difference=signed_money(payload["difference"]))
        return _("Room change %(old)s → %(new)s (%(project)s), booked", old=payload["old_room_code"],
                 new=payload["room_code"], project=payload["project"])
    return _submit(ROOM_CHANGE, deal, payload, user, summary)


def apply_room_change(req):
    p = req.payload or {}
    deal = _approved_deal(req, ROOM_CHANGE_STAGES)
    approver = current_user_obj()
    if deal.stage != p.get("stage") or deal.room_id != p.get("old_room_id"):
        raise BusinessError(_("The deal moved on since the request (it is now %(stage)s); reject the request and ask "
                              "again.", stage=deals.stage_label(deal.stage)))
    room = db.session.get(Room, _int(p.get("room_id")) or 0)
    if room is None:
        raise BusinessError(_("The room of this request no longer exists."))
    if room.status != "available":
        raise BusinessError(_("Room %(room)s is no longer available (%(why)s); the room change cannot be approved. "
                              "Nothing was changed.", room=room.code, why=deals.taken_message(room.id)))
    change = price_change(deal, room)
    if change["priced"] and "%.2f" % change["new_total"] != p.get("new_total"):
        raise BusinessError(_("The price of room %(room)s changed since the request: it would now be %(price)s. "
                              "Reject the request and ask again.", room=room.code, price=_yuan(change["new_total"])))
    old_room = deal.room
    stage = deal.stage
    codes = {old_room.id: old_room.code, room.id: room.code}
    values = {"room_id": room.id, "updated_at": utcnow()}
    if change["priced"]:
        trial = change["trial"]
        values.update(list_total=trial.list_total, total=trial.total, unit_price=trial.unit_price,
                      deposit=trial.deposit)
    steps = sorted([(old_room.id, stage, "available"), (room.id, "available", stage)])
    with deals._acting(approver):
        try:
            for room_id, expected, new in steps:
                deals._take_room(room_id, expected, new)
        except deals.Taken as e:
            raise BusinessError(_("Room %(room)s is no longer available (%(why)s); the room change cannot be "
                                  "approved. Nothing was changed.", room=codes[room.id], why=str(e)))
        deals._move_deal(deal, (stage,), values)
        db.session.refresh(deal)
        deals._sync(old_room, "available")
        deals._sync(room, stage)
        if change["priced"]:
            deals._write_schedule(deal, change["trial"])
        data = {"request_id": req.id, "from_room_id": old_room.id, "from_room": old_room.code, "to_room_id": room.id,
                "to_room": room.code}
        data.update(figures(change))
        note = "%s → %s" % (old_room.code, room.code)
        deals.event(deal, "room_change", approver, note, data, room_id=old_room.id)
        deals.event(deal, "room_change", approver, note, data, room_id=room.id)
        with notifications.default_language():
            _tell(deal, req, approver, _("The deal of room %(old)s moved to room %(new)s (approved)",
                                         old=old_room.code, new=room.code))


def describe_room_change(req):
    p = req.payload or {}
    rows = _head_rows(req)
    rows.append((_("From room"), p.get("old_room_code")))
    rows.append((_("To room"), p.get("room_code")))
    rows.append((_("List price of the current room"), _yuan(p.get("old_list_total"))))
    rows.append((_("List price of the new room"), _yuan(p.get("new_list_total"))))
    if p.get("priced"):
        rows.append((_("Payment plan"), p.get("plan")))
        rows.append((_("Price now"), _yuan(p.get("old_total"))))
        rows.append((_("New price"), _yuan(p.get("new_total"))))
        rows.append((_("Difference"), signed_money(p.get("difference") or 0)))
        rows.append((_("New unit price"), _yuan(p.get("new_unit_price"))))
        rows.append((_("Deposit"), "%s → %s" % (_yuan(p.get("old_deposit")), _yuan(p.get("new_deposit")))))
    else:
        rows.append((_("Price"), _("Booked: the price is agreed at subscription; the booking deposit stays.")))
    rows.append((_("Asked by"), approvals.display_name(req.requester)))
    return rows


# ---------------------------------------------------------------- 退房 cancellation

def clean_cancel(payload, requester):
    deal = _deal(_int(payload.get("deal_id")) or 0, requester)
    if deal.state == "active" and deal.stage == "held":
        raise BusinessError(_("A hold is not cancelled: release it (no approval is needed)."))
    deal = _payload_deal(payload, requester, CANCEL_STAGES, _stage_message(CANCEL))
    reason = _reason("cancel_reason", payload.get("reason_id"), _("Choose the reason for the cancellation."))
    paid = payload.get("paid")
    paid = default_paid(deal) if paid in (None, "") else deals._money(
        paid, _("Enter what was paid as an amount (0 or more)."), allow_zero=True)
    refund = payload.get("refund")
    if refund in (None, ""):
        raise BusinessError(_("Enter the amount to refund (0 when nothing is refunded)."))
    refund = deals._money(refund, _("Enter the amount to refund as an amount (0 or more)."), allow_zero=True)
    if refund > paid:
        raise BusinessError(_("The refund of %(refund)s is more than the %(paid)s paid.", refund=_yuan(refund),
                              paid=_yuan(paid)))
    return {"deal_id": deal.id, "stage": deal.stage, "room_id": deal.room_id, "room_code": deal.room.code,
            "project": deal.project.name, "customer": deal.customer.name, "reason_id": reason.id,
            "reason": reason.name, "paid": "%.2f" % paid, "refund": "%.2f" % refund, "kept": "%.2f" % (paid - refund),
            "total": None if deal.total is None else "%.2f" % deal.total, "note": _text(payload.get("note"))}


def request_cancel(deal, reason_id, refund, paid=None, note=None, user=None):
    """Ask to cancel the deal, refunding `refund` of `paid` (default: the deposit or booking deposit)."""
    user = deals._user(user)
    deal = _deal(deal, user)
    payload = clean_cancel({"deal_id": deal.id, "reason_id": reason_id, "paid": paid, "refund": refund,
                            "note": note}, user)
    db.session.rollback()

    def summary():
        return _("Cancellation of room %(room)s (%(project)s, %(customer)s): paid %(paid)s, refund %(refund)s, "
                 "kept %(kept)s: %(reason)s", room=payload["room_code"], project=payload["project"],
                 customer=payload["customer"], paid=_yuan(payload["paid"]), refund=_yuan(payload["refund"]),
                 kept=_yuan(payload["kept"]), reason=payload["reason"])
    return _submit(CANCEL, deal, payload, user, summary)


def apply_cancel(req):
    p = req.payload or {}
    deal = _approved_deal(req, CANCEL_STAGES)
    approver = current_user_obj()
    if deal.stage != p.get("stage"):
        raise BusinessError(_("The deal moved on since the request (it is now %(stage)s); reject the request and ask "
                              "again.", stage=deals.stage_label(deal.stage)))
    room = deal.room
    stage = deal.stage
    now = utcnow()
    paid, refund, kept = D(p["paid"]), D(p["refund"]), D(p["kept"])
    with deals._acting(approver):
        deals._take_room(room.id, stage, "available")
        deals._move_deal(deal, (stage,), {"state": "cancelled", "ended_at": now, "end_reason_id": p.get("reason_id"),
                                          "end_note": p.get("note"), "updated_at": now})
        db.session.refresh(deal)
        deals._sync(room, "available")
        deals.event(deal, "cancel", approver, p.get("reason"),
                    {"request_id": req.id, "paid": p["paid"], "refund": p["refund"], "kept": p["kept"],
                     "reason": p.get("reason"), "note": p.get("note")})
        for buyer in deal.buyers:
            if not _buys_in_project(buyer.customer_id, deal.project_id, except_deal_id=deal.id):
                opportunities.set_back(buyer.customer_id, deal.project_id, "intent")
        refund_row = DealRefund(deal_id=deal.id, request_id=req.id, paid=paid, refund=refund, kept=kept,
                                reason_id=p.get("reason_id"), note=p.get("note"),
                                status="to_refund" if refund > 0 else "nothing_due",
                                requested_by_id=req.requester_id, approved_by_id=getattr(approver, "id", None),
                                created_at=now)
        db.session.add(refund_row)
        db.session.flush()
        hooks.fire("cancelled", deal, refund_row)
        with notifications.default_language():
            if refund > 0:
                finance = [uid for uid in finance_user_ids() if uid != getattr(approver, "id", None)]
                if finance:
                    notifications.notify_many(
                        finance, _("Refund %(refund)s to pay: room %(room)s (%(project)s) was cancelled",
                                   refund=_yuan(refund), room=room.code, project=deal.project.name),
                        _("Paid %(paid)s, refund %(refund)s, kept %(kept)s. Reason: %(reason)s",
                          paid=_yuan(paid), refund=_yuan(refund), kept=_yuan(kept), reason=p.get("reason")),
                        link="/sales/deals/%d" % deal.id, commit=False)
            _tell(deal, req, approver, _("The deal of room %(room)s was cancelled (approved)", room=room.code),
                  managers=True)
    return refund_row


def finance_user_ids():
    """The active logins holding the finance role (财务)."""
    sm = current_app.appbuilder.sm
    User, Role = sm.user_model, sm.role_model
    return [uid for (uid,) in db.session.query(User.id).join(User.roles)
            .filter(Role.name == roles.FINANCE, User.active.is_(True)).order_by(User.id).distinct()]


def describe_cancel(req):
    p = req.payload or {}
    rows = _head_rows(req)
    rows.append((_("Buyer"), p.get("customer")))
    if p.get("total"):
        rows.append((_("Price"), _yuan(p.get("total"))))
    rows.append((_("Paid so far"), _yuan(p.get("paid"))))
    rows.append((_("To refund"), _yuan(p.get("refund"))))
    rows.append((_("Kept (penalty)"), _yuan(p.get("kept"))))
    rows.append((_("Reason"), p.get("reason")))
    rows.append((_("Asked by"), approvals.display_name(req.requester)))
    return rows


# ---------------------------------------------------------------- the approval kinds' hooks

def _approved_deal(req, stages):
    deal = db.session.get(Deal, _int(req.target_id) or 0)
    if deal is None:
        raise BusinessError(_("The deal of this request no longer exists."))
    _lock(deal)
    db.session.refresh(deal)
    if deal.state != "active" or deal.stage not in stages:
        raise BusinessError(_("The deal is now %(stage)s; this request cannot be approved any more. Reject it.",
                              stage=deals.stage_label(deal.stage) if deal.state == "active"
                              else deals.state_label(deal.state)))
    return deal


def _head_rows(req):
    p = req.payload or {}
    deal = db.session.get(Deal, _int(req.target_id) or 0)
    rows = [(_("Project"), p.get("project"))]
    if req.kind != ROOM_CHANGE:
        rows.append((_("Room"), p.get("room_code")))
    if deal is not None:
        rows.append((_("Deal"), deal.contract_no or deal.subscription_no or "#%d" % deal.id))
        rows.append((_("Deal stage"), deals.stage_label(p.get("stage") or deal.stage)))
        rows.append((_("Salesperson"), deal.employee.name if deal.employee is not None else ""))
    return rows


def _validate(clean):
    def validate(payload, requester):
        return clean(payload, requester)
    return validate


def scope(req, user):
    """A sales manager decides the requests of the salespeople of their department (and below)."""
    deal = db.session.get(Deal, _int(req.target_id) or 0)
    return deal is not None and user.id in deals.manager_user_ids(deal.employee)


def link(req):
    if _int(req.target_id) is None:
        return []
    return [(_("Open the deal"), "/sales/deals/%d" % int(req.target_id))]


def on_close(req):
    """Rejected or withdrawn: the deal's timeline says so (nothing was held meanwhile)."""
    deal = db.session.get(Deal, _int(req.target_id) or 0)
    if deal is None:
        return
    user = current_user_obj()
    with notifications.default_language():
        if user is not None and user.id == req.requester_id:
            deals.event(deal, "note", user, _("Request withdrawn: %(summary)s", summary=req.summary)[:500],
                        {"request_id": req.id, "kind": req.kind, "withdrawn": True})
        else:
            deals.event(deal, "rejected", user, req.summary, {"request_id": req.id, "kind": req.kind})
            _tell(deal, req, user, _("Rejected: %(summary)s", summary=req.summary))


def register():
    approvers = (roles.MANAGER, roles.ADMIN)
    for kind, clean, apply, describe in ((RENAME, clean_rename, apply_rename, describe_rename),
                                         (ROOM_CHANGE, clean_room_change, apply_room_change, describe_room_change),
                                         (CANCEL, clean_cancel, apply_cancel, describe_cancel)):
        approvals.register_kind(kind, KIND_LABELS[kind], apply=apply, approver_roles=approvers, describe=describe,
                                validate=_validate(clean), scope=scope, on_close=on_close, link=link)


def request(action, deal, data, user=None):
    """One entry for the page and the API: action is rename, change_room or cancel; data the
    fields of the form or the JSON body."""
    if action == "rename":
        return request_rename(deal, data.get("buyers") or [], data.get("reason"), data.get("note"), user=user)
    if action == "change_room":
        return request_room_change(deal, data.get("room"), data.get("note"), user=user)
    if action == "cancel":
        return request_cancel(deal, data.get("reason"), data.get("refund"), data.get("paid"), data.get("note"),
                              user=user)
    raise ValueError(action)

