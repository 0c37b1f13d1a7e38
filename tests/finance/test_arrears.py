"""The arrears list (/finance/arrears/): one row per deal with overdue money, filters, sorting,
masking, Excel, the dunning notices PDF and the text messages (services and pages)."""
import io

import openpyxl
import sqlalchemy as sa

from app.crm.models import Customer, SmsRecipient
from app.extensions import db
from app.finance.models import DunningAction
from app.finance.services import arrears, dunning, late_fees
from tests.conftest import form_token, login
from tests.finance.helpers import D, as_user, days_ago, receivables_of, signed


def arrange(app, n, price="100000.00", price_days=10, fee=None, fee_days=5):
    """A signed deal owing `price` of 楼款 due `price_days` ago (and `fee` of 代收费用 due
    `fee_days` ago); its other receivables due in the future."""
    deal = signed(app, n=n)
    rows = receivables_of(deal.id)
    for r in rows:
        r.due_date = days_ago(-90)
    p = [r for r in rows if not r.collected_for_others][0]
    p.amount, p.due_date = D(price), days_ago(price_days)
    if fee is not None:
        f = [r for r in rows if r.collected_for_others][0]
        f.amount, f.due_date = D(fee), days_ago(fee_days)
    db.session.commit()
    return deal


def rows_by_deal(filters=None, **kwargs):
    rows, _count, _pages = arrears.page(filters or arrears.Filters(**kwargs), page_size=1000)
    return {r.deal_id: r for r in rows}


def test_one_row_per_deal_with_amounts_apart(app, ctx):
    a = arrange(app, 0, fee="3000.00")
    b = arrange(app, 1, price="20000.00", price_days=3)
    late_fees.compute_all()
    rows = rows_by_deal()
    ra, rb = rows[a.id], rows[b.id]
    assert (ra.overdue_price, ra.overdue_fees, ra.late_fees) == (D("100000.00"), D("3000.00"), D("507.50"))
    # late fees: 100,000 × 0.05% × 10 = 500.00; 3,000 × 0.05% × 5 = 7.50
    assert ra.total == D("103507.50") and ra.days == 10 and ra.oldest == days_ago(10)
    assert (rb.overdue_price, rb.overdue_fees, rb.late_fees, rb.days) == (D("20000.00"), D("0.00"), D("30.00"), 3)
    assert ra.project == "云璟花园" and ra.room and ra.salesperson == "林晓燕" and ra.buyers


def test_filters_and_sorting(app, ctx):
    a = arrange(app, 0, fee="3000.00")
    b = arrange(app, 1, price="20000.00", price_days=3)
    c = arrange(app, 2, price="50000.00", price_days=40)
    mine = {a.id, b.id, c.id}
    assert mine <= set(rows_by_deal(project_id=a.project_id))
    assert set(rows_by_deal(min_days=10)) & mine == {a.id, c.id}
    assert set(rows_by_deal(min_amount=D("50000"))) & mine == {a.id, c.id}
    fees_only = rows_by_deal(type="fees")
    assert set(fees_only) & mine == {a.id} and fees_only[a.id].overdue == D("3000.00") and fees_only[a.id].days == 5
    rows, _c, _p = arrears.page(arrears.Filters(project_id=a.project_id, sort="days"), page_size=1000)
    order = [r.deal_id for r in rows if r.deal_id in mine]
    assert order == [c.id, a.id, b.id]
    rows, _c, _p = arrears.page(arrears.Filters(project_id=a.project_id, sort="total", descending=False),
                                page_size=1000)
    order = [r.deal_id for r in rows if r.deal_id in mine]
    assert order == [b.id, c.id, a.id]


def test_paid_deals_and_not_yet_due_are_not_listed(app, ctx):
    a = arrange(app, 0, price_days=0)  # due today: not overdue yet
    assert a.id not in rows_by_deal()
    b = arrange(app, 1)
    with as_user(app, "finance"):
        from app.finance.services import receipts
        receipts.receive(b, "100000.00", "cash", paid_on=days_ago(0),
                         allocations={[r for r in receivables_of(b.id) if r.due_date == days_ago(10)][0].id:
                                      "100000.00"})
    assert b.id not in rows_by_deal()


