"""REST resource of deals: /api/v1/deals/ over the same services as the pages.

  POST /api/v1/deals/hold        {"room": 12, "customer": 40, "hours": 24 (optional), "note": "…"}
  POST /api/v1/deals/book        {"room": 12, "customer": 40, "amount": "5000.00", "days": 7 (optional)}
  POST /api/v1/deals/subscribe   {"room": 12, "buyers": [{"customer": 40, "share": "60"}, …] or "customer": 40,
                                  "plan": 3, "discounts": [5], "discount_request": 77 (optional),
                                  "date": "2026-11-27", "sign_by": "2026-12-04", "first_home": true,
                                  "custom": {…}, "note": "…"}
  POST /api/v1/deals/<id>/sign   {"signed_on": "2026-11-27", "filing_no": "…", "filed_on": "…"}
  POST /api/v1/deals/<id>/filing {"filing_no": "…", "filed_on": "…"}
  POST /api/v1/deals/<id>/release {"note": "…"}
  GET  /api/v1/deals/<id>        the deal, its buyers, schedule and timeline

Answers: 201 (made) or 200 with the deal; 400 malformed body; 404 unknown or foreign id;
409 the room was taken by someone else (the message says by whom); 422 refused by a rule;
503 the database was too busy to decide (nothing changed; try again)."""
import datetime as dt

import sqlalchemy as sa
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.views.base import page_permissions
from app.crm.services import scope
from app.extensions import db
from app.sales.models import DiscountPolicy
from app.sales.services import deals
from app.sales.views.deals import DealView

MAX_ID = 2 ** 31 - 1


class Malformed(ValueError):
    pass


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _id(payload, key, required=True):
    value = payload.get(key)
    if value is None and not required:
        return None
    if not _is_id(value):
        raise Malformed(_("“%(key)s” must be a record id (a whole number).", key=key))
    return value


def _text(payload, key, limit=500):
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Malformed(_("“%(key)s” must be text of at most %(n)d characters.", key=key, n=limit))
    return value


def _amount(payload, key):
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Malformed(_("“%(key)s” must be an amount such as \"5000.00\".", key=key))
    return value


def _whole(payload, key):
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(_("“%(key)s” must be a whole number.", key=key))
    return value


def _day(payload, key):
    value = payload.get(key)
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise Malformed(_("“%(key)s” must be a date such as 2026-11-27.", key=key))


def _body():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise Malformed(_("Send a JSON object."))
    return payload


def _buyers(payload):
    rows = payload.get("buyers")
    if rows is None:
        return [(_id(payload, "customer"), None)]
    if not isinstance(rows, list) or not rows:
        raise Malformed(_("“buyers” must be a list such as [{\"customer\": 40, \"share\": \"100\"}]."))
    buyers = []
    for row in rows:
        if not isinstance(row, dict):
            raise Malformed(_("“buyers” must be a list such as [{\"customer\": 40, \"share\": \"100\"}]."))
        share = row.get("share")
        if share is not None and (isinstance(share, bool) or not isinstance(share, (str, int))):
            raise Malformed(_("A buyer's share must be a percentage such as \"50\"."))
        buyers.append((_id(row, "customer"), share))
    return buyers


def _policies(payload):
    ids = payload.get("discounts") or []
    if not isinstance(ids, list) or not all(_is_id(i) for i in ids) or len(ids) > 20:
        raise Malformed(_("“discounts” must be a list of discount policy ids."))
    rows = {p.id: p for p in db.session.query(DiscountPolicy).filter(DiscountPolicy.id.in_(ids))} if ids else {}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise LookupError(_("There is no discount policy %(id)s.", id=missing[0]))
    return [rows[i] for i in ids]


def _money(value):
    return None if value is None else "%.2f" % value


def as_dict(deal, full=False):
    data = {
        "id": deal.id, "project_id": deal.project_id, "room_id": deal.room_id, "room": deal.room.code,
        "customer_id": deal.customer_id, "employee_id": deal.employee_id, "stage": deal.stage, "state": deal.state,
        "room_status": deal.room.status, "hold_until": deal.hold_until.isoformat() + "Z" if deal.hold_until else None,
        "booking_amount": _money(deal.booking_amount),
        "booking_until": deal.booking_until.isoformat() if deal.booking_until else None,
        "subscription_no": deal.subscription_no, "subscribed_on": deal.subscribed_on.isoformat() if deal.subscribed_on
        else None, "plan_id": deal.plan_id, "list_total": _money(deal.list_total), "total": _money(deal.total),
        "unit_price": _money(deal.unit_price), "deposit": _money(deal.deposit),
        "sign_by": deal.sign_by.isoformat() if deal.sign_by else None, "contract_no": deal.contract_no,
        "signed_on": deal.signed_on.isoformat() if deal.signed_on else None, "filing_no": deal.filing_no,
        "filed_on": deal.filed_on.isoformat() if deal.filed_on else None,
        "filing_due": deal.filing_due.isoformat() if deal.filing_due else None,
    }
    if full:
        data["buyers"] = [{"customer_id": b.customer_id, "share": _money(b.share)} for b in deal.buyers]
        data["schedule"] = [{"kind": p.kind, "label": p.label, "amount": _money(p.amount),
                             "due_date": p.due_date.isoformat() if p.due_date else None,
                             "collected_for_others": p.collected_for_others} for p in deal.payments]
        data["timeline"] = [{"action": e.action, "at": e.at.isoformat() + "Z", "user": e.user.username if e.user
                             else None, "note": e.note, "room_id": e.room_id} for e in deals.timeline(deal)]
    return data


