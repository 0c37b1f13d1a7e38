"""The printed receipt (收款收据): the amount in figures and Chinese capitals, what it pays, the
cashier; 作废 on a void receipt; a reissued one names the receipt it replaces."""
import io
import re

from app.core.errors import BusinessError
from app.finance.services import receipt_print, receipts
from app.printing import services as printing
from tests.conftest import login
from tests.finance.helpers import D, as_user, signed

INSTALMENTS = "分期付款"


def _text(pdf):
    from pypdf import PdfReader
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_amount_in_words():
    assert printing.amount_in_words(D("123456.78")) == "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"
    assert printing.amount_in_words(D("50000.00")) == "伍万元整"


def test_the_receipt_context_and_pdf(app, ctx):
    deal = signed(app, INSTALMENTS, n=0)
    with as_user(app, "finance"):
        receipt = receipts.receive(deal, "123456.78", "transfer", reference="TX-9", payer="王小明")
        data = receipt_print.context(receipt)
        pdf = receipt_print.render(receipt, printed_by="黄丽萍")
    assert data["receipt"]["number"] == receipt.number and data["receipt"]["method"] in ("Bank transfer", "银行转账")
    assert data["receipt"]["cashier"] == "黄丽萍" and data["room"]["code"] == deal.room.code
    # oldest first: 50,000 pays the 定金, 73,456.78 the 首期款
    assert [(i["label"], i["amount"]) for i in data["items"]] == [("定金", D("50000.00")),
                                                                  ("首期款（扣除定金）", D("73456.78"))]
    assert pdf[:4] == b"%PDF"
    text = _text(pdf)
    for words in ("收款收据", receipt.number, "王小明", "¥123,456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分", "TX-9", "黄丽萍",
                  deal.room.code):
        assert words in text.replace("\n", ""), words
    assert "作废" not in text


def test_void_and_reissued_receipts_print_so(app, ctx):
    deal = signed(app, INSTALMENTS, n=0)
    with as_user(app, "finance"):
        one = receipts.receive(deal, "1000", "cash")
        two = receipts.receive(deal, "2000", "cash")
        receipts.void(one, "重复收款")
        new = receipts.reissue(two, "付款人写错", payer="李四")
        void_text = _text(receipt_print.render(one))
        new_text = _text(receipt_print.render(new))
        old_text = _text(receipt_print.render(receipts.get_receipt(two.id)))
    assert "作废" in void_text and "重复收款" in void_text
    assert two.number in new_text and "李四" in new_text and "作废" not in new_text
    assert "作废" in old_text and new.number in old_text


def test_the_print_url(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    with as_user(app, "finance"):
        receipt = receipts.receive(deal, "50000", "pos")
    login(client, "finance")
    response = client.get("/finance/receipts/%d/print" % receipt.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"].startswith("no-store")
    assert "伍万元整" in _text(response.data)
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/finance/receipts/%d/print" % receipt.id).status_code in (302, 403)


def test_sample_renders_and_the_kind_is_registered(app, ctx):
    kind = printing.get_kind("receipt")
    assert kind is not None and kind.record_context is not None
    template = printing.choose_template("receipt")
    pdf = printing.preview(template, printed_by="测试")
    assert "壹拾贰万叁仟肆佰伍拾陆元柒角捌分" in _text(pdf)
    assert receipt_print.record_context(999999) is None
    try:
        receipts.get_receipt("x")
    except BusinessError as e:
        assert re.search(r"no such receipt|没有", str(e)) or str(e)
