"""Customer conversion (客户转化): how the customers a channel brings in go from a visit to an
opportunity, a subscription and a contract, by channel and by salesperson, for a period.

The steps, for the period [start, end] of the office's days:
- visits (来访): CRM visits of kind "visit" (not calls) registered in the period; new customers
  (新客户) are first visits or calls of a customer to the project in the period. A visit counts for
  its own channel (none when the visit names none) and for the salesperson who received it;
- opportunities (商机): CRM opportunities created in the period, counted for the salesperson who owns
  them (pooled ones have no salesperson) and for the channel of their customer's first visit to the
  opportunity's project (the customer's own source channel when that visit names none — the rule deals
  follow);
- subscriptions (认购) and contracts (签约): the deals of the reports' measures "subscribed" and "signed"
  in the period (a deal subscribed in the period counts even when cancelled later), with the deals'
  total as amount, counted for the deal's salesperson and for the channel a deal counts for
  (`measures.deal_channels()`: the channel of the customer's first visit to the project, else the
  customer's source).

Conversion at each step is the step divided by the step before it (opportunities ÷ visits,
subscriptions ÷ opportunities, contracts ÷ subscriptions), overall conversion is contracts ÷ visits;
empty when the divisor is 0. The steps count what happened in the period, not the same customers
followed through, so a step may exceed the one before it (a contract signed this month of a customer
who visited last month).

Filters: the project and the salesperson (visits by who received them, opportunities by their owner,
deals by their salesperson); the phase and the building do not apply (visits and opportunities are
not of a room). Scope: visits and opportunities of the salespeople whose customers the user sees
(the CRM's rule), deals of the user's deal scope.

Channels: every value of the visit-channel list (disabled ones only when they have figures), and a
"no channel" row when there are figures without a channel. Salespeople: those with a figure.
The report takes five queries whatever the data size (visits, opportunities, deals, channel names,
salesperson names); each list behind a figure two (the page, the count)."""
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.models import LookupValue
from app.crm.models import Customer, Opportunity, Visit
from app.crm.services import scope as crm_scope
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee
from app.reports.services import measures
from app.reports.services.filters import Filters, moment_filters, parse_int, with_changes
from app.sales.models import Deal

D = decimal.Decimal
CHANNEL_LIST = "visit_channel"
STEPS = ("visits", "opportunities", "subscriptions", "contracts")
FIELDS = ("visits", "customers", "opportunities", "subscriptions", "subscribed_amount", "contracts",
          "signed_amount")
MONEY_FIELDS = ("subscribed_amount", "signed_amount")
PAGE_SIZE = 50
VISIT_MEASURES = ("visits", "customers")


def without_rooms(filters):
    """The report's filters without phase and building (they do not apply to visits)."""
    filters.phase_id = filters.building_id = None
    return filters


def ratio(part, whole):
    if not whole:
        return None
    return D(part) / D(whole)


# -- conditions shared by the report and its lists ------------------------------------------------
def visit_conditions(f, measure=None):
    """Visits of the period, project, salesperson (who received them) and the user's scope; measure
    visits (kind visit), customers (first visits or calls) or None (either)."""
    conditions = list(moment_filters(Visit.visited_at, f.start, f.end))
    if measure == "visits":
        conditions.append(Visit.kind == "visit")
    elif measure == "customers":
        conditions.append(Visit.is_first.is_(True))
    else:
        conditions.append(sa.or_(Visit.kind == "visit", Visit.is_first.is_(True)))
    if f.project_id:
        conditions.append(Visit.project_id == f.project_id)
    if f.employee_id:
        conditions.append(Visit.received_by_id == f.employee_id)
    scope = crm_scope.owner_condition(Visit.received_by_id)
    if scope is not None:
        conditions.append(scope)
    return conditions


def opportunity_channels():
    """A subquery (opportunity_id, channel_id): the channel of the customer's first visit to the
    opportunity's project, else the customer's source."""
    from app.marketing.services.channels import _deal_source
    first = _deal_source()
    return (sa.select(Opportunity.id.label("opportunity_id"),
                      sa.func.coalesce(Visit.channel_id, Customer.source_id).label("channel_id"))
            .select_from(Opportunity)
            .join(Customer, Customer.id == Opportunity.customer_id)
            .outerjoin(first, sa.and_(first.c.customer_id == Opportunity.customer_id,
                                      first.c.project_id == Opportunity.project_id))
            .outerjoin(Visit, Visit.id == first.c.visit_id).subquery("opportunity_channel"))


def opportunity_conditions(f):
    conditions = list(moment_filters(Opportunity.created_at, f.start, f.end))
    if f.project_id:
        conditions.append(Opportunity.project_id == f.project_id)
    if f.employee_id:
        conditions.append(Opportunity.owner_id == f.employee_id)
    scope = crm_scope.owner_condition(Opportunity.owner_id)
    if scope is not None:
        conditions.append(scope)
    return conditions


