"""Arrears and dunning in the browser: an overdue buyer gets a late fee from the daily job, appears
in the arrears list, finance (黄丽萍) prints the dunning notice (PDF, looked at through pdftoppm)
and logs a phone call with a promised date. Screenshots: tests/artifacts/arrears-*.png."""
import datetime as dt
import shutil
import subprocess

from app.core import clock
from app.extensions import db
from app.finance.services import late_fees
from app.jobs.services import registry
from tests.browser.conftest import ARTIFACTS, login_as, shot
from tests.finance.helpers import D, receivables_of, signed


def test_overdue_buyer_late_fee_notice_and_phone_call(page, app, base_url):
    today = clock.local_today()
    with app.app_context():
        deal = signed(app, n=7)
        rows = receivables_of(deal.id)
        for r in rows:
            r.due_date = today + dt.timedelta(days=90)
        target = [r for r in rows if not r.collected_for_others][0]
        target.amount, target.due_date = D("100000.00"), today - dt.timedelta(days=10)
        db.session.commit()
        registry.get_job("finance_late_fees").func()  # the daily job
        fee = [r for r in receivables_of(deal.id) if r.kind == "late_fee"]
        assert [f.amount for f in fee] == [D("500.00")]
        ids = {"deal": deal.id, "room": deal.room.code}
        db.session.remove()

    login_as(page, "finance")
    page.goto("/finance/arrears/?sort=days")
    row = page.locator("tr.loupan-arrears-row[data-deal='%d']" % ids["deal"])
    assert row.count() == 1
    text = row.inner_text()
    assert ids["room"] in text and "¥100,000.00" in text and "¥500.00" in text and "¥100,500.00" in text
    shot(page, "arrears-1-list")

    # Select the row and print its dunning notice (the form's own fields, posted as the button would).
    row.locator("input[name=deal]").check()
    token = page.get_attribute("form.loupan-arrears-form input[name=csrf_token]", "value")
    response = page.request.post(base_url + "/finance/arrears/act",
                                 form={"csrf_token": token, "action": "print", "deal": str(ids["deal"])})
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "arrears-notice.pdf"
    pdf.write_bytes(response.body())
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "arrears-notice")], check=True)
    if shutil.which("pdftotext"):
        words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "催款通知书" in words and "¥100,500.00" in words and "壹拾万零伍佰元整" in words

    # The deal's dunning page: the notice is logged; record a phone call with a promised date.
    page.goto("/finance/arrears/")
    with page.expect_navigation():
        page.locator("tr.loupan-arrears-row[data-deal='%d'] a.loupan-dunning-link" % ids["deal"]).click()
    history = page.inner_text("table.loupan-dunning-history")
    assert "催款通知书" in history and "¥100,500.00" in history
    promised = (today + dt.timedelta(days=5)).isoformat()
    page.select_option("select#d-method", "phone")
    page.fill("textarea#d-result", "客户承诺五天内付清")
    page.fill("input#d-promised", (today - dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.click("button.loupan-dunning-save")
    assert page.locator(".alert-danger").count()  # a promise before the call is refused
    assert page.input_value("textarea#d-result") == "客户承诺五天内付清"
    page.fill("input#d-promised", promised)
    with page.expect_navigation():
        page.click("button.loupan-dunning-save")
    assert page.locator(".alert-success").count()
    history = page.inner_text("table.loupan-dunning-history")
    assert "电话催款" in history and promised in history and "客户承诺五天内付清" in history
    shot(page, "arrears-2-dunning")

    page.goto("/finance/arrears/")
    text = page.locator("tr.loupan-arrears-row[data-deal='%d']" % ids["deal"]).inner_text()
    assert "电话催款" in text and promised in text
    shot(page, "arrears-3-list-after")

    page.goto("/finance/settings/list/")
    shot(page, "arrears-4-settings")
