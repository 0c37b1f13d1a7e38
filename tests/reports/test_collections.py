"""回款分析: receivables due, received, receipts, collection rates and aging, checked exactly on a
known history, for the scope of each role; every figure equals the sum of the list behind it; a
fixed number of queries; bad input answered with a message."""
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.reports.services import collections as service
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

BUCKETS = ("0_30", "31_90", "91_180", "over_180")


def arrange():
    """The history's deals with receivables due `n` days before (negative: after) today, and receipts.

    key, deal, amount, days overdue, received, fees (代收费用), kind
    """
    s = history.build()
    today = clock.local_today()
    ago = lambda n: today - dt.timedelta(days=n)  # noqa: E731
    for key, deal, amount, days, received, fees, kind in (
            ("r1", "d1", "100000.00", 10, "40000.00", False, "deposit"),
            ("r2", "d2", "300000.00", 45, "0", False, "down_payment"),
            ("r3", "d3", "200000.00", 120, "50000.00", False, "instalment"),
            ("r4", "d4", "8000.00", 200, "0", True, "fee"),
            ("r5", "d6", "500000.00", 45, "100000.00", False, "loan"),
            ("r6", "d1", "1234.56", 20, "0", False, "late_fee"),
            ("r7", "d2", "50000.00", -10, "0", False, "instalment"),
            ("r8", "d5", "20000.00", 30, "0", False, "deposit"),
            ("r9", "d3", "50000.00", 5, "50000.00", False, "deposit"),
            ("r10", "d4", "3000.00", 0, "1000.00", True, "fee"),
            ("r11", "d4", "1000.00", 30, "0", False, "other"),
            ("r12", "d4", "2000.00", 31, "0", False, "other"),
            ("r13", "d4", "4000.00", 180, "0", False, "other"),
            ("r14", "d4", "7000.00", 181, "0", False, "other")):
        history.receivable(s, key, deal, D(amount), ago(days), received=D(received), fees=fees, kind=kind)
    s.receivables["r8"].status = "closed"  # the cancelled deal's: no longer owed
    history.receipt(s, "p1", "d1", [("r1", D("40000.00"))], ago(8))
    history.receipt(s, "p2", "d3", [("r3", D("50000.00"))], ago(100))
    history.receipt(s, "p3", "d6", [("r5", D("100000.00"))], ago(40))
    history.receipt(s, "p4", "d3", [("r9", D("50000.00"))], ago(5))
    history.receipt(s, "p5", "d4", [("r10", D("1000.00"))], ago(1))
    history.receipt(s, "p6", "d2", [("r2", D("99999.00"))], ago(3), status="void")
    history.receipt(s, "p7", "d1", [("r1", D("40000.00"))], ago(8), status="reissued")
    advance = history.receipt(s, "p8", "d4", [], ago(2))
    advance.amount = advance.unallocated = D("5000.00")
    db.session.flush()
    s.today = today
    s.args = {"period": "range", "date_from": ago(60).isoformat(), "date_to": ago(-30).isoformat(),
              "project": str(s.project.id)}
    return s


ADMIN = {"due": D("1007234.56"), "received": D("191000.00"), "due_cum": D("1226234.56"),
         "received_cum": D("241000.00"), "receipts": D("196000.00"), "count": 5,
         "0_30": D("61000.00"), "31_90": D("702000.00"), "91_180": D("154000.00"), "over_180": D("15000.00"),
         "overdue": D("932000.00")}
# the manager's department: E1003 and E1006, not E1008's d6 (r5: 500,000 due, 100,000 received; p3)
MANAGER = {"due": D("507234.56"), "received": D("91000.00"), "due_cum": D("726234.56"),
           "received_cum": D("141000.00"), "receipts": D("96000.00"), "count": 4,
           "0_30": D("61000.00"), "31_90": D("302000.00"), "91_180": D("154000.00"), "over_180": D("15000.00"),
           "overdue": D("532000.00")}


def _figures(row):
    return {k: row[k] for k in ADMIN}


def _report(app, user, args):
    with as_user(app, user):
        return service.report(service.Filters(args))


