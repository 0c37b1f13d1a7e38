"""The deal's prints: the subscription letter (认购书) and the contract summary (合同摘要) carry the
deal's figures, in Chinese, with the buyers' ID numbers masked for users who may not see them,
and each print is on the deal's timeline."""
import shutil
import subprocess

import pytest

from app.core import clock
from app.printing.services import amount_in_words
from app.sales.services import deal_print, deals
from tests.conftest import login
from tests.sales.deal_helpers import available_rooms, customers_of, events, plan
from tests.sales.test_deal_pages import as_user


def _text(pdf, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()


def _deal(app, sign=False):
    room = available_rooms()[0]
    first, second = customers_of("E1003", 2)
    with as_user(app, "sales"):
        deal = deals.subscribe(room, [(first, "70"), (second, "30")], plan("一次性付款"))
        if sign:
            deals.sign(deal, filing_no="440101-2026-000555", filed_on=clock.local_today())
    return deal


def test_subscription_letter_has_the_figures(app, ctx, client, tmp_path):
    deal = _deal(app)
    first = deal.buyers[0].customer
    login(client, "sales")
    response = client.get("/sales/deals/%d/print/subscription_letter" % deal.id)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data, tmp_path)
    for expected in ("商品房认购书", deal.subscription_no, deal.room.code, first.name, "70.00%", "30.00%",
                     "¥{:,.2f}".format(deal.total), "¥{:,.2f}".format(deal.deposit), deal.sign_by.isoformat()[:4],
                     amount_in_words(deal.total)[:6], deal.project.developer.name):
        assert expected in text, expected
    if first.id_number:
        assert first.id_number not in text  # a salesperson sees ID numbers masked
    assert events(deal.id)[-1] == "print"
    # Not signed yet: no contract summary.
    response = client.get("/sales/deals/%d/print/contract_summary" % deal.id)
    assert response.status_code == 302 and events(deal.id)[-1] == "print"


def test_contract_summary_has_the_contract(app, ctx, client, tmp_path):
    deal = _deal(app, sign=True)
    login(client, "sales")
    html = client.get("/sales/deals/%d" % deal.id).get_data(as_text=True)
    assert "/sales/deals/%d/print/contract_summary" % deal.id in html
    response = client.get("/sales/deals/%d/print/contract_summary" % deal.id)
    assert response.status_code == 200
    text = _text(response.data, tmp_path)
    for expected in ("合同摘要", deal.contract_no, "440101-2026-000555", deal.room.code,
                     "¥{:,.2f}".format(deal.total), deal.buyers[1].customer.name):
        assert expected in text, expected


def test_another_salesperson_cannot_print_it(app, ctx, client):
    deal = _deal(app)
    login(client, "sales2")
    before = events(deal.id)
    response = client.get("/sales/deals/%d/print/subscription_letter" % deal.id)
    assert response.status_code == 302 and events(deal.id) == before
    with as_user(app, "sales2"):
        assert deal_print.record_context(deal.id) is None


def test_sample_contexts_render(app, ctx):
    from app.printing import services as printing
    for kind in deal_print.KINDS:
        template = printing.choose_template(kind)
        full = printing.common_context("测试")
        full.update(deal_print.sample_context())
        assert printing.render_pdf(template, full)[:4] == b"%PDF"
