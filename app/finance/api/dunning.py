"""REST resource of arrears and dunning: /api/v1/dunning/ (shares ArrearsView's permissions).

  GET  /api/v1/dunning/arrears?project=&days=&amount=&type=price|fees&sort=&dir=&page=
       {"count", "page", "pages", "result": [{deal_id, project, room, buyers: [{name, phone}],
        salesperson, overdue_price, overdue_fees, late_fees, overdue, total, oldest_due, days_overdue,
        last_method, last_at, promised_on}]}
  GET  /api/v1/dunning/deals/<deal id>   {"deal_id", "overdue": {...}, "result": [actions, newest first]}
  POST /api/v1/dunning/deals/<deal id>   {"method": "phone", "at": "2026-11-27 10:30" (optional, local time),
                                          "result": "…", "promised_on": "2026-12-01"} → 201 the action

Answers: 400 malformed, 404 unknown or foreign deal, 422 refused by a rule — never 500."""
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.crm.services import scope
from app.extensions import db
from app.finance.services import arrears, dunning
from app.sales.api.deals import Malformed, _body, _int, _is_id, _text, run_step
from app.sales.services import deals


def _money(value):
    return "%.2f" % value


def _row(r):
    return {"deal_id": r.deal_id, "project_id": r.project_id, "project": r.project, "room": r.room,
            "buyers": [{"name": n, "phone": p} for n, p in r.buyers], "salesperson": r.salesperson,
            "overdue_price": _money(r.overdue_price), "overdue_fees": _money(r.overdue_fees),
            "late_fees": _money(r.late_fees), "overdue": _money(r.overdue), "total": _money(r.total),
            "oldest_due": r.oldest.isoformat() if r.oldest else None, "days_overdue": r.days,
            "last_method": r.last_method, "last_at": r.last_at.isoformat() + "Z" if r.last_at else None,
            "promised_on": r.promised_on.isoformat() if r.promised_on else None}


def _str_or_none(payload, key):
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed(_("“%(key)s” must be text such as \"2026-11-27\".", key=key))
    return value


class DunningApi(BaseApi):
    resource_name = "dunning"
    allow_browser_login = True
    class_permission_name = "ArrearsView"
    base_permissions = ["can_list", "can_dun"]
    method_permission_name = {"arrears_list": "list", "actions": "list", "add_action": "dun"}
    openapi_spec_tag = "Dunning"

    @expose("/arrears", methods=["GET"])
    @protect()
    @safe
    def arrears_list(self):
        """The deals with overdue money (same filters as the page)."""
        from flask import request

        def act():
            try:
                filters = arrears.parse_filters(request.args)
            except BusinessError as e:
                raise Malformed(str(e))
            rows, count, pages = arrears.page(filters)
            return {"count": count, "page": filters.page, "pages": pages, "result": [_row(r) for r in rows]}
        return run_step(self, act, lambda result: self.response(200, **result))

    def _deal(self, pk):
        pk = _int(pk)
        if not _is_id(pk):
            raise deals.NotFound(_("There is no such deal."))
        return deals.get_deal(pk)

    @expose("/deals/<pk>", methods=["GET"])
    @protect()
    @safe
    def actions(self, pk):
        """A deal's dunning actions, newest first, and what it owes overdue now."""
        def act():
            deal = self._deal(pk)
            overdue = {k: _money(v) for k, v in arrears.overdue_of(deal.id).items()}
            return {"deal_id": deal.id, "overdue": overdue,
                    "result": [dunning.as_dict(a) for a in dunning.history(deal.id)]}
        return run_step(self, act, lambda result: self.response(200, **result))

    @expose("/deals/<pk>", methods=["POST"])
    @protect()
    @safe
    def add_action(self, pk):
        """Log a dunning action on the deal."""
        def act():
            p = _body()
            deal = self._deal(pk)
            method = p.get("method")
            if not isinstance(method, str):
                raise Malformed(_("“method” must be one of phone, sms, notice, visit, letter."))
            action = dunning.record(deal, method, at=_str_or_none(p, "at"), result=_text(p, "result"),
                                    promised_on=_str_or_none(p, "promised_on"), user=scope.acting_user())
            db.session.refresh(action)
            return action
        return run_step(self, act, lambda action: self.response(201, **dunning.as_dict(action)))
