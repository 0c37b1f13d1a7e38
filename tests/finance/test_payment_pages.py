"""The payment page (房款页) of a deal and its forms: receiving (oldest first, by hand, one group,
advance payment), voiding and reissuing a receipt; the receipts and receivables lists; who may
see and do what; a fixed number of queries whatever the number of rows."""
import contextlib
import re

from app.extensions import db
from app.finance.models import Receipt
from app.finance.services import receipts
from tests.conftest import forget_request_state, form_token, login
from tests.finance.helpers import D, counts, fee_rows, price_rows, receivables_of, signed
from tests.finance.helpers import as_user as acting
from tests.sales.helpers import QueryCounter

INSTALMENTS = "分期付款"


@contextlib.contextmanager
def as_user(app, username):
    with acting(app, username) as user:
        yield user
    forget_request_state()


def yuan(value):
    return "¥{:,.2f}".format(D(value))


def _page(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def _post(client, url, data, token_url):
    data = dict(data)
    data["csrf_token"] = form_token(client, token_url)
    return client.post(url, data=data)


# 分期付款 on the first available room of 云璟花园 (1栋-1单元-101, 118.60㎡, ¥3,984,960.00): 定金 50,000
# counted in the 首期款 (50%: 1,992,480 − 50,000), 二期款 30%, 尾款 the rest (20%).
TOTAL = D("3984960.00")
PRICE = [D("50000.00"), D("1942480.00"), D("1195488.00"), D("796992.00")]
# 代收费用: 契税 1% (39,849.60), 维修基金 100/㎡ (11,860.00), 产权登记费 80 — ¥51,789.60.
FEES = [D("39849.60"), D("11860.00"), D("80.00")]


def schedule(total):
    assert total == TOTAL
    return PRICE


def test_the_payment_page_shows_both_groups_apart_with_subtotals(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    expected = schedule(deal.total)
    assert [r.amount for r in price_rows(deal.id)] == expected
    assert sum(PRICE) == TOTAL
    assert [r.amount for r in fee_rows(deal.id)] == FEES
    login(client, "finance")
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    assert code == 200
    assert deal.room.code in html and deal.contract_no in html and yuan(deal.total) in html
    price = html.split("loupan-receivables-price")[1].split("</table>")[0]
    fees = html.split("loupan-receivables-fees")[1].split("</table>")[0]
    for amount in expected:
        assert yuan(amount) in price
    assert "产权登记费" in fees and "产权登记费" not in price
    assert yuan(deal.total) in price.split("loupan-subtotal")[1]  # 楼款 outstanding = the price
    assert "¥51,789.60" in fees.split("loupan-subtotal")[1]
    assert re.search(r"Receive money|收款", html) and "/finance/refunds/new?deal=%d" % deal.id in html
    assert "/finance/adjustments/new?receivable=%d" % price_rows(deal.id)[0].id in html


def test_cashier_takes_the_deposit_oldest_first(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    login(client, "finance")
    url = "/finance/deals/%d/receive" % deal.id
    code, html = _page(client, url)
    assert code == 200 and "产权登记费" in html
    buyer = deal.buyers[0].customer.name
    assert buyer in html  # the payer defaults to the buyers
    response = _post(client, url, {"amount": "50,000.00", "method": "transfer", "payer": buyer,
                                   "reference": "TX-0001", "mode": "auto", "group": "price"}, url)
    assert response.status_code == 302, response.get_data(as_text=True)
    deposit = price_rows(deal.id)[0]
    assert deposit.kind == "deposit" and deposit.received == D("50000.00") and deposit.outstanding == 0
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    price = html.split("loupan-receivables-price")[1].split("</table>")[0]
    assert yuan(deal.total - D("50000")) in price.split("loupan-subtotal")[1]
    receipt = db.session.query(Receipt).filter_by(deal_id=deal.id).one()
    assert receipt.number in html and "TX-0001" in html and "¥50,000.00" in html
    assert receipt.payer == buyer and receipt.method == "transfer"


def test_a_refused_receipt_flashes_and_keeps_what_was_typed(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    before = counts()
    login(client, "finance")
    url = "/finance/deals/%d/receive" % deal.id
    too_much = TOTAL + sum(FEES) + D("1000")
    response = _post(client, url, {"amount": str(too_much), "method": "cash", "payer": "王某", "reference": "REF-77",
                                   "note": "多付", "mode": "auto", "group": ""}, url)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r"advance payment|预收", html)
    assert 'value="%s"' % too_much in html and 'value="REF-77"' in html and 'value="王某"' in html
    assert counts() == before
    # bad amount, future date, unknown method: refused the same way
    for data in ({"amount": "abc", "method": "cash"}, {"amount": "100", "method": "barter"},
                 {"amount": "100", "method": "cash", "paid_on": "2999-01-01"}):
        response = _post(client, url, dict(data, mode="auto", group=""), url)
        assert response.status_code == 422
    assert counts() == before
    # by hand without any amount
    response = _post(client, url, {"amount": "100", "method": "cash", "mode": "hand", "group": ""}, url)
    assert response.status_code == 422 and counts() == before
    response = _post(client, url, {"amount": "100", "method": "cash", "mode": "hand", "alloc-99999999999": "100"},
                     url)
    assert response.status_code == 422 and counts() == before


def test_by_hand_fees_only_and_the_advance_payment(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    first, second = price_rows(deal.id)[1], price_rows(deal.id)[2]
    fee = fee_rows(deal.id)[0]
    login(client, "finance")
    url = "/finance/deals/%d/receive" % deal.id
    # by hand: 1,000 on the 二期款 (not the oldest)
    response = _post(client, url, {"amount": "1000", "method": "pos", "mode": "hand",
                                   "alloc-%d" % second.id: "1000", "group": ""}, url)
    assert response.status_code == 302
    assert price_rows(deal.id)[2].received == D("1000.00") and price_rows(deal.id)[1].received == 0
    # 代收费用 only: 51,809.60 pays the three fees (51,789.60), the 20 left kept as an advance payment
    response = _post(client, url, {"amount": "51809.60", "method": "cash", "mode": "auto", "group": "fees",
                                   "advance": "1"}, url)
    assert response.status_code == 302
    assert all(r.outstanding == 0 for r in fee_rows(deal.id)) and price_rows(deal.id)[0].received == 0
    receipt = db.session.query(Receipt).filter_by(deal_id=deal.id).order_by(Receipt.id.desc()).first()
    assert receipt.unallocated == D("20.00")
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    fees = html.split("loupan-receivables-fees")[1].split("</table>")[0]
    assert "¥0.00" in fees.split("loupan-subtotal")[1]
    assert "¥20.00" in html.split("loupan-advance-total")[1][:60]
    assert fee.id and first.id


def test_void_and_reissue_from_the_receipt_page(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    with as_user(app, "finance"):
        one = receipts.receive(deal, "50000", "transfer", reference="TX1")
        two = receipts.receive(deal, "3000", "cash")
    login(client, "finance")
    page = "/finance/receipts/%d" % one.id
    code, html = _page(client, page)
    assert code == 200 and one.number in html and "¥50,000.00" in html and "定金" in html
    # refused: no reason; nothing changes, the form comes back
    response = _post(client, page + "/void", {"reason": "", "action": "void"}, page)
    assert response.status_code == 422 and re.search(r"why|原因", response.get_data(as_text=True))
    assert db.session.get(Receipt, one.id).status == "valid"
    response = _post(client, page + "/void", {"reason": "重复收款", "action": "void"}, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Receipt, one.id).status == "void"
    # the deposit is owed again; the later 3,000 still pays the 首期款
    assert price_rows(deal.id)[0].received == 0 and price_rows(deal.id)[1].received == D("3000.00")
    page2 = "/finance/receipts/%d" % two.id
    response = _post(client, page2 + "/reissue", {"reason": "付款人写错", "payer": "王五", "method": "cash",
                                                  "paid_on": two.paid_on.isoformat(), "reference": "",
                                                  "action": "reissue"}, page2)
    assert response.status_code == 302
    new = db.session.query(Receipt).filter_by(reissue_of_id=two.id).one()
    assert new.payer == "王五" and new.seq == two.seq + 1 and new.amount == D("3000.00")
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    assert re.search(r"replaces No\. %s|换发自 %s|替换 %s" % ((re.escape(two.number),) * 3), html) or two.number in html
    assert "重复收款" in html and "付款人写错" in html
    code, html = _page(client, "/finance/receipts/%d" % new.id)
    assert two.number in html
    # a void receipt cannot be voided again
    response = _post(client, page + "/void", {"reason": "again"}, "/finance/receipts/%d" % new.id)
    assert response.status_code == 422 and re.search(r"only a valid|有效", response.get_data(as_text=True))
    assert db.session.get(Receipt, one.id).status == "void"


def test_who_may_see_and_do_what(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    with as_user(app, "finance"):
        receipt = receipts.receive(deal, "1000", "cash")
    before = counts()
    # the salesperson of the deal: read only
    login(client, "sales")
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    assert code == 200 and receipt.number in html
    assert "/finance/deals/%d/receive" % deal.id not in html and "/print" not in html
    assert client.get("/finance/deals/%d/receive" % deal.id).status_code in (302, 403)
    assert client.get("/finance/receipts/").status_code in (302, 403)
    code, html = _page(client, "/sales/deals/%d" % deal.id)
    assert "/finance/deals/%d" % deal.id in html  # the 房款 button
    client.get("/logout/")
    # another salesperson: the sales refusal; unknown: 404
    login(client, "sales2")
    response = client.get("/finance/deals/%d" % deal.id)
    assert response.status_code == 302 and "/sales/deals" in response.headers["Location"]
    assert client.get("/finance/deals/999999").status_code == 404
    assert client.get("/finance/deals/abc").status_code == 404
    client.get("/logout/")
    login(client, "manager")
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    assert code == 200 and "/finance/deals/%d/receive" % deal.id not in html
    assert client.post("/finance/receipts/%d/void" % receipt.id, data={"reason": "x"}).status_code in (302, 400, 403)
    assert counts() == before
    assert db.session.get(Receipt, receipt.id).status == "valid"
    client.get("/logout/")
    login(client, "finance")
    assert client.get("/finance/receipts/999999").status_code == 404
    assert client.get("/finance/receipts/999999/print").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries(app, ctx, client):
    small = signed(app, INSTALMENTS, n=0)
    big = signed(app, INSTALMENTS, n=1)
    with as_user(app, "finance"):
        receipts.receive(small, "100", "cash")
        for n in range(5):
            receipts.receive(big, "100", "cash" if n % 2 else "pos")
        last = receipts.receive(big, "100", "cash")
        receipts.void(last, "错")
        receipts.reissue(receipts.get_receipt(db.session.query(Receipt).filter_by(deal_id=big.id)
                                              .order_by(Receipt.id).first().id), "改")
    small_id, big_id, code = small.id, big.id, big.room.code
    login(client, "finance")
    client.get("/finance/deals/%d" % small_id)
    db.session.expunge_all()
    with QueryCounter(db.engine) as few:
        assert client.get("/finance/deals/%d" % small_id).status_code == 200
    db.session.expunge_all()
    with QueryCounter(db.engine) as many:
        html = client.get("/finance/deals/%d" % big_id).get_data(as_text=True)
    assert html.count("data-receipt=") == 7
    assert many.count == few.count
    for url in ("/finance/receipts/", "/finance/receivables/"):
        db.session.expunge_all()
        with QueryCounter(db.engine) as listed:
            assert client.get(url).status_code == 200
        db.session.expunge_all()
        with QueryCounter(db.engine) as again:
            assert client.get(url + "?q=" + code).status_code == 200
        assert listed.count == again.count


def test_the_lists_filter_page_and_export(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    other = signed(app, INSTALMENTS, n=1)
    with as_user(app, "finance"):
        a = receipts.receive(deal, "1000", "cash")
        b = receipts.receive(other, "2000", "wechat")
        receipts.void(b, "错")
    login(client, "finance")
    code, html = _page(client, "/finance/receipts/?q=" + deal.room.code)
    assert code == 200 and a.number in html and b.number not in html
    assert "/finance/receivables/" in html  # both lists in the 财务 menu
    code, html = _page(client, "/finance/receipts/?status=void")
    assert b.number in html and a.number not in html
    code, html = _page(client, "/finance/receipts/?method=wechat")
    assert b.number in html and a.number not in html
    code, html = _page(client, "/finance/receipts/?start=2000-01-01&end=2000-12-31")
    assert a.number not in html
    code, html = _page(client, "/finance/receipts/?page=abc&project=x&start=bad")
    assert code == 200 and a.number in html
    response = client.get("/finance/receipts/export?q=" + deal.room.code)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    from openpyxl import load_workbook
    import io
    sheet = load_workbook(io.BytesIO(response.data)).active
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [a.number]
    code, html = _page(client, "/finance/receivables/?group=fees&q=" + deal.room.code)
    assert code == 200 and "产权登记费" in html and "二期款" not in html
    code, html = _page(client, "/finance/receivables/?group=price&q=" + deal.room.code)
    assert "二期款" in html and "产权登记费" not in html and yuan(schedule(deal.total)[2]) in html
    code, html = _page(client, "/finance/receivables/?overdue=1&q=" + deal.room.code)
    assert "二期款" not in html  # due in 90 days
    assert len(receivables_of(deal.id)) == 7


def test_refunds_adjustments_dunning_and_mortgage_are_shown_and_linked(app, ctx, client):
    import datetime as dt

    from app.core.models.base import utcnow
    from app.finance.models import Adjustment, DunningAction, MortgageCase, Refund
    deal = signed(app, "商业按揭 首付30%", n=0)
    loan = [r for r in price_rows(deal.id) if r.kind == "loan"]
    assert loan
    login(client, "finance")
    code, html = _page(client, "/finance/deals/%d" % deal.id)
    opened = db.session.query(MortgageCase).filter_by(deal_id=deal.id).one_or_none()  # the mortgage part may open it
    if opened is None:
        assert "/finance/mortgages/open/%d" % deal.id in html
    else:
        assert "/finance/mortgages/%d" % opened.id in html
    db.session.expunge_all()
    with QueryCounter(db.engine) as empty:
        client.get("/finance/deals/%d" % deal.id)
    deal = db.session.get(type(deal), deal.id)
    first = price_rows(deal.id)[0]
    now = utcnow()
    db.session.add_all([
        Refund(project_id=deal.project_id, deal_id=deal.id, seq=999, number="GZ-YJ-TK-000999", kind="overpayment",
               amount=D("1234.50"), status="pending", created_at=now, due_date=dt.date(2027, 1, 5)),
        Adjustment(deal_id=deal.id, receivable_id=first.id, amount=D("-500.00"), reason="优惠补差", status="pending",
                   created_at=now),
        DunningAction(project_id=deal.project_id, deal_id=deal.id, at=now, method="phone", overdue=D("50000.00"),
                      result="客户承诺周五付款"),
    ])
    if opened is None:
        db.session.add(MortgageCase(project_id=deal.project_id, deal_id=deal.id, kind="commercial", stage="submitted",
                                    stage_since=dt.date(2026, 11, 20), commercial_amount=loan[0].amount,
                                    provident_amount=0, created_at=now))
    db.session.commit()
    case_id = db.session.query(MortgageCase.id).filter_by(deal_id=deal.id).scalar()
    db.session.expunge_all()
    with QueryCounter(db.engine) as full:
        code, html = _page(client, "/finance/deals/%d" % deal.id)
    assert code == 200
    assert "GZ-YJ-TK-000999" in html and "¥1,234.50" in html and "/finance/refunds/" in html
    assert "优惠补差" in html and "¥-500.00" in html
    assert "客户承诺周五付款" in html and "/finance/arrears/deal/%d" % deal.id in html
    assert "/finance/mortgages/%d" % case_id in html and yuan(loan[0].amount) in html.split("loupan-mortgage")[1]
    assert full.count == empty.count
