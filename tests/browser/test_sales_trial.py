"""The price trial in the browser: 林晓燕 (sales) takes a demo room, compares three payment
options for 王先生, prints the simulated payment plan, and asks for a discount beyond her
authority, which her supervisor 陈志明 (manager) approves in his inbox.
Screenshots: tests/artifacts/trial-*.png."""
import subprocess

from app.core.models import ApprovalRequest
from app.extensions import db
from tests.browser.conftest import ARTIFACTS, login_as, shot
from tests.inventory.helpers import room

ROOM = "1栋-1单元-1001"
PLANS = ("一次性付款", "商业按揭 首付30%", "组合贷款 首付30%")
DISCOUNTS = ("开盘优惠99折", "认购立减2万", "员工价95折")


def test_compare_print_and_discount_approval(browser, base_url, app):
    with app.app_context():
        room_id = room(ROOM).id

    sales = browser.new_context(base_url=base_url, locale="zh-CN")
    page = sales.new_page()
    login_as(page, "sales")
    page.goto("/roomview/show/%d" % room_id)
    with page.expect_navigation():
        page.click("a[href*='/sales/trial/?room=%d']" % room_id)
    for box in page.locator("input[name=plan]").all():
        box.uncheck()
    for name in PLANS:
        page.locator("label.checkbox-inline", has_text=name).first.locator("input[name=plan]").check()
    page.fill("input#customer", "王先生")
    with page.expect_navigation():
        page.click("button.loupan-trial-compare")
    assert not page.locator(".alert-danger").count(), page.inner_text(".alert-danger")
    table = page.inner_text("body")
    for name in PLANS:
        assert name in table
    assert page.locator("tr.loupan-trial-loan").count() >= 3  # commercial, and both parts of the combined loan
    shot(page, "trial-1-three-options")

    # The simulated payment plan prints in Chinese, with the customer's name.
    href = page.get_attribute("a.loupan-trial-print", "href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "trial-plan.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "模拟付款计划表" in text and "王先生" in text and ROOM in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "trial-plan")],
                   check=True)

    # Discounts beyond her authority (置业顾问: 3%) go to the supervisor.
    for name in DISCOUNTS:
        box = page.locator("label.checkbox-inline", has_text=name).first.locator("input[name=discount]")
        box.check()
    with page.expect_navigation():
        page.click("button.loupan-trial-compare")
    authority = page.locator("td.loupan-trial-authority").first
    assert "提交审批" in authority.inner_text()
    shot(page, "trial-2-beyond-authority")
    authority.locator("textarea[name=reason]").fill("客户老带新且一次性付款，申请额外折扣")
    with page.expect_navigation():
        authority.locator("button[type=submit]").click()
    assert "/approvals/show/" in page.url
    request_url = page.url
    with app.app_context():
        pending = db.session.query(ApprovalRequest).filter_by(kind="discount", status="pending").count()
    assert pending == 1

    manager = browser.new_context(base_url=base_url, locale="zh-CN")
    boss = manager.new_page()
    login_as(boss, "manager")
    boss.goto("/approvals/inbox/")
    assert ROOM in boss.inner_text("body")
    shot(boss, "trial-3-manager-inbox")
    boss.goto(request_url)
    body = boss.inner_text("body")
    assert "开盘优惠99折" in body and "林晓燕" in body
    shot(boss, "trial-4-manager-request")
    with boss.expect_navigation():
        boss.click("button:has-text('批准')")
    assert boss.locator(".alert-success").count()
    manager.close()

    page.goto(request_url)
    assert "已批准" in page.inner_text("body")
    shot(page, "trial-5-approved")
    sales.close()
