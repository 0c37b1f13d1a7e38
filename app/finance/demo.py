"""Demo finance history on the deals of the demo sales history (app/sales/demo_deals.py), received
through the receipt services by the finance user 黄丽萍 with past dates (relative to today):

滨江锦园 (HZ-JY)
- the subscription on a mortgage (商业按揭): deposit at subscription, the down payment today;
  mortgage case collecting documents;
- the subscription overdue for signing (一次性付款): deposit (its receipt reissued: payer name
  corrected), a payment entered twice and voided;
- the filed contract (公积金贷款): deposit, down payment, fees collected for others, mortgage
  disbursed by the provident fund centre (a receipt from the mortgage);
- the contract not filed (一次性付款, 45 days old): deposit and part of the rest — the rest overdue;
- the recent contract (组合贷款): deposit only — the down payment overdue; mortgage approved.
海悦中心 (SZ-HY)
- the subscription on instalments (分期付款): deposit and part of the first instalment today;
- the subscription overdue for signing (商业贷款): deposit and part of the down payment — the rest
  overdue; mortgage submitted to the bank;
- the filed contract (一次性付款): deposit, the rest and the fees today, with an advance payment.
Then the late fees are computed. No room status or deal stage changes."""
import datetime as dt

from flask import current_app

from app.core import clock
from app.core.context import acting_as
from app.core.models import LookupValue
from app.extensions import db
from app.finance.models import MORTGAGE_STAGES
from app.finance.services import receivables as rv
from app.finance.services.common import D
from app.inventory.models import Project
from app.sales.models import Deal, DealPayment, PaymentPlan


def _deal(code, stage, plan_name):
    return (db.session.query(Deal).join(Project, Project.id == Deal.project_id)
            .join(PaymentPlan, PaymentPlan.id == Deal.plan_id)
            .filter(Project.code == code, Deal.stage == stage, Deal.state == "active", PaymentPlan.name == plan_name)
            .order_by(Deal.id).first())


def _rows(deal):
    return rv.of_deal(deal.id, include_closed=False)


def _row(deal, kind, n=0, others=False):
    rows = [r for r in _rows(deal) if r.kind == kind and r.collected_for_others == others]
    return rows[n] if len(rows) > n else None


def _align_due_dates(deal):
    """The receivables keep the schedule's due dates (the sales demo moves some schedules back
    without telling finance)."""
    payments = {(p.kind, p.label): p.due_date for p in db.session.query(DealPayment).filter_by(deal_id=deal.id)}
    for r in _rows(deal):
        due = payments.get((r.kind, r.label), r.due_date)
        if due != r.due_date:
            r.due_date = due


def _bank(name):
    return db.session.query(LookupValue).filter_by(list_code="mortgage_bank", name=name).first()


def _mortgage(deal, stage, bank, dates, user, amount=None, reference=None, expected=None, note=None):
    """Step the deal's mortgage case (opened with its schedule) through the mortgage services up to
    `stage` (dates: stage -> day); the disbursement is the receipt of the loan."""
    from app.finance.services import mortgages
    case = mortgages.case_of(deal.id) or mortgages.open_case(deal, user=user, commit=False)
    bank_row = _bank(bank)
    for step in MORTGAGE_STAGES[1:MORTGAGE_STAGES.index(stage) + 1]:
        if step == "disbursed":
            mortgages.disburse(case, dates[step], amount, reference=reference, user=user, commit=False)
        else:
            mortgages.advance(case, step, dates[step], user=user, bank=bank_row.id if bank_row else None,
                              expected_on=expected if step == stage else None,
                              note=note if step == stage else None, commit=False)
    if stage == "collecting":
        mortgages.update(case, bank=bank_row.id if bank_row else None, note=note, user=user, commit=False)
    return case


def load():
    """The demo's finance history, written in the interface's default language (timeline notes,
    late fee labels)."""
    from flask_babel import force_locale
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        _load()


