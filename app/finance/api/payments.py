"""REST resource of a deal's payments: /api/v1/payments/ over the same services as the payment page.

  GET  /api/v1/payments/deals/<deal id>            the receivables (楼款 and 代收费用, with totals per
                                                   group) and the receipts of the deal
  POST /api/v1/payments/deals/<deal id>/receipts   {"amount": "50000.00", "method": "transfer",
                                                   "paid_on": "2026-11-27", "payer": "…", "reference": "…",
                                                   "note": "…", "allocations": {"<receivable id>": "100.00"},
                                                   "group": "price" | "fees" (optional), "advance": false}
  GET  /api/v1/payments/receipts/<id>              one receipt with its allocations
  POST /api/v1/payments/receipts/<id>/void         {"reason": "…"}
  POST /api/v1/payments/receipts/<id>/reissue      {"reason": "…", "payer", "method", "paid_on", "reference"}

Methods: cash, pos, transfer, wechat, alipay, cheque. Answers: 201 made (the receipt), 200; 400
malformed body; 404 unknown or foreign deal or receipt; 422 refused by a rule; 503 database busy."""
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.views.base import page_permissions
from app.crm.services import scope
from app.extensions import db
from app.finance.services import payment_page, receipts
from app.finance.views.payments import PaymentView
from app.sales.api.deals import Malformed, _amount, _body, _day, _int, _is_id, _text, run_step
from app.sales.services import deals

GROUPS = {None: None, "price": False, "fees": True}


def _m(value):
    return None if value is None else "%.2f" % value


def _d(value):
    return value.isoformat() if value is not None else None


def receivable_dict(r, today=None):
    return {"id": r.id, "kind": r.kind, "label": r.label, "group": "fees" if r.collected_for_others else "price",
            "due_date": _d(r.due_date), "amount": _m(r.amount), "adjusted": _m(r.adjusted or 0),
            "received": _m(r.received or 0), "outstanding": _m(r.outstanding), "status": r.status,
            "overdue": payment_page.is_overdue(r, today)}


def receipt_dict(r, allocations=None):
    data = {"id": r.id, "number": r.number, "deal_id": r.deal_id, "paid_on": _d(r.paid_on), "amount": _m(r.amount),
            "unallocated": _m(r.unallocated or 0), "method": r.method, "payer": r.payer, "reference": r.reference,
            "note": r.note, "source": r.source, "status": r.status, "void_reason": r.void_reason,
            "reissue_of_id": r.reissue_of_id, "cashier": payment_page.user_name(r.cashier)}
    allocations = r.allocations if allocations is None else allocations
    data["allocations"] = [{"receivable_id": a.receivable_id, "amount": _m(a.amount)} for a in allocations]
    return data


def deal_dict(data):
    deal = data["deal"]
    groups = {}
    for group in data["groups"]:
        t = group["totals"]
        groups["fees" if group["fees"] else "price"] = {k: _m(v) for k, v in t.items()}
    return {"deal_id": deal.id, "room": deal.room.code, "stage": deal.stage, "state": deal.state,
            "total": _m(deal.total), "received": _m(data["received"]), "advance": _m(data["advance"]),
            "totals": groups,
            "receivables": [receivable_dict(r, data["today"]) for g in data["groups"] for r in g["rows"]],
            "receipts": [receipt_dict(r) for r in data["receipts"]]}


class PaymentApi(BaseApi):
    resource_name = "payments"
    allow_browser_login = True
    class_permission_name = "PaymentView"
    method_permission_name = {"deal": "show", "receipt": "show", "receive": "act", "void": "act", "reissue": "act"}
    base_permissions = page_permissions(PaymentView)
    openapi_spec_tag = "Payments"

    def _deal(self, pk):
        pk = _int(pk)
        if not _is_id(pk):
            raise deals.NotFound(_("There is no such deal."))
        return deals.get_deal(pk)

    def _receipt(self, pk):
        try:
            return receipts.get_receipt(pk)
        except receipts.NotFound as e:
            raise deals.NotFound(str(e))

    def _run(self, action, status=200):
        session = db.session()
        session.expire_on_commit = False
        try:
            return run_step(self, action, lambda data: self.response(status, **data))
        finally:
            session.expire_on_commit = True

    @expose("/deals/<pk>", methods=["GET"])
    @protect()
    @safe
    def deal(self, pk):
        """The deal's receivables and receipts with totals per group (楼款 price, 代收费用 fees)."""
        return self._run(lambda: deal_dict(payment_page.page(self._deal(pk))))

    @expose("/deals/<pk>/receipts", methods=["POST"])
    @protect()
    @safe
    def receive(self, pk):
        """Receive money on the deal: a receipt allocated oldest first or by hand."""
        def act():
            p = _body()
            deal = self._deal(pk)
            allocations = p.get("allocations")
            if allocations is not None and (not isinstance(allocations, dict) or not all(
                    isinstance(v, (str, int)) and not isinstance(v, bool) for v in allocations.values())):
                raise Malformed(_("“allocations” must be an object such as {\"12\": \"5000.00\"}."))
            group = p.get("group")
            if group not in GROUPS:
                raise Malformed(_("“group” must be \"price\" or \"fees\"."))
            advance = p.get("advance", False)
            if not isinstance(advance, bool):
                raise Malformed(_("“advance” must be true or false."))
            method = _text(p, "method", 20)
            receipt = receipts.receive(deal, _amount(p, "amount"), method or "", paid_on=_day(p, "paid_on"),
                                       payer=_text(p, "payer", 100), reference=_text(p, "reference", 60),
                                       allocations=allocations or None, group=GROUPS[group], advance=advance,
                                       note=_text(p, "note"), user=scope.acting_user())
            return receipt_dict(receipt)
        return self._run(act, 201)

    @expose("/receipts/<pk>", methods=["GET"])
    @protect()
    @safe
    def receipt(self, pk):
        """One receipt with its allocations."""
        return self._run(lambda: receipt_dict(self._receipt(pk)))

    @expose("/receipts/<pk>/void", methods=["POST"])
    @protect()
    @safe
    def void(self, pk):
        """Void (作废) a valid receipt, with the reason."""
        def act():
            p = _body()
            receipt = self._receipt(pk)
            return receipt_dict(receipts.void(receipt, _text(p, "reason"), user=scope.acting_user()))
        return self._run(act)

    @expose("/receipts/<pk>/reissue", methods=["POST"])
    @protect()
    @safe
    def reissue(self, pk):
        """Reissue (换发) a valid receipt as a new one with the corrections; the old one is marked reissued."""
        def act():
            p = _body()
            receipt = self._receipt(pk)
            method = _text(p, "method", 20)
            return receipt_dict(receipts.reissue(receipt, _text(p, "reason"), payer=_text(p, "payer", 100),
                                                 method=method, paid_on=_day(p, "paid_on"),
                                                 reference=_text(p, "reference", 60), user=scope.acting_user()))
        return self._run(act, 201)
