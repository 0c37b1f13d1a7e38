"""The daily cash report (收款日报): hand-built receipts on one day in two projects, by two cashiers
and three methods (+ a void one, and one on the next day); the sums by method, project and
cashier, the page, the Excel export and the number of queries."""
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from app.extensions import db
from app.finance.models import Receipt, Receivable
from app.finance.services import cash_report, receipts
from app.inventory.models import Project
from app.sales.models import Deal
from tests.conftest import login
from tests.finance.helpers import D, as_user, days_ago, fee_rows, signed
from tests.sales.helpers import QueryCounter

DAY = days_ago(100)  # before any receipt of the demo


def _hz_deal():
    """A signed deal of the demo in 滨江锦园 with money still owed on the price and on the fees."""
    for deal in (db.session.query(Deal).join(Project, Project.id == Deal.project_id)
                 .filter(Project.code == "HZ-JY", Deal.stage == "signed", Deal.state == "active").order_by(Deal.id)):
        rows = db.session.query(Receivable).filter_by(deal_id=deal.id, status="open").all()
        if any(not r.collected_for_others and r.outstanding >= 200000 for r in rows) and \
                any(r.collected_for_others and r.outstanding >= 80 for r in rows):
            return deal
    raise AssertionError("no demo deal to receive on")


def _build(app):
    yj = signed(app, n=0)
    hz = _hz_deal()
    fee = next(r for r in fee_rows(hz.id) if r.outstanding >= 80)
    with as_user(app, "finance"):
        r1 = receipts.receive(yj, "30000", "cash", paid_on=DAY, group=False)
        r3 = receipts.receive(hz, "200000", "transfer", paid_on=DAY, group=False, reference="TX-200")
        void = receipts.receive(yj, "7777", "cash", paid_on=DAY, group=False)
        receipts.void(void, "重复录入")
        receipts.receive(hz, "3333", "cash", paid_on=days_ago(99), group=False)
    with as_user(app, "admin"):
        r2 = receipts.receive(yj, "1000", "wechat", paid_on=DAY, group=True)
        r4 = receipts.receive(hz, "580.00", "transfer", paid_on=DAY, allocations={fee.id: "80"}, advance=True)
    return yj, hz, [r1, r2, r3, r4], void


def _users(app):
    sm = app.appbuilder.sm
    return sm.find_user(username="finance").id, sm.find_user(username="admin").id


