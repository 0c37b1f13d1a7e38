"""Pricing in the browser: a manager adds a pricing factor (临街 ×1.02 on the rooms numbered …02),
previews the re-pricing of the top floors of 1栋 with the step-by-step computation, submits the
price adjustment; the admin approves it; the room shows its new price and its price history; the
price list prints. Screenshots: tests/artifacts/pricing-*.png."""
import subprocess

from tests.browser.conftest import login_as, shot
from tests.browser.test_paths import alerts, choose, new_page, no_errors, close


def ids(app):
    from app.extensions import db
    from app.inventory.models import Building, Project, Room
    with app.app_context():
        project = db.session.query(Project).filter_by(code="GZ-YJ").one()
        b1 = db.session.query(Building).filter_by(project_id=project.id, name="1栋").one()
        room = db.session.query(Room).filter_by(project_id=project.id, code="1栋-1单元-1002").one()
        return project.id, b1.id, room.id


def test_manager_reprices_admin_approves_and_the_price_list_prints(page, browser, base_url, app, tmp_path):
    project_id, building_id, room_id = ids(app)
    login_as(page, "manager")

    # The project page: its pricing factors and the buttons to re-price and print.
    page.goto("/projectview/show/%d" % project_id)
    no_errors(page)
    page.click(".nav-tabs a:has-text('定价系数')")
    assert "住宅基价" in page.inner_text("body")
    assert page.locator(".loupan-detail-links a[href*='/repricing/']").count() == 1
    shot(page, "pricing-project-page")

    # A new factor: 临街 ×1.02 for the rooms whose number ends in 02.
    page.goto("/pricefactorview/add")
    choose(page, "project", "云璟花园")
    choose(page, "kind", "其他系数")
    choose(page, "method", "系数")
    page.fill("input#name", "临街")
    page.fill("input#value", "1.02")
    page.fill("input#number_suffix", "02")
    shot(page, "pricing-factor-form")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    no_errors(page)
    page.goto("/pricefactorview/list/")
    assert "临街" in page.inner_text("body") and "×1.02" in page.inner_text("body")
    shot(page, "pricing-factor-list")

    # Re-price floors 9–10 of 1栋 from the factors: old and new prices, and how 1002 is computed.
    page.goto("/repricing/%d/" % project_id)
    page.check("input[name=building][value='%d']" % building_id)
    page.fill("input#floor_from", "9")
    page.fill("input#floor_to", "10")
    page.select_option("select#method", "factors")
    with page.expect_navigation():
        page.click("button.loupan-preview")
    no_errors(page)
    summary = page.inner_text(".loupan-reprice-summary")
    assert "共选 8 套" in summary and "2 套调整价格" in summary
    with page.expect_navigation():
        page.click("tr[data-room='1栋-1单元-1002'] a.loupan-explain-link")
    steps = page.inner_text(".loupan-explain")
    assert "1栋-1单元-1002 的价格计算过程" in steps and "临街" in steps and "×1.02" in steps
    assert "34,833.00" in steps and "3,117,554.00" in steps
    row = page.inner_text("tr[data-room='1栋-1单元-1002']")
    assert "¥34,150.00" in row and "¥34,833.00" in row and "¥3,117,554.00" in row
    shot(page, "pricing-reprice-preview")
    page.fill("input#title", "临街房源调价")
    page.fill("textarea#reason", "临街房源按新系数定价")
    with page.expect_navigation():
        page.click("button.loupan-submit-adjustment")
    no_errors(page)
    assert "已提交审批" in " ".join(alerts(page, "success"))
    body = page.inner_text("body")
    assert "临街房源调价" in body
    shot(page, "pricing-adjustment-submitted")
    approval_href = page.get_attribute(".loupan-detail-links a[href*='/approvals/show/']", "href")

    # The admin approves in the approvals page.
    admin = new_page(browser, base_url)
    try:
        login_as(admin, "admin")
        admin.goto(approval_href)
        assert "临街房源调价" in admin.inner_text("body")
        shot(admin, "pricing-approval")
        admin.fill("textarea#approve_comment", "同意")
        with admin.expect_navigation():
            admin.click("form.loupan-approve button[type=submit]")
        assert not admin.locator("[data-error-code]").count()
        shot(admin, "pricing-approval-approved")
    finally:
        close(admin)

    # The room shows its new prices and its history.
    page.goto("/roomview/show/%d" % room_id)
    no_errors(page)
    page.click(".nav-tabs a:has-text('价格历史')")
    body = page.inner_text("body")
    assert "¥34,833.00" in body and "¥3,117,554.00" in body and "临街房源调价" in body
    shot(page, "pricing-room-history")
    page.goto("/priceadjustmentview/list/")
    assert "临街房源调价" in page.inner_text("body")
    shot(page, "pricing-adjustment-list")

    # The price list of 1栋: PDF from the print template, and the Excel file.
    response = page.request.get("/printtemplateview/print/price_list/%d" % building_id)
    assert response.status == 200 and response.headers["content-type"].startswith("application/pdf")
    pdf = tmp_path / "price-list.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "一房一价表" in text and "3,117,554" in text and "¥" not in text  # rounded to the yuan
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(shot.__globals__["ARTIFACTS"] / "pricing-price-list-after")], check=True)
    excel = page.request.get("/pricelist/%d.xlsx" % project_id)
    assert excel.status == 200 and excel.body()[:2] == b"PK"
