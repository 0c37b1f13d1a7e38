"""Mortgage cases (按揭): one per loan deal, from the documents to the bank's disbursement.

- Opening. A deal whose schedule has loan rows (kind "loan" receivables: 商业贷款 and/or 公积金贷款)
  gets its case when the schedule is written (listener on events.ON_SCHEDULE): stage collecting
  (资料收集), the loan amounts from the loan receivables, the plan's kind and years. When the
  schedule is written again (signing, room change) the amounts follow, until the disbursement.
  `open_case` opens one by hand for a loan deal that has none (deals made before finance existed).
- A combined loan (组合贷款) has two loan receivables (commercial and provident). It is ONE case
  with two amounts; `receivable_id` is the first loan receivable (the commercial one), and the
  disbursement is one receipt allocated to all the deal's open loan receivables in schedule order
  (commercial first, then provident). A disbursement below what is outstanding leaves the rest
  owed on the loan receivables (the buyer pays it at the desk). The disbursement needs a signed
  deal in progress and the stage registered. Voiding the disbursement's receipt (on the payment
  page) puts the case back at the registration; a reissued receipt is followed (AFTER_CHANGE).
- Stages move forward one at a time, never skipping, never back: collecting → submitted (提交银行,
  needs the bank) → approved (审批通过) → registered (抵押登记) → disbursed (放款, only through
  `disburse`). Each step's date is not in the future and not before the previous step's date.
- Overdue: each stage may take the project's days (FinanceSetting.mortgage_stage_days, defaults in
  services/settings.py); a case is overdue when today is past stage_since + days. The daily job
  tells the handler and finance once per case and stage: the notification's link carries the
  stage (/finance/mortgages/<id>?overdue=<stage>), and a case whose link was sent is skipped — so
  no extra column is needed and running the job twice sends nothing new.
"""
import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, roles
from app.core.errors import BusinessError
from app.core.models import LookupValue, Notification
from app.core.models.base import utcnow
from app.core.services import lookup, notifications
from app.extensions import db
from app.finance.models import MortgageCase, Receivable
from app.finance.models.work import MORTGAGE_KINDS, MORTGAGE_STAGES
from app.finance.services import common, receipts, settings
from app.finance.services.common import ZERO
from app.sales.models import Deal
from app.sales.services import deals

BANK_LIST = "mortgage_bank"
STAGE_LABELS = {"collecting": _l("Collecting documents"), "submitted": _l("Submitted to the bank"),
                "approved": _l("Approved by the bank"), "registered": _l("Mortgage registered"),
                "disbursed": _l("Disbursed")}
KIND_LABELS = {"commercial": _l("Commercial loan"), "provident": _l("Provident-fund loan"),
               "combined": _l("Combined loan")}
STAGE_DATE = {"collecting": "collecting_on", "submitted": "submitted_on", "approved": "approved_on",
              "registered": "registered_on", "disbursed": "disbursed_on"}
# The days each stage may take where the project sets none: the settings page's defaults.
DEFAULT_STAGE_DAYS = dict(settings.DEFAULT_STAGE_DAYS)
OPEN_STAGES = ("subscribed", "signed")
JOB = "finance_mortgage_overdue"


class NotFound(deals.NotFound):
    """No such case, or not the user's to see (a 404)."""


def stage_label(stage):
    return str(STAGE_LABELS.get(stage, stage or ""))


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind or ""))


def next_stage(stage):
    i = MORTGAGE_STAGES.index(stage) if stage in MORTGAGE_STAGES else -1
    return MORTGAGE_STAGES[i + 1] if 0 <= i < len(MORTGAGE_STAGES) - 1 else None


def _yuan(value):
    return "¥{:,.2f}".format(value or ZERO)


# ---------------------------------------------------------------- reading

def get_case(case_id):
    """The case if the user may see its deal; NotFound otherwise."""
    return common.visible(MortgageCase, case_id, NotFound(_("There is no such mortgage case.")))


def case_of(deal_id):
    return db.session.query(MortgageCase).filter(MortgageCase.deal_id == deal_id).one_or_none()