def test_fixed_number_of_queries(app, ctx):
    arrange(app, 0)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with as_user(app, "finance"):
            arrears.page(arrears.Filters())  # the user's permissions and scope, read once
            statements.clear()
            arrears.page(arrears.Filters())
            one = list(statements)
        arrange(app, 1)
        arrange(app, 2)
        statements.clear()
        with as_user(app, "finance"):
            arrears.page(arrears.Filters())
            statements.clear()
            arrears.page(arrears.Filters())
            three = list(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert len(three) == len(one) and len(three) <= 6, three


def test_page_filters_masking_and_bad_input(app, client):
    with app.app_context():
        deal = arrange(app, 0)
        phone = db.session.get(Customer, deal.buyers[0].customer_id).phone
        deal_id = deal.id
    assert login(client, "finance").status_code == 302
    page = client.get("/finance/arrears/?sort=days")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-deal="%d"' % deal_id in text
    assert "¥100,000.00" in text
    if phone:
        assert phone not in text  # finance does not see personal data in full
    for bad in ("days=abc", "amount=-5", "type=other", "project=x", "page=-1", "sort=zzz"):
        assert client.get("/finance/arrears/?" + bad).status_code == 200
    client.get("/logout/")
    assert login(client, "admin").status_code == 302
    text = client.get("/finance/arrears/").get_data(as_text=True)
    if phone:
        assert phone in text


def test_export_to_excel(app, client):
    with app.app_context():
        arrange(app, 0)
    assert login(client, "finance").status_code == 302
    response = client.get("/finance/arrears/export/?type=price")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any("云璟花园" in str(v) for row in values for v in row)


def test_print_notices_logs_one_action_per_deal(app, client):
    with app.app_context():
        a, b = arrange(app, 0), arrange(app, 1, price="20000.00", price_days=3)
        ids = [a.id, b.id]
    assert login(client, "finance").status_code == 302
    token = form_token(client, "/finance/arrears/")
    response = client.post("/finance/arrears/act", data={"csrf_token": token, "action": "print",
                                                         "deal": [str(i) for i in ids]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and response.data.count(b"/Type /Page\n") + \
        response.data.count(b"/Type /Page\r") + response.data.count(b"/Type /Page>") + \
        response.data.count(b"/Type /Page ") >= 2 or len(response.data) > 1000
    with app.app_context():
        actions = db.session.query(DunningAction).filter(DunningAction.deal_id.in_(ids)).all()
        assert sorted((x.deal_id, x.method) for x in actions) == sorted((i, "notice") for i in ids)
        assert {x.deal_id: x.overdue for x in actions}[a.id] == D("100000.00")
    # nothing selected / nothing overdue: a message, no PDF, nothing logged
    token = form_token(client, "/finance/arrears/")
    empty = client.post("/finance/arrears/act", data={"csrf_token": token, "action": "print"})
    assert empty.status_code == 302


def test_notice_pdf_has_one_page_per_deal(app, ctx):
    from pypdf import PdfReader
    from app.finance.services import dunning_print
    a, b = arrange(app, 0), arrange(app, 1, price="20000.00", price_days=3)
    with as_user(app, "finance"):
        pdf = dunning_print.render([a, b])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    first = reader.pages[0].extract_text()
    assert "催款通知书" in first and "壹拾万元整" in first and "¥100,000.00" in first


def test_sms_skips_opted_out_buyers_and_logs(app, ctx):
    a, b = arrange(app, 0), arrange(app, 1)
    opted = db.session.get(Customer, b.buyers[0].customer_id)
    opted.sms_opt_out = True
    db.session.commit()
    with as_user(app, "finance"):
        result = dunning.send_sms([a.id, b.id])
    assert result["deals"] >= 1 and any(name == opted.name for _room, name, _r in result["skipped"])
    recipients = db.session.query(SmsRecipient).filter(SmsRecipient.message_id == result["message_id"]).all()
    statuses = {r.customer_id: r.status for r in recipients}
    assert statuses[opted.id] == "skipped"
    sms_actions = db.session.query(DunningAction).filter(DunningAction.method == "sms").all()
    if statuses.get(a.buyers[0].customer_id) == "sent":
        assert a.id in {x.deal_id for x in sms_actions}
        assert any("¥" in r.text for r in recipients if r.customer_id == a.buyers[0].customer_id)
    assert b.id not in {x.deal_id for x in sms_actions} or len(b.buyers) > 1


def test_salespeople_cannot_open_the_arrears(app, client):
    assert login(client, "sales").status_code == 302
    assert client.get("/finance/arrears/").status_code in (302, 403)
