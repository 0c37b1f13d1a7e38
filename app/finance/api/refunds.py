"""REST resource of refunds (退款) and adjustments (款项调整): /api/v1/refunds/, sharing the permissions
of the refunds page (RefundView).

  GET  /api/v1/refunds/?deal=ID&project=ID&status=pending&kind=cancellation&page=0   refunds, newest first
  GET  /api/v1/refunds/<id>                      one refund (with its approval's status)
  POST /api/v1/refunds/                          {"deal": 12, "amount": "5000.00", "kind": "overpayment",
                                                  "reason": "…", "payee": "…" (optional)} → 201, sent for approval
  POST /api/v1/refunds/<id>/pay                  {"paid_on": "2026-11-27", "method": "transfer", "reference": "…"}
  POST /api/v1/refunds/adjustments               {"receivable": 40, "amount": "-120.50", "reason": "…"} → 201

Answers: 400 malformed body; 404 unknown or foreign id; 422 refused by a rule (nothing changed)."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.services import approvals
from app.crm.services import scope
from app.extensions import db
from app.finance.models import REFUND_KINDS, REFUND_STATUSES
from app.finance.services import adjustments, common, refunds
from app.finance.views.refunds import PERMISSIONS, VIEW, Filters, _query
from app.sales.api.deals import Malformed, _amount, _body, _id, _int, _is_id, _text, run_step
from app.finance.models import Refund

PAGE_SIZE = 50


def _money(value):
    return None if value is None else "%.2f" % value


def as_dict(refund):
    req = refunds.request_of(refund)
    return {"id": refund.id, "number": refund.number, "project_id": refund.project_id, "deal_id": refund.deal_id,
            "room": refund.deal.room.code, "kind": refund.kind, "amount": _money(refund.amount),
            "payee": refund.payee, "reason": refund.reason, "status": refund.status,
            "overdue": refunds.is_overdue(refund), "due_date": refund.due_date.isoformat() if refund.due_date else None,
            "request_id": refund.request_id, "request_status": req.status if req is not None else None,
            "deal_refund_id": refund.deal_refund_id,
            "paid_on": refund.paid_on.isoformat() if refund.paid_on else None, "method": refund.method,
            "reference": refund.reference, "paid_by": refund.paid_by.username if refund.paid_by else None,
            "created_at": refund.created_at.isoformat() + "Z"}


def adjustment_dict(a):
    return {"id": a.id, "receivable_id": a.receivable_id, "deal_id": a.deal_id, "amount": _money(a.amount),
            "reason": a.reason, "status": a.status, "request_id": a.request_id}


def _refund(pk):
    pk = _int(pk)
    if not _is_id(pk):
        raise LookupError(_("There is no such refund."))
    try:
        return refunds.get_refund(pk)
    except refunds.NotFound as e:
        raise LookupError(str(e))


def _deal(pk):
    return common.get_deal(pk)


def _receivable(pk):
    try:
        return adjustments.get_receivable(pk)
    except adjustments.NotFound as e:
        raise LookupError(str(e))


def _optional_text(payload, key, limit=500):
    return _text(payload, key, limit)


class RefundApi(BaseApi):
    resource_name = "refunds"
    allow_browser_login = True
    class_permission_name = VIEW
    method_permission_name = {"index": "list", "get": "show", "post": "request", "pay": "pay", "adjust": "adjust"}
    base_permissions = list(PERMISSIONS)
    openapi_spec_tag = "Refunds"

    def _run(self, action, status=200, render=as_dict):
        return run_step(self, action, lambda result: self.response(status, **render(result)))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def index(self):
        """Refunds the user may see, newest first (filters: deal, project, status, kind, page)."""
        def act():
            args = request.args
            for key in ("deal", "project", "page"):
                if args.get(key) not in (None, "") and not _is_id(_int(args.get(key))) and args.get(key) != "0":
                    raise Malformed(_("“%(key)s” must be a record id (a whole number).", key=key))
            if args.get("status") not in (None, "") and args.get("status") not in REFUND_STATUSES:
                raise Malformed(_("Unknown status."))
            if args.get("kind") not in (None, "") and args.get("kind") not in REFUND_KINDS:
                raise Malformed(_("Unknown kind."))
            filters = Filters(args)
            query = _query(filters)
            if args.get("deal"):
                query = query.filter(Refund.deal_id == _int(args.get("deal")))
            total = query.count()
            rows = (query.order_by(Refund.created_at.desc(), Refund.id.desc())
                    .offset(filters.page * PAGE_SIZE).limit(PAGE_SIZE).all())
            return {"count": total, "page": filters.page, "result": [as_dict(r) for r in rows]}
        return self._run(act, 200, render=lambda d: d)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One refund."""
        return self._run(lambda: _refund(pk))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def post(self):
        """Ask for a refund on a deal (sent for approval)."""
        def act():
            p = _body()
            deal = _deal(_id(p, "deal"))
            kind = p.get("kind", "overpayment")
            if not isinstance(kind, str):
                raise Malformed(_("“%(key)s” must be text of at most %(n)d characters.", key="kind", n=20))
            return refunds.request_refund(deal, _amount(p, "amount"), kind, _text(p, "reason"),
                                          payee=_text(p, "payee", 100), user=scope.acting_user())
        return self._run(act, 201)

    @expose("/<pk>/pay", methods=["POST"])
    @protect()
    @safe
    def pay(self, pk):
        """Record an approved refund as paid."""
        def act():
            p = _body()
            refund = _refund(pk)
            return refunds.pay(refund, _text(p, "paid_on", 10), _text(p, "method", 12), _text(p, "reference", 60),
                               user=scope.acting_user())
        return self._run(act)

    @expose("/adjustments", methods=["POST"])
    @protect()
    @safe
    def adjust(self):
        """Ask to adjust a receivable by a signed amount (sent for approval)."""
        def act():
            p = _body()
            receivable = _receivable(_id(p, "receivable"))
            return adjustments.request_adjustment(receivable, _amount(p, "amount"), _text(p, "reason"),
                                                  user=scope.acting_user())
        return self._run(act, 201, render=adjustment_dict)
