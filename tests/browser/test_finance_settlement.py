"""Area settlement (面积补差) in the browser: 黄丽萍 (finance) downloads the building's template,
uploads a file with a wrong row (refused whole), then the surveyed areas of three rooms with signed
deals, sees the amounts and submits; 陈志明 (manager) approves on the approvals pages; the notices
print. Screenshots: tests/artifacts/settlement-*.png (and the notices' first page)."""
import subprocess

from app.extensions import db
from app.finance.models import AreaSurvey, Receivable, Refund
from tests.browser.conftest import ARTIFACTS, login_as, shot
from tests.finance.helpers import D, signed


def _csv(rows):
    return ("房号,实测建筑面积,实测套内面积\n" + "\n".join(",".join(r) for r in rows)).encode("utf-8")


def test_finance_uploads_surveyed_areas_and_the_manager_approves(browser, base_url, app):
    with app.app_context():
        deals = [signed(app, n=i) for i in range(3)]
        for d in deals:
            d.room.area_gross, d.room.area_inner = D("100.00"), D("80.00")
            d.total = D("2000000.00")
        db.session.commit()
        building = deals[0].room.building
        ids = {"project": deals[0].project_id, "building": building.id, "codes": [d.room.code for d in deals],
               "deals": [d.id for d in deals]}
        db.session.remove()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    finance = browser.new_context(base_url=base_url, locale="zh-CN", accept_downloads=True)
    page = finance.new_page()
    login_as(page, "finance")
    page.goto("/finance/settlements/")
    shot(page, "settlement-1-list-empty")
    with page.expect_navigation():
        page.click("a.loupan-settlement-new")
    page.select_option("select#project", str(ids["project"]))
    page.select_option("select#building", str(ids["building"]))
    with page.expect_download() as download:
        page.click("a.loupan-settlement-template")
    template = ARTIFACTS / "settlement-template.xlsx"
    download.value.save_as(str(template))
    assert template.stat().st_size > 1000
    shot(page, "settlement-2-upload-form")

    # A file with an unknown room is refused whole, with the row named.
    bad = ARTIFACTS / "settlement-bad.csv"
    bad.write_bytes(_csv([(ids["codes"][0], "102.00", ""), ("9栋-9单元-9999", "100", "")]))
    page.set_input_files("#file", str(bad))
    with page.expect_navigation():
        page.click("form.loupan-settlement-upload button[type=submit]")
    message = page.inner_text(".alert-danger")
    assert "9栋-9单元-9999" in message and ("第 3 行" in message or "row 3" in message)
    shot(page, "settlement-3-refused")
    with app.app_context():
        assert db.session.query(AreaSurvey).count() == 0
        db.session.remove()

    good = ARTIFACTS / "settlement-good.csv"
    good.write_bytes(_csv([(ids["codes"][0], "102.00", "81.60"), (ids["codes"][1], "104.00", "83.00"),
                           (ids["codes"][2], "95.00", "76.00")]))
    page.select_option("select#project", str(ids["project"]))
    page.select_option("select#building", str(ids["building"]))
    page.set_input_files("#file", str(good))
    with page.expect_navigation():
        page.click("form.loupan-settlement-upload button[type=submit]")
    assert page.locator(".alert-success").count(), page.inner_text("body")[:800]
    amounts = {page.get_attribute("tr.loupan-settlement-line >> nth=%d" % i, "data-room"):
               page.inner_text("tr.loupan-settlement-line >> nth=%d >> td.loupan-line-amount" % i) for i in range(3)}
    assert "+¥40,000.00" in amounts[ids["codes"][0]]
    assert "+¥60,000.00" in amounts[ids["codes"][1]]
    assert "-¥140,000.00" in amounts[ids["codes"][2]]
    assert page.inner_text(".loupan-total-pay") == "¥100,000.00"
    assert page.inner_text(".loupan-total-refund") == "¥140,000.00"
    body = page.inner_text("table.loupan-settlement-lines")
    assert "102.00㎡" in body and "+2.00%" in body and "-5.00%" in body
    shot(page, "settlement-4-survey")
    page.fill("form.loupan-settlement-submit input[name=reason]", "测绘报告已到")
    with page.expect_navigation():
        page.click("form.loupan-settlement-submit button[type=submit]")
    assert page.locator(".alert-success").count(), page.inner_text("body")[:800]
    shot(page, "settlement-5-submitted")
    survey_url = page.url
    finance.close()

    with app.app_context():
        survey = db.session.query(AreaSurvey).one()
        survey_id, request_id = survey.id, survey.request_id
        assert survey.status == "pending"
        db.session.remove()

    manager = browser.new_context(base_url=base_url, locale="zh-CN")
    boss = manager.new_page()
    login_as(boss, "manager")
    boss.goto("/approvals/show/%d" % request_id)
    body = boss.inner_text("body")
    assert "黄丽萍" in body and "100,000.00" in body and "140,000.00" in body
    assert boss.locator("a[href='/finance/settlements/%d']" % survey_id).count()
    shot(boss, "settlement-6-approval")
    with boss.expect_navigation():
        boss.click("form.loupan-approve button[type=submit]")
    assert boss.locator(".alert-success").count(), boss.inner_text("body")[:500]
    boss.goto(survey_url)
    assert boss.locator("form.loupan-settlement-submit").count() == 0
    shot(boss, "settlement-7-approved")

    # The notices of all lines as one PDF.
    response = boss.request.get("/finance/settlements/%d/print" % survey_id)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = ARTIFACTS / "settlement-notices.pdf"
    pdf.write_bytes(response.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(pdf),
                    str(ARTIFACTS / "settlement-8-notice")], check=True)
    manager.close()

    with app.app_context():
        area = db.session.query(Receivable).filter(Receivable.kind == "area").order_by(Receivable.deal_id).all()
        assert [(r.deal_id, r.amount) for r in area] == [(ids["deals"][0], D("40000.00")),
                                                          (ids["deals"][1], D("60000.00"))]
        refund = db.session.query(Refund).filter(Refund.kind == "area_settlement").one()
        assert (refund.deal_id, refund.amount, refund.status) == (ids["deals"][2], D("140000.00"), "approved")
        db.session.remove()
