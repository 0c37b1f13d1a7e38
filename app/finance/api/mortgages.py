"""REST resource of mortgage cases (按揭): /api/v1/mortgages/, with the page's permissions.

  GET  /api/v1/mortgages/?project=1&bank=3&stage=submitted&overdue=1&page=0   the cases (50 a page)
  GET  /api/v1/mortgages/<id>                      one case with its stage dates
  POST /api/v1/mortgages/<id>/advance              {"stage": "submitted", "date": "2026-11-27",
                                                    "bank": 12 (lookup value of mortgage_bank),
                                                    "expected_on": "2026-12-31", "note": "…"}
  POST /api/v1/mortgages/<id>/disburse             {"amount": "2789000.00", "date": "2026-11-27",
                                                    "reference": "…"}

Answers: 200 with the case; 400 malformed body; 404 unknown case (or a deal the user may not see);
422 refused by a rule (nothing changed)."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core import clock
from app.crm.services import scope
from app.finance.services import mortgages
from app.sales.api.deals import Malformed, _amount, _body, _day, _id, _int, _is_id, _text, run_step


def _money(value):
    return None if value is None else "%.2f" % value


def _iso(value):
    return value.isoformat() if value else None


def as_dict(case, today=None, deal=None, room=None, bank=None, buyers=None, overdue=None):
    today = today or clock.local_today()
    deal = deal if deal is not None else case.deal
    data = {
        "id": case.id, "project_id": case.project_id, "deal_id": case.deal_id,
        "room": room if room is not None else deal.room.code, "deal_state": deal.state,
        "buyers": buyers if buyers is not None else "、".join(b.customer.name for b in deal.buyers),
        "bank_id": case.bank_id, "bank": bank if bank is not None else (case.bank.name if case.bank else None),
        "kind": case.kind, "commercial_amount": _money(case.commercial_amount),
        "provident_amount": _money(case.provident_amount), "years": case.years, "stage": case.stage,
        "stage_since": _iso(case.stage_since), "days_in_stage": mortgages.days_in_stage(case, today),
        "overdue": overdue if overdue is not None else mortgages.overdue(case, today, deal=deal),
        "expected_disbursement_on": _iso(case.expected_disbursement_on),
        "disbursed_amount": _money(case.disbursed_amount), "receipt_id": case.receipt_id,
        "receivable_id": case.receivable_id, "handler_id": case.handler_id, "note": case.note,
    }
    data["dates"] = {stage: _iso(getattr(case, column)) for stage, column in mortgages.STAGE_DATE.items()}
    return data


class MortgageApi(BaseApi):
    resource_name = "mortgages"
    allow_browser_login = True
    class_permission_name = "MortgageView"
    method_permission_name = {"get_list": "list", "get": "show", "advance": "advance", "disburse": "disburse"}
    base_permissions = ["can_list", "can_show", "can_advance", "can_disburse"]
    openapi_spec_tag = "Mortgages"

    def _case(self, pk):
        pk = _int(pk)
        if not _is_id(pk):
            raise mortgages.NotFound(_("There is no such mortgage case."))
        return mortgages.get_case(pk)

    def _run(self, action):
        return run_step(self, action, lambda case: self.response(200, **as_dict(case)))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The mortgage cases, filtered."""
        def act():
            filters = mortgages.Filters(request.args)
            rows, total, pages = mortgages.page(filters)
            today = clock.local_today()
            return {"count": total, "pages": pages, "page": filters.page,
                    "result": [as_dict(r.case, today, r.deal, r.room_code, r.bank, r.buyers, r.overdue)
                               for r in rows]}
        return run_step(self, act, lambda data: self.response(200, **data))

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One mortgage case."""
        return self._run(lambda: self._case(pk))

    @expose("/<pk>/advance", methods=["POST"])
    @protect()
    @safe
    def advance(self, pk):
        """Move the case to its next stage."""
        def act():
            p = _body()
            case = self._case(pk)
            stage = _text(p, "stage", 20)
            if not stage:
                raise Malformed(_("“%(key)s” must be text of at most %(n)d characters.", key="stage", n=20))
            return mortgages.advance(case, stage, _day(p, "date"), user=scope.acting_user(), note=_text(p, "note"),
                                     bank=_id(p, "bank", required=False), expected_on=_day(p, "expected_on"))
        return self._run(act)

    @expose("/<pk>/disburse", methods=["POST"])
    @protect()
    @safe
    def disburse(self, pk):
        """Record the bank's disbursement as the receipt of the loan."""
        def act():
            p = _body()
            case = self._case(pk)
            return mortgages.disburse(case, _day(p, "date"), _amount(p, "amount"), _text(p, "reference", 60),
                                      user=scope.acting_user())
        return self._run(act)