def _drills(app, user, args):
    """The lists behind the figures: {measure: total}."""
    with as_user(app, user):
        period = service.receivable_totals(service.ReceivableDrill(dict(args, bucket="period")))
        cumulative = service.receivable_totals(service.ReceivableDrill(dict(args, bucket="cumulative")))
        receipts = service.receipt_totals(service.ReceiptDrill(args))
        out = {"due": period["due"], "received": period["received"], "due_cum": cumulative["due"],
               "received_cum": cumulative["received"], "receipts": receipts["counted"], "count": receipts["count"]}
        for bucket in BUCKETS + ("overdue",):
            out[bucket] = service.receivable_totals(service.ReceivableDrill(dict(args, bucket=bucket)))["outstanding"]
    return out


def test_every_figure_for_admin_and_finance(app, ctx):
    s = arrange()
    db.session.commit()
    for user in ("admin", "finance"):
        data = _report(app, user, s.args)
        assert _figures(data["total"]) == ADMIN, user
        assert data["group_kind"] == "building"
        by_name = {g["name"]: g for g in data["groups"]}
        assert set(by_name) == {"1栋", "2栋"}
        assert _figures(by_name["1栋"]) == MANAGER  # every deal but d6 is in 1栋
        two = by_name["2栋"]
        assert (two["due"], two["received"], two["receipts"], two["31_90"], two["overdue"]) == (
            D("500000.00"), D("100000.00"), D("100000.00"), D("400000.00"), D("400000.00"))
        assert data["total"]["rate"] == D("191000.00") / D("1007234.56")
        assert data["total"]["rate_cum"] == D("241000.00") / D("1226234.56")
        assert _drills(app, user, s.args) == ADMIN, user


def test_every_figure_for_the_manager(app, ctx):
    s = arrange()
    db.session.commit()
    data = _report(app, "manager", s.args)
    assert _figures(data["total"]) == MANAGER
    assert [g["name"] for g in data["groups"]] == ["1栋"]
    assert _drills(app, "manager", s.args) == MANAGER
    with as_user(app, "manager"):
        rows = service.receivables(service.ReceivableDrill(dict(s.args, bucket="overdue")))["rows"]
    assert s.deals["d6"].id not in {r["deal_id"] for r in rows}


def test_by_type_and_kind(app, ctx):
    s = arrange()
    db.session.commit()
    data = _report(app, "admin", s.args)
    types = {t["key"]: t for t in data["types"]}
    fees, price, advance = types["fees"], types["price"], types["advance"]
    assert (fees["due"], fees["received"], fees["due_cum"], fees["received_cum"], fees["receipts"]) == (
        D("3000.00"), D("1000.00"), D("11000.00"), D("1000.00"), D("1000.00"))
    assert (fees["over_180"], fees["overdue"]) == (D("8000.00"), D("8000.00"))
    assert (price["due"], price["received"], price["receipts"], price["overdue"]) == (
        D("1004234.56"), D("190000.00"), D("190000.00"), D("924000.00"))
    assert advance["receipts"] == D("5000.00")
    assert price["receipts"] + fees["receipts"] + advance["receipts"] == data["total"]["receipts"]
    kinds = {k["key"]: k for k in price["kinds"]}
    assert [k["key"] for k in price["kinds"]] == ["deposit", "down_payment", "instalment", "loan", "late_fee", "other"]
    assert (kinds["deposit"]["due"], kinds["deposit"]["received"], kinds["deposit"]["receipts"],
            kinds["deposit"]["0_30"]) == (D("150000.00"), D("90000.00"), D("90000.00"), D("60000.00"))
    # a late fee is due and counted, but not aged
    assert (kinds["late_fee"]["due"], kinds["late_fee"]["overdue"]) == (D("1234.56"), D("0.00"))
    assert (kinds["other"]["0_30"], kinds["other"]["31_90"], kinds["other"]["91_180"], kinds["other"]["over_180"]) == (
        D("1000.00"), D("2000.00"), D("4000.00"), D("7000.00"))
    with as_user(app, "admin"):
        for t in ("price", "fees"):
            for k in types[t]["kinds"]:
                keys = dict(s.args, type=t, kind=k["key"])
                period = service.receivable_totals(service.ReceivableDrill(dict(keys, bucket="period")))
                assert (period["due"], period["received"]) == (k["due"], k["received"]), (t, k["key"])
                assert service.receipt_totals(service.ReceiptDrill(keys))["counted"] == k["receipts"], (t, k["key"])
                for bucket in BUCKETS:
                    total = service.receivable_totals(service.ReceivableDrill(dict(keys, bucket=bucket)))
                    assert total["outstanding"] == k[bucket], (t, k["key"], bucket)
        assert service.receipt_totals(service.ReceiptDrill(dict(s.args, type="advance")))["counted"] == D("5000.00")
        # the aging by building and type
        one = {g["name"]: g for g in data["groups"]}["1栋"]
        building = dict(s.args, building=str(s.buildings["1栋"].id))
        for t in ("price", "fees"):
            for bucket in BUCKETS:
                total = service.receivable_totals(service.ReceivableDrill(dict(building, bucket=bucket, type=t)))
                assert total["outstanding"] == one["types"][t][bucket]