def run_step(api, action, answer, conflicts=()):
    """Run a deal step for an API call and answer: answer(result) when it went through, else 400
    malformed, 404 unknown or someone else's, 409 taken (or one of `conflicts`), 422 refused by
    a rule, 503 the database too busy to decide — each with the message, nothing changed."""
    try:
        return answer(action())
    except Malformed as e:
        db.session.rollback()
        return api.response_400(message=str(e))
    except (deals.NotFound, deals.OutOfScope, LookupError) as e:
        db.session.rollback()
        return api.response(404, message=str(e))
    except (deals.Taken,) + tuple(conflicts) as e:
        db.session.rollback()
        return api.response(409, message=str(e))
    except BusinessError as e:
        db.session.rollback()
        return api.response_422(message=str(e))
    except sa.exc.OperationalError:
        # SQLite's write lock timed out (or PostgreSQL cancelled us): nothing was written.
        db.session.rollback()
        return api.response(503, message=_("The database is busy; nothing was changed. Try again."))


class DealApi(BaseApi):
    resource_name = "deals"
    allow_browser_login = True
    class_permission_name = "DealView"
    method_permission_name = {"hold": "act", "book": "act", "subscribe": "act", "sign": "act", "filing": "act",
                              "release": "act", "get": "show"}
    base_permissions = page_permissions(DealView)  # the page's: one set of grants for both
    openapi_spec_tag = "Deals"

    def _run(self, action, status=200):
        # The answer is built from what the step just wrote: no need to read it all again after
        # the commit (this request's session only).
        session = db.session()
        session.expire_on_commit = False
        try:
            return run_step(self, action, lambda deal: self.response(status, **as_dict(deal, full=status == 200)))
        finally:
            session.expire_on_commit = True

    def _deal(self, pk):
        if not _is_id(pk):
            raise deals.NotFound(_("There is no such deal."))
        return deals.get_deal(pk)

    @expose("/hold", methods=["POST"])
    @protect()
    @safe
    def hold(self):
        """Hold an available room for a customer."""
        def act():
            p = _body()
            return deals.hold(deals.get_room(_id(p, "room"), light=True), _id(p, "customer"), user=scope.acting_user(),
                              hours=_whole(p, "hours"), note=_text(p, "note"))
        return self._run(act, 201)

    @expose("/book", methods=["POST"])
    @protect()
    @safe
    def book(self):
        """Book a room (小定) for a customer with a small deposit."""
        def act():
            p = _body()
            return deals.book(deals.get_room(_id(p, "room"), light=True), _id(p, "customer"), _amount(p, "amount"),
                              user=scope.acting_user(), days=_whole(p, "days"), note=_text(p, "note"))
        return self._run(act, 201)

    @expose("/subscribe", methods=["POST"])
    @protect()
    @safe
    def subscribe(self):
        """Subscribe (认购) a room for one or more buyers."""
        def act():
            p = _body()
            room = deals.get_room(_id(p, "room"), light=True)
            custom = p.get("custom")
            if custom is not None and not isinstance(custom, dict):
                raise Malformed(_("“custom” must be an object of custom field values."))
            first_home = p.get("first_home", True)
            if not isinstance(first_home, bool):
                raise Malformed(_("“first_home” must be true or false."))
            return deals.subscribe(room, _buyers(p), _id(p, "plan"), _policies(p), user=scope.acting_user(),
                                   on=_day(p, "date"), first_home=first_home, sign_by=_day(p, "sign_by"),
                                   discount_request_id=_id(p, "discount_request", required=False), custom=custom,
                                   note=_text(p, "note"))
        return self._run(act, 201)

    @expose("/<pk>/sign", methods=["POST"])
    @protect()
    @safe
    def sign(self, pk):
        """Sign the contract of a subscribed deal."""
        def act():
            p = _body()
            deal = self._deal(_int(pk))
            return deals.sign(deal, user=scope.acting_user(), signed_on=_day(p, "signed_on"),
                              filing_no=_text(p, "filing_no", 60), filed_on=_day(p, "filed_on"))
        return self._run(act)

    @expose("/<pk>/filing", methods=["POST"])
    @protect()
    @safe
    def filing(self, pk):
        """Record the online filing (网签备案) of a signed contract."""
        def act():
            p = _body()
            deal = self._deal(_int(pk))
            return deals.record_filing(deal, _text(p, "filing_no", 60), _day(p, "filed_on"), user=scope.acting_user())
        return self._run(act)

    @expose("/<pk>/release", methods=["POST"])
    @protect()
    @safe
    def release(self, pk):
        """Release a hold or booking by hand."""
        def act():
            p = request.get_json(silent=True) or {}
            if not isinstance(p, dict):
                raise Malformed(_("Send a JSON object."))
            return deals.release(self._deal(_int(pk)), user=scope.acting_user(), note=_text(p, "note"))
        return self._run(act)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """The deal with its buyers, schedule and timeline."""
        return self._run(lambda: self._deal(_int(pk)))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
