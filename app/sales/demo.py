"""Demo payment plans: each demo project gets the plans its sales office would offer.

- 云璟花园 (广州, homes and parking) and 滨江锦园 (杭州, homes): 一次性付款, 商业按揭 30% down over
  30 years, 公积金贷款 70% down over 30 years (capped at 1,500,000), 组合贷款 30% down (provident fund up to
  its cap, the rest commercial), and 分期付款 for 云璟花园;
- 海悦中心 (深圳, shops and offices): 一次性付款, 分期付款 and a commercial loan at 50% down over
  10 years (non-residential: no provident fund);
- 浦江华庭 (上海, parking): 一次性付款 and 分期付款.
Each plan collects the usual fees on behalf of others (产权登记费 and, with a loan, 抵押登记费).

Discount policies of every project: 一次性付款98折 (with that plan), 开盘优惠99折 and 认购立减2万 (ordinary,
stacking, 先折后减), 特价房每平米减500 (ordinary, exclusive), 老带新减1万 (automatic for customers who
came through 老带新), 员工价95折 (special). Discount authority: 置业顾问 up to 3% and not below the
floor price; 销售经理 up to 6% and not below 95% of the floor price. Sales permissions: every demo
salesperson and sales manager may sell every demo project."""
import datetime as dt
import decimal

from app.core.context import acting_as
from app.extensions import db
from app.inventory.models import Project
from app.sales.models import DiscountAuthority, DiscountPolicy, PaymentPlan
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
    load_discounts()
    load_permissions()


def load_permissions():
    """售楼权限: every demo salesperson and sales manager may sell every demo project."""
    from app.org.models import Employee
    from app.sales.services import permissions
    with acting_as(name="demo"):
        employees = (db.session.query(Employee).filter(Employee.position.in_(("置业顾问", "销售经理")),
                                                      Employee.status == "active")
                     .order_by(Employee.id).all())
        for project in db.session.query(Project).order_by(Project.id):
            for employee in employees:
                permissions.grant(employee, project)
        db.session.commit()


DISCOUNTS = [
    dict(name="一次性付款98折", category="plan", method="percent", value=D("98"), sequence=10,
         description="选择一次性付款可享98折"),
    dict(name="开盘优惠99折", category="ordinary", method="percent", value=D("99"), sequence=10, stackable=True),
    dict(name="认购立减2万", category="ordinary", method="amount", value=D("20000"), sequence=20, stackable=True,
         description="先折后减"),
    dict(name="特价房每平米减500", category="ordinary", method="unit_amount", value=D("500"), sequence=20,
         description="不与其他普通优惠同享"),
    dict(name="老带新减1万", category="special", method="amount", value=D("10000"), sequence=30,
         customer_source="老带新", stackable=True, description="老业主推荐的客户自动享受"),
    dict(name="员工价95折", category="special", method="percent", value=D("95"), sequence=5, stackable=True),
]
AUTHORITY = [("置业顾问", D("3"), D("100")), ("销售经理", D("6"), D("95"))]


def load_discounts():
    from flask import current_app
    Role = current_app.appbuilder.sm.role_model
    with acting_as(name="demo"):
        for project in db.session.query(Project).order_by(Project.id):
            full = db.session.query(PaymentPlan).filter_by(project_id=project.id, kind="full").order_by(
                PaymentPlan.sort_order).first()
            for values in DISCOUNTS:
                if values["category"] == "plan" and full is None:
                    continue
                policy = DiscountPolicy(project=project, valid_from=START, active=True,
                                        plan=full if values["category"] == "plan" else None, **values)
                db.session.add(policy)
        for name, most, floor in AUTHORITY:
            role = db.session.query(Role).filter_by(name=name).one_or_none()
            if role is not None and not db.session.query(DiscountAuthority).filter_by(role_id=role.id).count():
                db.session.add(DiscountAuthority(role=role, max_discount=most, min_floor_ratio=floor))
        db.session.commit()