def test_by_project_when_no_project_is_chosen(app, ctx):
    s = arrange()
    db.session.commit()
    args = {k: v for k, v in s.args.items() if k != "project"}
    data = _report(app, "admin", args)
    assert data["group_kind"] == "project"
    row = {g["key"]: g for g in data["groups"]}[s.project.id]
    assert _figures(row) == ADMIN
    with as_user(app, "admin"):
        drill = service.ReceivableDrill(dict(args, project=str(s.project.id), bucket="over_180"))
        rows = service.receivables(drill)["rows"]
    assert sorted(r["outstanding"] for r in rows) == [D("7000.00"), D("8000.00")]
    assert {r["days"] for r in rows} == {181, 200}


def test_aging_boundaries_and_what_is_left_out(app, ctx):
    s = arrange()
    db.session.commit()
    with as_user(app, "admin"):
        ids = {b: {r["id"] for r in service.receivables(service.ReceivableDrill(dict(s.args, bucket=b)))["rows"]}
               for b in BUCKETS}
        period = {r["id"] for r in service.receivables(service.ReceivableDrill(dict(s.args, bucket="period")))["rows"]}
    r = {k: v.id for k, v in s.receivables.items()}
    assert ids["0_30"] == {r["r1"], r["r11"]}  # 10 and 30 days; r9 is paid, r10 due today, r6 a late fee
    assert ids["31_90"] == {r["r2"], r["r5"], r["r12"]}
    assert ids["91_180"] == {r["r3"], r["r13"]}
    assert ids["over_180"] == {r["r4"], r["r14"]}
    assert r["r8"] not in period  # closed
    assert period == {r[k] for k in ("r1", "r2", "r5", "r6", "r7", "r9", "r10", "r11", "r12")}


def test_a_past_period_ages_what_fell_due_by_its_end(app, ctx):
    s = arrange()
    db.session.commit()
    end = s.today - dt.timedelta(days=100)
    args = {"period": "range", "date_from": (end - dt.timedelta(days=365)).isoformat(), "date_to": end.isoformat(),
            "project": str(s.project.id)}
    data = _report(app, "admin", args)
    total = data["total"]
    # due by then: r3 (120 days ago), r4 (200), r13 (180), r14 (181); p2 paid 100 days ago
    assert (total["due"], total["received"], total["receipts"]) == (D("219000.00"), D("50000.00"), D("50000.00"))
    assert (total["91_180"], total["over_180"], total["0_30"], total["31_90"]) == (
        D("154000.00"), D("15000.00"), D("0.00"), D("0.00"))
    assert _drills(app, "admin", args)["overdue"] == total["overdue"]