def _load():
    from app.finance.services import receipts

    user = current_app.appbuilder.sm.find_user(username="finance")
    today = clock.local_today()
    day = lambda n: today - dt.timedelta(days=n)  # noqa: E731
    plan = {
        "A": ("HZ-JY", "subscribed", "商业按揭 首付30%"), "B": ("HZ-JY", "subscribed", "一次性付款"),
        "C": ("HZ-JY", "signed", "公积金贷款 首付70%"), "D": ("HZ-JY", "signed", "一次性付款"),
        "E": ("HZ-JY", "signed", "组合贷款 首付30%"), "F": ("SZ-HY", "subscribed", "分期付款"),
        "G": ("SZ-HY", "subscribed", "商业贷款 首付50%"), "H": ("SZ-HY", "signed", "一次性付款"),
    }
    found = {key: _deal(*spec) for key, spec in plan.items()}
    if user is None or any(d is None for d in found.values()):
        return
    A, B, C, D_, E, F, G, H = (found[k] for k in "ABCDEFGH")

    def receive(deal, amount, method, on, **kw):
        return receipts.receive(deal, str(amount), method, paid_on=on, user=user, commit=False, **kw)

    def pay(deal, rows, method, on, extra=0, **kw):
        """Pay these receivables in full (plus an advance payment)."""
        rows = [r for r in rows if r is not None and r.outstanding > 0]
        allocations = {r.id: r.outstanding for r in rows}
        total = sum(allocations.values(), D("0")) + D(extra)
        if total <= 0:
            return None
        return receive(deal, total, method, on, allocations=allocations, advance=bool(extra), **kw)

    with acting_as(user):
        for deal in found.values():
            _align_due_dates(deal)
        db.session.flush()
        fees = lambda deal: [r for r in _rows(deal) if r.collected_for_others]  # noqa: E731

        # A: deposit at subscription, the down payment today; documents being collected.
        pay(A, [_row(A, "deposit")], "pos", A.subscribed_on, reference="刷卡 8831")
        pay(A, [_row(A, "down_payment")], "transfer", today, reference="招商银行 转账")
        _mortgage(A, "collecting", "中国工商银行", {}, user, note="待客户补收入证明")

        # B: the deposit's receipt reissued (payer's name corrected); a payment entered twice, voided.
        first = pay(B, [_row(B, "deposit")], "cash", B.subscribed_on, payer="钱某")
        receipts.reissue(first, "付款人姓名有误，换发收据", payer=receipts.default_payer(B), user=user, commit=False)
        receive(B, "200000", "transfer", day(3), reference="工商银行 转账")
        twice = receive(B, "200000", "transfer", day(3), reference="工商银行 转账")
        receipts.void(twice, "重复录入", user=user, commit=False)

        # C: all paid; the provident fund loan disbursed 4 days ago.
        pay(C, [_row(C, "deposit")], "wechat", C.subscribed_on)
        pay(C, [_row(C, "down_payment")], "transfer", C.signed_on, reference="建设银行 转账")
        pay(C, fees(C), "transfer", C.signed_on, reference="建设银行 转账")
        loan = sum((r.outstanding for r in _rows(C) if r.kind == "loan"), D("0"))
        _mortgage(C, "disbursed", "住房公积金管理中心",
                  {"submitted": day(17), "approved": day(10), "registered": day(7), "disbursed": day(4)}, user,
                  amount=loan, reference="公积金中心放款 0042")

        # D: deposit and part of the rest; the rest overdue since its due date.
        pay(D_, [_row(D_, "deposit")], "cash", D_.subscribed_on)
        receive(D_, "1000000", "transfer", D_.signed_on + dt.timedelta(days=3), group=False,
                reference="农业银行 转账")

        # E: deposit only — the down payment is overdue; the loan approved by the bank.
        pay(E, [_row(E, "deposit")], "alipay", E.subscribed_on)
        _mortgage(E, "approved", "中国建设银行", {"submitted": day(6), "approved": day(1)}, user,
                  expected=today + dt.timedelta(days=20))

        # F: deposit, and part of the first instalment today.
        pay(F, [_row(F, "deposit")], "pos", F.subscribed_on, reference="刷卡 2207")
        receive(F, "500000", "transfer", today, group=False, reference="中国银行 转账")

        # G: deposit and part of the down payment — the rest overdue; documents with the bank.
        pay(G, [_row(G, "deposit")], "transfer", G.subscribed_on)
        receive(G, "3000000", "transfer", day(10), group=False, reference="招商银行 转账")
        _mortgage(G, "submitted", "招商银行", {"submitted": day(9)}, user)

        # H: deposit, then today the rest and the fees, with 5,000 paid ahead.
        pay(H, [_row(H, "deposit")], "transfer", H.subscribed_on)
        pay(H, [_row(H, "full")], "transfer", today, reference="平安银行 转账")
        pay(H, fees(H), "wechat", today, extra="5000.00", note="多付部分转预收款")
        db.session.commit()

    try:
        from app.finance.services import late_fees
    except ImportError:
        return
    with acting_as(user):
        late_fees.compute_all(today)
    db.session.commit()
