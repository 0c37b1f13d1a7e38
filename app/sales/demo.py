"""Demo payment plans: each demo project gets the plans its sales office would offer.

- 云璟花园 (广州, homes and parking) and 滨江锦园 (杭州, homes): 一次性付款, 商业按揭 30% down over
  30 years, 公积金贷款 70% down over 30 years (capped at 1,500,000), 组合贷款 30% down (provident fund up to
  its cap, the rest commercial), and 分期付款 for 云璟花园;
- 海悦中心 (深圳, shops and offices): 一次性付款, 分期付款 and a commercial loan at 50% down over
  10 years (non-residential: no provident fund);
- 浦江华庭 (上海, parking): 一次性付款 and 分期付款.
Each plan collects the usual fees on behalf of others (产权登记费 and, with a loan, 抵押登记费)."""
import datetime as dt
import decimal

from app.core.context import acting_as
from app.extensions import db
from app.inventory.models import Project
from app.sales.models import PaymentPlan
from app.sales.services import plans

D = decimal.Decimal
START = dt.date(2026, 1, 1)
REGISTRATION = {"name": "产权登记费", "method": "fixed", "value": "80"}
MORTGAGE_REGISTRATION = {"name": "抵押登记费", "method": "fixed", "value": "80"}
STAMP_DUTY = {"name": "印花税（合同）", "method": "percent", "value": "0.05"}


def _full(deposit, order=10):
    return dict(name="一次性付款", kind="full", deposit_method="amount", deposit_value=D(deposit),
                down_payment_due_from="signing", down_payment_due_days=30, sort_order=order,
                description="签约后30天内付清全款（定金抵房款）"), None, [REGISTRATION]


def _loan(name, kind, deposit, down, years, cap=None, order=20, unit="thousand"):
    return dict(name=name, kind=kind, deposit_method="amount", deposit_value=D(deposit), down_payment_ratio=D(down),
                term_years=years, repayment_method="equal_instalment", provident_cap=cap, loan_unit=unit,
                down_payment_due_from="signing", down_payment_due_days=0, sort_order=order,
                description="签约时付清首付，余款银行按揭"), None, [REGISTRATION, MORTGAGE_REGISTRATION]


def _instalments(deposit, rows, order=50, fees=(REGISTRATION,)):
    return dict(name="分期付款", kind="instalment", deposit_method="amount", deposit_value=D(deposit),
                sort_order=order, description="按合同约定分期付款"), rows, list(fees)


HOMES = [
    _full("50000"),
    _loan("商业按揭 首付30%", "commercial", "50000", "30", 30, order=20),
    _loan("公积金贷款 首付70%", "provident", "50000", "70", 30, cap=D("1500000"), order=30),
    _loan("组合贷款 首付30%", "combined", "50000", "30", 30, cap=D("1200000"), order=40),
]
YUNJING_INSTALMENTS = _instalments("50000", [
    {"name": "首期款", "method": "percent", "value": "50", "due_basis": "signing", "due_days": "0"},
    {"name": "二期款", "method": "percent", "value": "30", "due_basis": "signing", "due_days": "90"},
    {"name": "尾款", "method": "rest", "due_basis": "signing", "due_days": "180"},
])
PLANS = {
    # Parking spaces (180,000) take a smaller deposit: 50,000 would be over 20% of their price.
    "GZ-YJ": HOMES + [YUNJING_INSTALMENTS, (dict(_full("10000")[0], name="车位一次性付款", sort_order=60,
                                                 description="车位：签约后30天内付清"), None, [REGISTRATION])],
    "HZ-JY": HOMES,
    "SZ-HY": [
        _full("100000"),
        _instalments("100000", [
            {"name": "首期款", "method": "percent", "value": "40", "due_basis": "signing", "due_days": "0"},
            {"name": "二期款", "method": "percent", "value": "30", "due_basis": "signing", "due_days": "120"},
            {"name": "尾款", "method": "percent", "value": "30", "due_basis": "signing", "due_days": "240"},
        ], order=30, fees=(REGISTRATION, STAMP_DUTY)),
        _loan("商业贷款 首付50%", "commercial", "100000", "50", 10, order=20, unit="ten_thousand"),
    ],
    "SH-PJHT": [
        _full("20000"),
        _instalments("20000", [
            {"name": "首期款", "method": "percent", "value": "50", "due_basis": "signing", "due_days": "0"},
            {"name": "尾款", "method": "percent", "value": "50", "due_basis": "signing", "due_days": "180"},
        ], order=20),
    ],
}


def load():
    with acting_as(name="demo"):
        projects = {p.code: p for p in db.session.query(Project)}
        for code, specs in PLANS.items():
            project = projects.get(code)
            if project is None:
                continue
            for values, instalments, fees in specs:
                plan = PaymentPlan(project=project, valid_from=START, active=True, **values)
                plans.save_plan(plan, instalments, fees)