def loan_rows(deal_id):
    """The deal's open loan receivables in schedule order (commercial before provident)."""
    return (db.session.query(Receivable).filter(Receivable.deal_id == deal_id, Receivable.kind == "loan",
                                                Receivable.status == "open")
            .order_by(Receivable.position, Receivable.id).populate_existing().all())


def loan_outstanding(deal_id):
    return sum((r.outstanding for r in loan_rows(deal_id)), ZERO)


def _part_of(row, plan_kind, index, count):
    """commercial or provident: by the row's label (either language), else by the plan and order."""
    from app.sales.services.trial import LOAN_PART_LABELS
    if plan_kind in ("commercial", "provident"):
        return plan_kind
    for part, label in LOAN_PART_LABELS.items():
        for locale in ("en", current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
            with force_locale(locale):
                if row.label == str(label):
                    return part
    return "commercial" if count > 1 and index == 0 else "provident"


def _amounts(deal, rows):
    plan_kind = deal.plan.kind if deal.plan is not None else None
    amounts = {"commercial": ZERO, "provident": ZERO}
    for i, row in enumerate(rows):
        amounts[_part_of(row, plan_kind, i, len(rows))] += row.due
    if plan_kind in MORTGAGE_KINDS:
        kind = plan_kind
    elif amounts["commercial"] and amounts["provident"]:
        kind = "combined"
    else:
        kind = "provident" if amounts["provident"] else "commercial"
    return kind, amounts


def stage_days(project_id, setting=None):
    """{stage: days} of the project (defaults where it has none)."""
    if setting is None:
        setting = common.settings_for(project_id)
    days = dict(DEFAULT_STAGE_DAYS)
    raw = getattr(setting, "mortgage_stage_days", None) or {}
    if isinstance(raw, dict):
        days.update((k, v) for k, v in raw.items() if k in days and isinstance(v, int) and not isinstance(v, bool))
    return days


def due_on(case, days=None):
    """The day the current stage should be done by (None once disbursed)."""
    if case.stage == "disbursed" or case.stage_since is None:
        return None
    days = days if days is not None else stage_days(case.project_id)
    return case.stage_since + dt.timedelta(days=days.get(case.stage, 0))


def overdue(case, today=None, days=None, deal=None):
    """The current stage took longer than the project allows (live deals, not disbursed)."""
    today = today or clock.local_today()
    deal = deal if deal is not None else case.deal
    if deal is None or deal.state != "active":
        return False
    due = due_on(case, days)
    return due is not None and today > due


def days_in_stage(case, today=None):
    if case.stage == "disbursed" or case.stage_since is None:
        return None
    return ((today or clock.local_today()) - case.stage_since).days


def timeline(case):
    """[(stage, label, date or None, done)] in order."""
    out = []
    for stage in MORTGAGE_STAGES:
        on = getattr(case, STAGE_DATE[stage])
        out.append((stage, stage_label(stage), on, on is not None))
    return out


def bank_choices():
    return lookup.active_values(BANK_LIST).all()


def handler_choices():
    """Active logins of finance (财务) and service (客服)."""
    sm = current_app.appbuilder.sm
    User, Role = sm.user_model, sm.role_model
    return (db.session.query(User).join(User.roles).filter(Role.name.in_((roles.FINANCE, roles.SERVICE)),
                                                           User.active.is_(True))
            .order_by(User.first_name, User.id).distinct().all())


# ---------------------------------------------------------------- opening

def on_schedule(deal, rows):
    """events.ON_SCHEDULE listener: open the deal's case, or follow the new amounts."""
    if not any(r.get("kind") == "loan" for r in rows or ()):
        return
    loans = loan_rows(deal.id)
    if not loans:
        return
    case = case_of(deal.id)
    if case is None:
        _new_case(deal, loans, None)
    elif case.stage != "disbursed":
        _follow(case, deal, loans)


def _new_case(deal, loans, user):
    kind, amounts = _amounts(deal, loans)
    today = clock.local_today()
    since = min(deal.subscribed_on or today, today)
    case = MortgageCase(project_id=deal.project_id, deal_id=deal.id, receivable_id=loans[0].id, kind=kind,
                        commercial_amount=amounts["commercial"], provident_amount=amounts["provident"],
                        years=deal.plan.term_years if deal.plan is not None else None, stage="collecting",
                        stage_since=since, collecting_on=since, created_at=utcnow(),
                        handler_id=getattr(user, "id", None) if user is not None and _may_handle(user) else None)
    db.session.add(case)
    db.session.flush()
    return case


def _may_handle(user):
    return any(r.name in (roles.FINANCE, roles.SERVICE) for r in (getattr(user, "roles", None) or ()))


def _follow(case, deal, loans):
    kind, amounts = _amounts(deal, loans)
    values = {"kind": kind, "commercial_amount": amounts["commercial"], "provident_amount": amounts["provident"],
              "receivable_id": loans[0].id}
    if deal.plan is not None and deal.plan.term_years:
        values["years"] = deal.plan.term_years
    changed = False
    for name, value in values.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed = True
    if changed:
        case.updated_at = utcnow()
        db.session.flush()


def open_case(deal, user=None, commit=True):
    """Open the case of a loan deal that has none (by hand)."""
    user = deals._user(user)
    if deal.state != "active" or deal.stage not in OPEN_STAGES:
        raise BusinessError(_("A mortgage case is opened only for a subscribed or signed deal in progress."))
    if case_of(deal.id) is not None:
        raise BusinessError(_("This deal has its mortgage case already."))
    loans = loan_rows(deal.id)
    if not loans:
        raise BusinessError(_("This deal has no loan in its payment schedule: there is no mortgage to follow."))
    with deals._acting(user):
        case = _new_case(deal, loans, user)
        deals.event(deal, "note", user, _("Mortgage case opened"), {"mortgage_case_id": case.id})
        deals._finish(commit)
    return case


def install():
    """Listen to the schedule events and the receipt changes (once per process)."""
    from app.finance.services import events
    if on_schedule not in events.ON_SCHEDULE:
        events.ON_SCHEDULE.append(on_schedule)
    if on_receipt_change not in receipts.AFTER_CHANGE:
        receipts.AFTER_CHANGE.append(on_receipt_change)


def current_receipt(case):
    """The disbursement's receipt as it stands: following reissues (换发) to the valid one."""
    from app.finance.models import Receipt
    receipt = case.receipt
    for _i in range(20):
        if receipt is None or receipt.status != "reissued":
            break
        receipt = db.session.query(Receipt).filter(Receipt.reissue_of_id == receipt.id).first()
    return receipt


def on_receipt_change(deal):
    """receipts.AFTER_CHANGE listener: a voided disbursement receipt puts the case back at the
    registration (to be recorded again); a reissued one is followed to its new receipt."""
    case = case_of(deal.id)
    if case is None or case.stage != "disbursed" or case.receipt_id is None:
        return
    receipt = current_receipt(case)
    if receipt is None or receipt.status == "void":
        case.stage = "registered"
        case.stage_since = case.registered_on or case.stage_since
        case.disbursed_on = case.disbursed_amount = case.receipt_id = None
    elif receipt.id != case.receipt_id:
        case.receipt_id = receipt.id
        case.disbursed_on = receipt.paid_on
    else:
        return
    case.updated_at = utcnow()
    db.session.flush()


# ---------------------------------------------------------------- changing

def _date(value, what, not_before=None, not_before_what=None):
    on = common.past_date(value, what, default=clock.local_today())
    if not_before is not None and on < not_before:
        raise BusinessError(_("The %(what)s cannot be before %(date)s (%(previous)s).", what=what,
                              date=not_before.isoformat(), previous=not_before_what))
    return on


def _check_live(case):
    if case.deal.state != "active":
        raise BusinessError(_("The deal of this mortgage case is %(state)s: its mortgage is no longer followed.",
                              state=deals.state_label(case.deal.state)))


def _lock(case):
    """Re-read the case under its row lock (PostgreSQL) so two clerks do not step it at once."""
    (db.session.query(MortgageCase).filter(MortgageCase.id == case.id).with_for_update(of=MortgageCase)
     .populate_existing().one())
    return case


def update(case, bank=None, handler=None, expected_on=None, note=None, user=None, commit=True):
    """Change the bank, handler, expected disbursement date and note (before the disbursement)."""
    user = deals._user(user)
    _check_live(case)
    if case.stage == "disbursed":
        raise BusinessError(_("The loan was disbursed: the case is closed."))
    bank_row = _bank(bank) if bank not in (None, "") else None
    handler_id = _handler(handler) if handler not in (None, "") else None
    expected = _expected(expected_on)
    with deals._acting(user):
        _lock(case)
        case.bank_id = bank_row.id if bank_row is not None else None
        case.handler_id = handler_id
        case.expected_disbursement_on = expected
        case.note = common.text(note)
        case.updated_at = utcnow()
        deals._finish(commit)
    return case


def _bank(value):
    try:
        bank_id = int(getattr(value, "id", value))
    except (TypeError, ValueError):
        raise BusinessError(_("Choose the bank from the list."))
    bank = db.session.get(LookupValue, bank_id) if 0 < bank_id < 2 ** 31 else None
    if bank is None or bank.list_code != BANK_LIST or not bank.active:
        raise BusinessError(_("Choose the bank from the list."))
    return bank


def _handler(value):
    try:
        user_id = int(getattr(value, "id", value))
    except (TypeError, ValueError):
        raise BusinessError(_("Choose the handler from the list."))
    if user_id not in {u.id for u in handler_choices()}:
        raise BusinessError(_("Choose the handler from the list."))
    return user_id


def _expected(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BusinessError(_("Enter the %(what)s as YYYY-MM-DD.", what=_("expected disbursement date")))


def advance(case, stage, on_date=None, user=None, note=None, bank=None, expected_on=None, commit=True):
    """Move the case to the next stage (one at a time; the disbursement only through disburse)."""
    user = deals._user(user)
    _check_live(case)
    expected = next_stage(case.stage)
    if case.stage == "disbursed":
        raise BusinessError(_("The loan was disbursed: the case is closed."))
    if stage not in MORTGAGE_STAGES:
        raise BusinessError(_("Choose the next stage."))
    if stage == "disbursed":
        raise BusinessError(_("Record the disbursement with its amount and reference."))
    if stage != expected:
        raise BusinessError(_("The case is at “%(current)s”: the next stage is “%(next)s”; stages are not skipped "
                              "or gone back.", current=stage_label(case.stage), next=stage_label(expected)))
    what = _("date of “%(stage)s”", stage=stage_label(stage))
    on = _date(on_date, what, case.stage_since, stage_label(case.stage))
    bank_row = _bank(bank) if bank not in (None, "") else None
    if stage == "submitted" and bank_row is None and case.bank_id is None:
        raise BusinessError(_("Choose the bank the documents are submitted to."))
    expected_day = _expected(expected_on)
    with deals._acting(user):
        _lock(case)
        if case.stage != MORTGAGE_STAGES[MORTGAGE_STAGES.index(stage) - 1]:
            raise BusinessError(_("Someone else moved this case meanwhile; look at it again."))
        case.stage = stage
        case.stage_since = on
        setattr(case, STAGE_DATE[stage], on)
        if bank_row is not None:
            case.bank_id = bank_row.id
        if expected_day is not None:
            case.expected_disbursement_on = expected_day
        if case.handler_id is None and user is not None and _may_handle(user):
            case.handler_id = user.id
        if note:
            case.note = common.text(note)
        case.updated_at = utcnow()
        text = _("Mortgage: %(stage)s on %(date)s", stage=stage_label(stage), date=on.isoformat())
        if note:
            text = "%s · %s" % (text, common.text(note))
        deals.event(case.deal, "note", user, text, {"mortgage_case_id": case.id, "stage": stage})
        deals._finish(commit)
    return case


def disburse(case, on_date, amount, reference=None, user=None, commit=True):
    """放款: the bank's money is the receipt of the loan receivable(s) (source mortgage)."""
    user = deals._user(user)
    deal = case.deal
    if deal.state != "active":
        raise BusinessError(_("The deal is %(state)s: no disbursement is recorded on it.",
                              state=deals.state_label(deal.state)))
    if case.stage == "disbursed":
        raise BusinessError(_("The loan was disbursed already (receipt %(number)s).",
                              number=case.receipt.number if case.receipt else ""))
    if case.stage != "registered":
        raise BusinessError(_("The loan is disbursed after the mortgage registration; the case is at “%(stage)s”.",
                              stage=stage_label(case.stage)))
    if deal.stage != "signed":
        raise BusinessError(_("The bank lends on a signed contract; this deal is not signed."))
    amount = common.money(amount, _("Enter the disbursed amount as a number of yuan greater than 0."))
    on = _date(on_date, _("disbursement date"), case.stage_since, stage_label(case.stage))
    reference = common.text(reference, 60)
    if not reference:
        raise BusinessError(_("Enter the bank's reference of the disbursement."))
    with deals._acting(user):
        _lock(case)
        if case.stage != "registered":
            raise BusinessError(_("Someone else moved this case meanwhile; look at it again."))
        rows = loan_rows(deal.id)
        owed = sum((r.outstanding for r in rows), ZERO)
        if amount > owed:
            raise BusinessError(_("The loan has %(owed)s outstanding; %(amount)s cannot be recorded as its "
                                  "disbursement.", owed=_yuan(owed), amount=_yuan(amount)))
        allocations, left = {}, amount
        for row in rows:
            if left <= 0:
                break
            take = min(left, row.outstanding)
            if take > 0:
                allocations[row.id] = take
                left -= take
        payer = case.bank.name if case.bank is not None else None
        receipt = receipts.receive(deal, amount, "transfer", paid_on=on, payer=payer or _("Lending bank"),
                                   reference=reference, allocations=allocations, user=user, source="mortgage",
                                   note=_("Mortgage disbursement"), commit=False)
        case.receipt_id = receipt.id
        case.disbursed_amount = amount
        case.disbursed_on = on
        case.stage = "disbursed"
        case.stage_since = on
        if case.handler_id is None and user is not None and _may_handle(user):
            case.handler_id = user.id
        case.updated_at = utcnow()
        deals.event(deal, "note", user, _("Mortgage: %(amount)s disbursed on %(date)s (receipt %(number)s)",
                                          amount=_yuan(amount), date=on.isoformat(), number=receipt.number),
                    {"mortgage_case_id": case.id, "stage": "disbursed", "receipt_id": receipt.id})
        deals._finish(commit)
    return case


# ---------------------------------------------------------------- the list

class Filters:
    PAGE_SIZE = 50

    def __init__(self, args):
        self.project = _int(args.get("project"))
        self.bank = _int(args.get("bank"))
        self.stage = args.get("stage") if args.get("stage") in MORTGAGE_STAGES else None
        self.overdue = args.get("overdue") in ("1", "on", "true", "y")
        self.page = max(_int(args.get("page")) or 0, 0)

    def args(self, **over):
        values = {"project": self.project, "bank": self.bank, "stage": self.stage,
                  "overdue": "1" if self.overdue else None, "page": self.page or None}
        values.update(over)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _int(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < 2 ** 31 else None


class Row:
    def __init__(self, case, deal, room, bank, buyers, overdue_flag, days, due):
        self.case, self.deal, self.room_code, self.bank, self.buyers = case, deal, room, bank, buyers
        self.overdue, self.days, self.due = overdue_flag, days, due


def page(filters, today=None):
    """(rows, total, pages) of the cases the user may see, in a fixed number of queries."""
    from app.inventory.models import Room
    today = today or clock.local_today()
    query = (db.session.query(MortgageCase, Deal, Room.code, LookupValue.name)
             .join(Deal, Deal.id == MortgageCase.deal_id).join(Room, Room.id == Deal.room_id)
             .outerjoin(LookupValue, LookupValue.id == MortgageCase.bank_id))
    query = deals.visible_deals(query)
    if filters.project:
        query = query.filter(MortgageCase.project_id == filters.project)
    if filters.bank:
        query = query.filter(MortgageCase.bank_id == filters.bank)
    if filters.stage:
        query = query.filter(MortgageCase.stage == filters.stage)
    if filters.overdue:
        query = query.filter(MortgageCase.stage != "disbursed", Deal.state == "active")
        query = query.filter(_overdue_condition(today))
    total = query.count()
    pages = max((total + Filters.PAGE_SIZE - 1) // Filters.PAGE_SIZE, 1)
    page_no = min(filters.page, pages - 1)
    rows = (query.order_by(MortgageCase.stage_since, MortgageCase.id)
            .offset(page_no * Filters.PAGE_SIZE).limit(Filters.PAGE_SIZE).all())
    by_project = common.settings_by_project({c.project_id for c, *_ in rows})
    buyers = _buyers_of([d.id for _c, d, *_ in rows])
    out = []
    for case, deal, room, bank in rows:
        days = stage_days(case.project_id, by_project.get(case.project_id))
        out.append(Row(case, deal, room, bank, buyers.get(deal.id, ""), overdue(case, today, days, deal),
                       days_in_stage(case, today), due_on(case, days)))
    return out, total, pages


def _buyers_of(deal_ids):
    from app.crm.models import Customer
    from app.sales.models import DealBuyer
    if not deal_ids:
        return {}
    names = {}
    for deal_id, name in (db.session.query(DealBuyer.deal_id, Customer.name)
                          .join(Customer, Customer.id == DealBuyer.customer_id)
                          .filter(DealBuyer.deal_id.in_(deal_ids)).order_by(DealBuyer.deal_id, DealBuyer.id)):
        names.setdefault(deal_id, []).append(name)
    return {k: "、".join(v) for k, v in names.items()}


def _overdue_condition(today):
    """SQL: the stage began before today − its days (per project settings; defaults elsewhere)."""
    from app.finance.models import FinanceSetting
    rows = db.session.query(FinanceSetting.project_id, FinanceSetting.mortgage_stage_days).all()
    custom = {pid: stage_days(pid, type("S", (), {"mortgage_stage_days": raw})()) for pid, raw in rows if raw}
    parts = []
    for stage in DEFAULT_STAGE_DAYS:
        limit = today - dt.timedelta(days=DEFAULT_STAGE_DAYS[stage])
        cond = sa.and_(MortgageCase.stage == stage, MortgageCase.stage_since < limit)
        if custom:
            cond = sa.and_(cond, MortgageCase.project_id.notin_(list(custom)))
        parts.append(cond)
        for pid, days in custom.items():
            parts.append(sa.and_(MortgageCase.project_id == pid, MortgageCase.stage == stage,
                                 MortgageCase.stage_since < today - dt.timedelta(days=days[stage])))
    return sa.or_(*parts)


# ---------------------------------------------------------------- the daily job

def overdue_link(case):
    return "/finance/mortgages/%d?overdue=%s" % (case.id, case.stage)


def notify_overdue(today=None):
    """The scheduler's job: cases newly overdue are told to their handler and to finance, once per
    case and stage. Idempotent. Returns how many cases were notified."""
    from app.sales.services.deal_changes import finance_user_ids
    today = today or clock.local_today()
    cases = (db.session.query(MortgageCase).join(Deal, Deal.id == MortgageCase.deal_id)
             .filter(Deal.state == "active", MortgageCase.stage != "disbursed", _overdue_condition(today))
             .order_by(MortgageCase.id).all())
    if not cases:
        return 0
    links = {overdue_link(c): c for c in cases}
    sent = {link for (link,) in db.session.query(Notification.link).filter(Notification.link.in_(list(links)))}
    finance = finance_user_ids()
    count = 0
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        for link, case in links.items():
            if link in sent:
                continue
            due = due_on(case)
            title = _("Mortgage of room %(room)s overdue at “%(stage)s” (due %(date)s)", room=case.deal.room.code,
                      stage=stage_label(case.stage), date=due.isoformat() if due else "")
            users = ([case.handler_id] if case.handler_id else []) + finance
            if users:
                notifications.notify_many(users, title, link=link, commit=False)
                count += 1
    db.session.commit()
    return count


def register_job():
    from app.jobs.services import register_job as register
    register(JOB, notify_overdue, cron="30 1 * * *", label=_l("Mortgage stages overdue"))