def _deal_conditions(f):
    return f.deal_conditions()


# -- the report ---------------------------------------------------------------------------------
def _empty():
    return {field: (D(0) if field in MONEY_FIELDS else 0) for field in FIELDS}


def _add(target, values):
    for field, value in values.items():
        target[field] += value


def _finish(row):
    row["opportunity_rate"] = ratio(row["opportunities"], row["visits"])
    row["subscription_rate"] = ratio(row["subscriptions"], row["opportunities"])
    row["contract_rate"] = ratio(row["contracts"], row["subscriptions"])
    row["overall_rate"] = ratio(row["contracts"], row["visits"])
    return row


def _figures(f):
    """[(channel_id, employee_id, {field: value})] from three GROUP BY queries."""
    out = []
    visits = (db.session.query(Visit.channel_id, Visit.received_by_id,
                               sa.func.sum(sa.case((Visit.kind == "visit", 1), else_=0)),
                               sa.func.sum(sa.case((Visit.is_first.is_(True), 1), else_=0)))
              .filter(*visit_conditions(f)).group_by(Visit.channel_id, Visit.received_by_id))
    for channel, employee, count, customers in visits:
        out.append((channel, employee, {"visits": int(count or 0), "customers": int(customers or 0)}))
    channels = opportunity_channels()
    opportunities = (db.session.query(channels.c.channel_id, Opportunity.owner_id, sa.func.count(Opportunity.id))
                     .select_from(Opportunity).join(channels, channels.c.opportunity_id == Opportunity.id)
                     .filter(*opportunity_conditions(f)).group_by(channels.c.channel_id, Opportunity.owner_id))
    for channel, employee, count in opportunities:
        out.append((channel, employee, {"opportunities": int(count)}))
    subscribed = sa.and_(*measures.deal_measure("subscribed", f.start, f.end))
    signed = sa.and_(*measures.deal_measure("signed", f.start, f.end))
    deal_channels = measures.deal_channels()
    deals = (db.session.query(deal_channels.c.channel_id, Deal.employee_id,
                              sa.func.sum(sa.case((subscribed, 1), else_=0)),
                              sa.func.sum(sa.case((subscribed, Deal.total), else_=0)),
                              sa.func.sum(sa.case((signed, 1), else_=0)),
                              sa.func.sum(sa.case((signed, Deal.total), else_=0)))
             .select_from(Deal).join(deal_channels, deal_channels.c.deal_id == Deal.id)
             .filter(sa.or_(subscribed, signed), *_deal_conditions(f))
             .group_by(deal_channels.c.channel_id, Deal.employee_id))
    for channel, employee, subs, sub_amount, contracts, sign_amount in deals:
        out.append((channel, employee, {"subscriptions": int(subs or 0), "subscribed_amount": D(sub_amount or 0),
                                        "contracts": int(contracts or 0), "signed_amount": D(sign_amount or 0)}))
    return out


def report(f):
    """{channels, salespeople, total, funnel}: rows with key (id or None), name and the figures."""
    without_rooms(f)
    by_channel, by_employee = {}, {}
    for channel, employee, values in _figures(f):
        _add(by_channel.setdefault(channel, _empty()), values)
        _add(by_employee.setdefault(employee, _empty()), values)
    ids = [k for k in by_channel if k is not None]
    values = (db.session.query(LookupValue.id, LookupValue.name, LookupValue.active, LookupValue.list_code)
              .filter(sa.or_(LookupValue.list_code == CHANNEL_LIST, LookupValue.id.in_(ids)))
              .order_by(LookupValue.list_code != CHANNEL_LIST, LookupValue.sort_order, LookupValue.id).all())
    channels = []
    for value in values:
        if value.id in by_channel or (value.active and value.list_code == CHANNEL_LIST):
            channels.append(_finish(dict(by_channel.get(value.id) or _empty(), key=value.id, name=value.name)))
    if None in by_channel:
        channels.append(_finish(dict(by_channel[None], key=None, name=_("No channel"))))
    names = dict(db.session.query(Employee.id, Employee.name)
                 .filter(Employee.id.in_([k for k in by_employee if k is not None])).all())
    salespeople = sorted((_finish(dict(v, key=k, name=names.get(k, "#%s" % k))) for k, v in by_employee.items()
                          if k is not None), key=lambda r: (-r["signed_amount"], -r["contracts"], r["name"]))
    if None in by_employee:
        salespeople.append(_finish(dict(by_employee[None], key=None, name=_("No salesperson"))))
    total = _empty()
    for row in channels:
        _add(total, {k: row[k] for k in FIELDS})
    return {"channels": channels, "salespeople": salespeople, "total": _finish(total)}