def test_fixed_number_of_queries(app, ctx):
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    s = arrange()
    db.session.commit()
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        counts = []
        for extra in (0, 1):
            if extra:
                sa.event.remove(db.engine, "before_cursor_execute", seen)
                for n in range(5):
                    history.receivable(s, "x%d" % n, "d3", D("10.00"), s.today - dt.timedelta(days=n * 50),
                                       kind="instalment")
                    history.receipt(s, "y%d" % n, "d3", [("x%d" % n, D("5.00"))], s.today - dt.timedelta(days=n))
                db.session.commit()
                sa.event.listen(db.engine, "before_cursor_execute", seen)
            with as_user(app, "manager"):
                for args in (s.args, {k: v for k, v in s.args.items() if k != "project"}):
                    service.report(service.Filters(args))  # the user's scope, read once
                    statements.clear()
                    service.report(service.Filters(args))
                    counts.append(len(statements))
                    statements.clear()
                    service.receivables(service.ReceivableDrill(dict(args, bucket="overdue")))
                    service.receipts(service.ReceiptDrill(dict(args, type="price")))
                    counts.append(len(statements))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert counts == [3, 4, 3, 4, 3, 4, 3, 4], counts


def test_pages_exports_and_links(app, client):
    with app.app_context():
        s = arrange()
        db.session.commit()
        args, deal_id = s.args, s.deals["d4"].id
    query = "&".join("%s=%s" % kv for kv in args.items())
    login(client, "finance")
    html = client.get("/reports/collections/?" + query).get_data(as_text=True)
    assert "¥1,007,234.56" in html and "¥932,000.00" in html and "¥196,000.00" in html
    assert "/reports/collections/receivables?" in html and "bucket=over_180" in html
    assert "/reports/collections/receipts?" in html
    page = client.get("/reports/collections/receivables?%s&bucket=over_180" % query)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/finance/deals/%d" % deal_id in text and "¥15,000.00" in text
    receipts = client.get("/reports/collections/receipts?%s&type=fees" % query).get_data(as_text=True)
    assert "RPT-R0005" in receipts and "RPT-R0006" not in receipts
    export = client.get("/reports/collections/export?" + query)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    total = [row for row in sheet.iter_rows(values_only=True) if row and row[0] in ("Total", "合计")][0]
    assert D(str(total[3])) == D("1007234.56") and D(str(total[-1])) == D("932000.00")
    for path in ("receivables/export?%s&bucket=overdue" % query, "receipts/export?" + query):
        response = client.get("/reports/collections/" + path)
        assert response.status_code == 200 and response.data[:2] == b"PK", path
        rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
        assert len(rows) == (1 + 9 if "receivables" in path else 1 + 5), path


def test_manager_pages_and_grants(app, client):
    with app.app_context():
        s = arrange()
        db.session.commit()
        query = "&".join("%s=%s" % kv for kv in s.args.items())
    login(client, "manager")
    html = client.get("/reports/collections/?" + query).get_data(as_text=True)
    assert "¥507,234.56" in html and "¥532,000.00" in html
    assert "¥1,007,234.56" not in html


def test_salesperson_has_no_access(app, client):
    login(client, "sales")
    response = client.get("/reports/collections/")
    assert response.status_code in (302, 403)


def test_bad_input_is_said_not_failed(app, client):
    login(client, "finance")
    for query in ("period=month&month=2026-13", "period=week&week=x", "project=abc", "project=99999999999",
                  "bucket=nonsense", "type=other", "kind=x", "page=-3", "period=year&year=99999",
                  "period=range&date_from=2026-13-01", "building=999999"):
        for path in ("", "receivables", "receipts", "export", "receivables/export", "receipts/export"):
            response = client.get("/reports/collections/%s?%s" % (path, query))
            assert response.status_code == 200, (path, query)
        said = {"bucket=nonsense": ("receivables",), "type=other": ("receivables", "receipts"),
                "kind=x": ("receivables", "receipts"), "page=-3": (), "building=999999": ()}
        # a foreign building finds nothing; a bad page is the first page
        for path in said.get(query, ("", "receivables", "receipts")):
            html = client.get("/reports/collections/%s?%s" % (path, query)).get_data(as_text=True)
            assert "loupan-report-error" in html, (path, query)
