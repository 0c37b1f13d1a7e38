"""Builders over the demo projects and their demo payment plans."""
import datetime as dt
import decimal

import sqlalchemy as sa

from app.extensions import db
from app.inventory.models import Project, Room
from app.sales.models import PaymentPlan, PaymentPlanFee, PaymentPlanInstalment

D = decimal.Decimal
DAY = dt.date(2026, 11, 26)  # the trials' date: the seeded policies of 2025 are in force


def project(code="GZ-YJ"):
    return db.session.query(Project).filter_by(code=code).one()


def room(code="1栋-1单元-1001", project_code="GZ-YJ"):
    return db.session.query(Room).filter_by(project_id=project(project_code).id, code=code).one()


def plan(name, project_code="GZ-YJ"):
    return db.session.query(PaymentPlan).filter_by(project_id=project(project_code).id, name=name).one()


def counts():
    """Plans, instalments and fees stored: a refusal leaves them as they were."""
    return tuple(db.session.query(sa.func.count(m.id)).scalar()
                 for m in (PaymentPlan, PaymentPlanInstalment, PaymentPlanFee))


def new_plan(**kw):
    values = dict(project=project(kw.pop("project_code", "GZ-YJ")), name="测试方案", kind="commercial",
                  valid_from=dt.date(2026, 1, 1), deposit_method="amount", deposit_value=D("20000"),
                  down_payment_ratio=D("30"), term_years=30, repayment_method="equal_instalment",
                  down_payment_due_from="signing", down_payment_due_days=0, loan_unit="thousand")
    values.update(kw)
    return PaymentPlan(**values)


class QueryCounter:
    """Counts the SELECTs sent while it is active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)