def export_rows(data):
    """Headers and rows of the Excel export: channels, then salespeople."""
    headers = [_("Channel / salesperson"), _("Visits"), _("New customers"), _("Opportunities"),
               _("Opportunities ÷ visits"), _("Subscriptions"), _("Subscriptions ÷ opportunities"),
               _("Subscribed amount"), _("Contracts"), _("Contracts ÷ subscriptions"), _("Signed amount"),
               _("Contracts ÷ visits")]

    def line(name, r):
        return [name, r["visits"], r["customers"], r["opportunities"], _rate(r["opportunity_rate"]),
                r["subscriptions"], _rate(r["subscription_rate"]), r["subscribed_amount"], r["contracts"],
                _rate(r["contract_rate"]), r["signed_amount"], _rate(r["overall_rate"])]
    rows = [line(r["name"], r) for r in data["channels"]]
    rows.append(line(_("Total"), data["total"]))
    rows.append([None] * len(headers))
    rows += [line(r["name"], r) for r in data["salespeople"]]
    return headers, rows


def _rate(value):
    return None if value is None else float(round(value, 4))


# -- the lists behind the visits and opportunities ---------------------------------------------
class ListArgs:
    """A list's arguments: the report's filters, the measure (visits or customers, for visits), the
    channel (an id or "none") and the page."""

    def __init__(self, args, kind):
        args = args or {}
        self.kind = kind
        self.filters = without_rooms(Filters(args))
        self.errors = list(self.filters.errors)
        self.measure = None
        if kind == "visits":
            self.measure = (args.get("measure") or "visits").strip()
            if self.measure not in VISIT_MEASURES:
                self.errors.append(_("A filter could not be read and was left out."))
                self.measure = "visits"
        raw = (args.get("channel") or "").strip()
        self.channel = None
        if raw == "none":
            self.channel = "none"
        elif raw:
            self.channel = parse_int(raw)
            if self.channel is None:
                self.errors.append(_("A filter could not be read and was left out."))
        raw_page = (args.get("page") or "").strip()
        self.page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 0

    def args(self, **changes):
        out = self.filters.args()
        if self.measure:
            out["measure"] = self.measure
        if self.channel is not None:
            out["channel"] = self.channel
        if self.page:
            out["page"] = self.page
        return with_changes(out, changes)

    @property
    def title(self):
        if self.kind == "opportunities":
            return _("Opportunities")
        return _("New customers") if self.measure == "customers" else _("Visits")


def _channel_condition(column, channel):
    if channel is None:
        return []
    return [column.is_(None) if channel == "none" else column == channel]


def visits(a):
    """{rows, count, page, pages}: one page of the visits behind a figure, newest first."""
    conditions = visit_conditions(a.filters, a.measure) + _channel_condition(Visit.channel_id, a.channel)
    count = db.session.query(sa.func.count(Visit.id)).filter(*conditions).scalar()
    Receiver = sa.orm.aliased(Employee)
    rows = (db.session.query(Visit.id, Visit.visited_at, Visit.kind, Visit.is_first, Visit.customer_id,
                             Customer.name.label("customer"), Project.name.label("project"),
                             LookupValue.name.label("channel"), Receiver.name.label("received_by"))
            .select_from(Visit).join(Customer, Customer.id == Visit.customer_id)
            .join(Project, Project.id == Visit.project_id)
            .outerjoin(LookupValue, LookupValue.id == Visit.channel_id)
            .outerjoin(Receiver, Receiver.id == Visit.received_by_id)
            .filter(*conditions).order_by(Visit.visited_at.desc(), Visit.id.desc())
            .offset(a.page * PAGE_SIZE).limit(PAGE_SIZE).all())
    return {"rows": rows, "count": int(count), "page": a.page, "pages": -(-int(count) // PAGE_SIZE)}


def opportunities(a):
    """{rows, count, page, pages}: one page of the opportunities behind a figure, newest first."""
    channels = opportunity_channels()
    conditions = opportunity_conditions(a.filters) + _channel_condition(channels.c.channel_id, a.channel)
    count = (db.session.query(sa.func.count(Opportunity.id)).select_from(Opportunity)
             .join(channels, channels.c.opportunity_id == Opportunity.id).filter(*conditions).scalar())
    Owner = sa.orm.aliased(Employee)
    rows = (db.session.query(Opportunity.id, Opportunity.created_at, Opportunity.stage, Opportunity.customer_id,
                             Customer.name.label("customer"), Project.name.label("project"),
                             LookupValue.name.label("channel"), Owner.name.label("owner"))
            .select_from(Opportunity).join(channels, channels.c.opportunity_id == Opportunity.id)
            .join(Customer, Customer.id == Opportunity.customer_id)
            .join(Project, Project.id == Opportunity.project_id)
            .outerjoin(LookupValue, LookupValue.id == channels.c.channel_id)
            .outerjoin(Owner, Owner.id == Opportunity.owner_id)
            .filter(*conditions).order_by(Opportunity.created_at.desc(), Opportunity.id.desc())
            .offset(a.page * PAGE_SIZE).limit(PAGE_SIZE).all())
    return {"rows": rows, "count": int(count), "page": a.page, "pages": -(-int(count) // PAGE_SIZE)}
