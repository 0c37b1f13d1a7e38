"""Salesperson performance (销售员业绩): a ranking of the salespeople for a period.

For each salesperson, in the period [start, end] of the office's days:
- contracts (签约): count and amount (the deals' total) of their deals of the measure "signed";
- subscriptions (认购): count and amount of their deals of the measure "subscribed" (a deal
  subscribed in the period counts even when cancelled later);
- collections (回款): the amount of the valid finance receipts (not void, not reissued) paid on a day
  of the period on their deals (the receipts' whole amount, fees collected for others included);
- visits received (接待来访): CRM visits of kind "visit" in the period they received; new customers
  (新客户): first visits or calls of a customer to the project they received in the period;
- conversion (转化率): contracts ÷ new customers received, both in the period (empty when they
  received none);
- cancellations (退房): count and amount of their deals of the measure "cancelled" (the day of the
  approval).

Deals count for their salesperson (Deal.employee_id), visits for who received them. The ranking is
by contract amount (then contract count, then name), or by the figure `sort` names; rank 1 is the
first. A salesperson is listed when they have a figure. Filters: project and salesperson; the phase
and the building do not apply (visits are not of a room). Scope: deals of the user's deal scope,
visits of the salespeople whose customers the user sees. Four queries whatever the data size
(deals, receipts, visits, names)."""
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.crm.models import Visit
from app.extensions import db
from app.finance.models import Receipt
from app.org.models import Employee
from app.reports.services import measures
from app.reports.services.conversion import visit_conditions, without_rooms
from app.reports.services.filters import day_filters
from app.sales.models import Deal

D = decimal.Decimal
FIELDS = ("contracts", "signed_amount", "subscriptions", "subscribed_amount", "collections", "visits", "customers",
          "cancellations", "cancelled_amount")
MONEY_FIELDS = ("signed_amount", "subscribed_amount", "collections", "cancelled_amount")
SORTS = {
    "contract_amount": ("signed_amount", _l("Contract amount")),
    "contracts": ("contracts", _l("Contracts")),
    "subscription_amount": ("subscribed_amount", _l("Subscribed amount")),
    "subscriptions": ("subscriptions", _l("Subscriptions")),
    "collections": ("collections", _l("Collections")),
    "visits": ("visits", _l("Visits received")),
    "conversion": ("conversion", _l("Conversion")),
    "cancellations": ("cancellations", _l("Cancellations")),
}
DEFAULT_SORT = "contract_amount"


def _empty():
    return {field: (D(0) if field in MONEY_FIELDS else 0) for field in FIELDS}


def read_sort(raw):
    """(sort key, error or None)."""
    raw = (raw or "").strip()
    if not raw:
        return DEFAULT_SORT, None
    if raw not in SORTS:
        return DEFAULT_SORT, _("A filter could not be read and was left out.")
    return raw, None


def report(f, sort=DEFAULT_SORT):
    """{rows, total, sort}: one row per salesperson with a figure, ranked."""
    without_rooms(f)
    rows = {}

    def row(key):
        return rows.setdefault(key, _empty())

    subscribed = sa.and_(*measures.deal_measure("subscribed", f.start, f.end))
    signed = sa.and_(*measures.deal_measure("signed", f.start, f.end))
    cancelled = sa.and_(*measures.deal_measure("cancelled", f.start, f.end))
    deals = (db.session.query(Deal.employee_id,
                              sa.func.sum(sa.case((signed, 1), else_=0)),
                              sa.func.sum(sa.case((signed, Deal.total), else_=0)),
                              sa.func.sum(sa.case((subscribed, 1), else_=0)),
                              sa.func.sum(sa.case((subscribed, Deal.total), else_=0)),
                              sa.func.sum(sa.case((cancelled, 1), else_=0)),
                              sa.func.sum(sa.case((cancelled, Deal.total), else_=0)))
             .filter(sa.or_(subscribed, signed, cancelled), *f.deal_conditions()).group_by(Deal.employee_id))
    for employee, contracts, signed_amount, subs, sub_amount, cancels, cancel_amount in deals:
        row(employee).update(contracts=int(contracts or 0), signed_amount=D(signed_amount or 0),
                             subscriptions=int(subs or 0), subscribed_amount=D(sub_amount or 0),
                             cancellations=int(cancels or 0), cancelled_amount=D(cancel_amount or 0))
    receipts = (db.session.query(Deal.employee_id, sa.func.sum(Receipt.amount))
                .select_from(Receipt).join(Deal, Deal.id == Receipt.deal_id)
                .filter(Receipt.status == "valid", *day_filters(Receipt.paid_on, f.start, f.end), *f.deal_conditions())
                .group_by(Deal.employee_id))
    for employee, amount in receipts:
        row(employee)["collections"] = D(amount or 0)
    visits = (db.session.query(Visit.received_by_id, sa.func.sum(sa.case((Visit.kind == "visit", 1), else_=0)),
                               sa.func.sum(sa.case((Visit.is_first.is_(True), 1), else_=0)))
              .filter(Visit.received_by_id.isnot(None), *visit_conditions(f)).group_by(Visit.received_by_id))
    for employee, count, customers in visits:
        row(employee).update(visits=int(count or 0), customers=int(customers or 0))
    names = dict(db.session.query(Employee.id, Employee.name).filter(Employee.id.in_(list(rows))).all())
    out = []
    for key, values in rows.items():
        values.update(key=key, name=names.get(key, "#%s" % key))
        out.append(_finish(values))
    field = SORTS[sort][0]

    def order(r):
        value = r[field]
        return (value is None, -(value or 0), -r["signed_amount"], -r["contracts"], r["name"])
    out.sort(key=order)
    for rank, r in enumerate(out, start=1):
        r["rank"] = rank
    total = _empty()
    for r in out:
        for name in FIELDS:
            total[name] += r[name]
    return {"rows": out, "total": _finish(total), "sort": sort}


def _finish(row):
    row["conversion"] = (D(row["contracts"]) / row["customers"]) if row["customers"] else None
    return row


def export_rows(data):
    headers = [_("Rank"), _("Salesperson"), _("Contracts"), _("Contract amount"), _("Subscriptions"),
               _("Subscribed amount"), _("Collections"), _("Visits received"), _("New customers"),
               _("Conversion (contracts ÷ new customers)"), _("Cancellations"), _("Cancelled amount")]

    def line(rank, name, r):
        conversion = None if r["conversion"] is None else float(round(r["conversion"], 4))
        return [rank, name, r["contracts"], r["signed_amount"], r["subscriptions"], r["subscribed_amount"],
                r["collections"], r["visits"], r["customers"], conversion, r["cancellations"], r["cancelled_amount"]]
    rows = [line(r["rank"], r["name"], r) for r in data["rows"]]
    rows.append(line(None, _("Total"), data["total"]))
    return headers, rows