def test_the_report_of_a_day(app, ctx):
    yj, hz, valid, void = _build(app)
    finance_id, admin_id = _users(app)
    data = cash_report.report(cash_report.Filters({"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}))
    assert {r["method"]: (r["count"], r["amount"]) for r in data["by_method"]} == {
        "cash": (1, D("30000.00")), "transfer": (2, D("200580.00")), "wechat": (1, D("1000.00"))}
    projects = {r["code"]: (r["count"], r["price"], r["fees"], r["advance"], r["amount"]) for r in data["by_project"]}
    assert projects == {"GZ-YJ": (2, D("30000.00"), D("1000.00"), D("0.00"), D("31000.00")),
                        "HZ-JY": (2, D("200000.00"), D("80.00"), D("500.00"), D("200580.00"))}
    assert {r["cashier_id"]: (r["count"], r["amount"]) for r in data["by_cashier"]} == {
        finance_id: (2, D("230000.00")), admin_id: (2, D("1580.00"))}
    assert [(r["status"], r["count"], r["amount"]) for r in data["excluded"]] == [("void", 1, D("7777.00"))]
    total = data["total"]
    assert (total["count"], total["amount"], total["price"], total["fees"], total["advance"]) == (
        4, D("231580.00"), D("230000.00"), D("1080.00"), D("500.00"))
    # The list: the day's five receipts (the void one marked); the valid ones add up to the total.
    listed = data["receipts"]
    assert sorted(r["number"] for r in listed) == sorted([r.number for r in valid] + [void.number])
    assert sum(r["amount"] for r in listed if r["valid"]) == total["amount"]
    assert [r["status"] for r in listed if not r["valid"]] == ["void"]
    assert {r["room"] for r in listed} == {yj.room.code, hz.room.code}
    # Filters: a project, a cashier, a method; a period of two days takes the next day's receipt.
    one = cash_report.report(cash_report.Filters({"date_from": DAY.isoformat(), "project": str(hz.project_id)}))
    assert (one["total"]["count"], one["total"]["amount"]) == (2, D("200580.00"))
    one = cash_report.report(cash_report.Filters({"date_from": DAY.isoformat(), "cashier": str(admin_id)}))
    assert (one["total"]["count"], one["total"]["amount"]) == (2, D("1580.00"))
    one = cash_report.report(cash_report.Filters({"date_from": DAY.isoformat(), "method": "cash"}))
    assert (one["total"]["count"], one["total"]["amount"], len(one["receipts"])) == (1, D("30000.00"), 2)
    two = cash_report.report(cash_report.Filters({"date_from": DAY.isoformat(),
                                                  "date_to": days_ago(99).isoformat()}))
    assert (two["total"]["count"], two["total"]["amount"]) == (5, D("234913.00"))


def test_bad_filters_fall_back(app, ctx):
    f = cash_report.Filters({"date_from": "2026-13-45", "project": "abc", "method": "barter", "page": "-3"})
    assert f.date_from == f.date_to == days_ago(0) and f.project_id is None and f.method is None and f.page == 0
    assert f.errors
    f = cash_report.Filters({"date_from": days_ago(1).isoformat(), "date_to": days_ago(5).isoformat()})
    assert (f.date_from, f.date_to) == (days_ago(5), days_ago(1)) and f.errors
    f = cash_report.Filters({"date_from": days_ago(900).isoformat(), "date_to": days_ago(0).isoformat()})
    assert (f.date_to - f.date_from).days == cash_report.MAX_DAYS - 1


def test_integrity_check_finds_what_does_not_reconcile(app, ctx):
    yj, hz, valid, void = _build(app)
    assert cash_report.check_integrity() == []
    r1 = valid[0]
    receivable = db.session.get(Receivable, r1.allocations[0].receivable_id)
    db.session.execute(sa.update(Receivable.__table__).where(Receivable.id == receivable.id)
                       .values(received=Receivable.__table__.c.received + 1))
    db.session.execute(sa.update(Receipt.__table__).where(Receipt.id == valid[1].id).values(amount=D("1001.00")))
    problems = cash_report.check_integrity()
    assert {(p["kind"], p["id"]) for p in problems} == {("receivable", receivable.id), ("receipt", valid[1].id)}
    by_kind = {p["kind"]: p for p in problems}
    assert by_kind["receipt"]["recorded"] - by_kind["receipt"]["computed"] == D("1.00")
    assert by_kind["receivable"]["recorded"] - by_kind["receivable"]["computed"] == D("1.00")
    assert cash_report.check_integrity(hz.project_id) == []
    db.session.rollback()


def test_the_page_and_the_export(app, ctx, client):
    yj, hz, valid, void = _build(app)
    db.session.commit()
    assert login(client, "finance").status_code == 302
    url = "/finance/cash/?date_from=%s&date_to=%s" % (DAY.isoformat(), DAY.isoformat())
    html = client.get(url).get_data(as_text=True)
    assert "¥231,580.00" in html and "¥200,580.00" in html and "¥7,777.00" in html
    for r in valid + [void]:
        assert r.number in html
    assert re.search("all receipts reconcile|所有收据均已对平", html)
    assert "/finance/deals/%d" % hz.id in html
    page = client.get("/finance/cash/?date_from=nonsense&project=x&cashier=-1&method=%3Cb%3E&page=999")
    assert page.status_code == 200 and "loupan-cash-error" in page.get_data(as_text=True)

    response = client.get("/finance/cash/export?date_from=%s&date_to=%s" % (DAY.isoformat(), DAY.isoformat()))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    summary, detail = book.worksheets
    cells = {(c.row, c.column): c for row in summary.iter_rows() for c in row if c.value is not None}
    totals = [c for c in cells.values() if c.column == 6 and c.value == 231580]
    assert totals and totals[0].number_format == "#,##0.00"
    names = [summary.cell(row=c.row, column=1).value for c in cells.values() if c.value == D("200580.00")
             or c.value == 200580]
    assert any(n in ("滨江锦园",) or (n and "HZ" in n) or n == hz.project.name for n in names)
    rows = list(detail.iter_rows(min_row=2, values_only=True))
    numbers = {r[0] for r in rows}
    assert {r.number for r in valid + [void]} <= numbers
    assert rows[-1][5] == 231580 and detail.cell(row=detail.max_row, column=6).number_format == "#,##0.00"
    assert sum(r[5] for r in rows[:-1] if r[9] not in ("Void", "作废")) == 231580


def test_who_may_read_it(app, ctx, client):
    login(client, "manager")
    page = client.get("/finance/cash/")
    assert page.status_code == 200 and "loupan-cash-check" not in page.get_data(as_text=True)
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/finance/cash/").status_code in (302, 403)
    assert client.get("/finance/cash/export").status_code in (302, 403)


def test_a_fixed_number_of_queries(app, ctx, client):
    _build(app)
    db.session.commit()
    login(client, "finance")
    client.get("/finance/cash/")
    counts = []
    for day in (DAY, days_ago(99), days_ago(300)):
        with QueryCounter(db.engine) as counter:
            assert client.get("/finance/cash/?date_from=%s" % day.isoformat()).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2], counts
