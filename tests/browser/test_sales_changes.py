"""Room change (换房) and cancellation (退房) in the browser: 林晓燕 (sales) asks to move one
subscribed deal to another room — previewing the price difference first — and to cancel
another; her supervisor 陈志明 (manager) approves both on the approvals pages; the rooms' pages
then show the new statuses. Screenshots: tests/artifacts/changes-*.png."""
from app.core.models import ApprovalRequest
from app.extensions import db
from app.sales.services import deals
from tests.browser.conftest import login_as, shot
from tests.sales.deal_helpers import as_user, available_rooms, customers_of, plan, status


def _room_status_text(page, room_id):
    page.goto("/roomview/show/%d" % room_id)
    return page.inner_text("body")


def test_room_change_and_cancellation_approved_by_the_manager(browser, base_url, app):
    with app.app_context():
        first, second, target = available_rooms(3)
        customer_a, customer_b = customers_of("E1003", 2)
        with as_user(app, "sales"):
            moving = deals.subscribe(first, [(customer_a, None)], plan("一次性付款"))
            ending = deals.subscribe(second, [(customer_b, None)], plan("一次性付款"))
        ids = {"moving": moving.id, "ending": ending.id, "first": first.id, "second": second.id,
               "target": target.id, "target_code": target.code, "first_code": first.code}
        names = deals._status_names()  # as admins named them (认购, 待售)
        db.session.remove()

    sales = browser.new_context(base_url=base_url, locale="zh-CN")
    page = sales.new_page()
    login_as(page, "sales")

    # 换房: choose the room, preview the price difference, then ask.
    page.goto("/sales/deal_changes/%d/change_room" % ids["moving"])
    page.select_option("select#room", str(ids["target"]))
    with page.expect_navigation():
        page.click("button.loupan-preview")
    assert not page.locator(".alert-danger").count(), page.inner_text(".alert-danger")
    preview = page.inner_text("table.loupan-room-preview")
    assert ids["target_code"] in preview and "¥" in page.inner_text("td.loupan-price-difference")
    shot(page, "changes-1-room-preview")
    page.fill("textarea#note", "客户希望换到高层")
    with page.expect_navigation():
        page.click("button.loupan-submit")
    assert page.locator(".alert-success").count()
    assert page.locator(".loupan-change-pending").count() == 1
    shot(page, "changes-2-room-pending")

    # 更名 is the third form of the deal (looked at, not sent here).
    page.goto("/sales/deal_changes/%d/rename" % ids["ending"])
    shot(page, "changes-0-rename-form")
    assert page.locator("form.loupan-rename-form select[name=customer]").count() == 5

    # 退房: a reason from the list, the refund (at most what was paid).
    page.goto("/sales/deal_changes/%d/cancel" % ids["ending"])
    page.select_option("select#reason", index=1)
    page.fill("input#refund", "999999999")
    with page.expect_navigation():
        page.click("form.loupan-cancel-form button[type=submit]")
    assert page.locator(".alert-danger").count() and page.input_value("input#refund") == "999999999"
    shot(page, "changes-3-cancel-refused")
    page.fill("input#refund", "10000")
    with page.expect_navigation():
        page.click("form.loupan-cancel-form button[type=submit]")
    assert page.locator(".loupan-change-pending").count() == 1
    shot(page, "changes-4-cancel-pending")
    sales.close()

    with app.app_context():
        requests = {r.kind: r.id for r in db.session.query(ApprovalRequest).filter(
            ApprovalRequest.status == "pending", ApprovalRequest.target_table == "deal")}
        db.session.remove()
    assert set(requests) == {"deal_room_change", "deal_cancel"}

    manager = browser.new_context(base_url=base_url, locale="zh-CN")
    boss = manager.new_page()
    login_as(boss, "manager")
    boss.goto("/approvals/inbox/")
    assert ids["target_code"] in boss.inner_text("body")
    shot(boss, "changes-5-manager-inbox")
    for kind in ("deal_room_change", "deal_cancel"):
        boss.goto("/approvals/show/%d" % requests[kind])
        body = boss.inner_text("body")
        assert "林晓燕" in body
        assert boss.locator("a[href='/sales/deals/%d']" % (ids["moving"] if kind == "deal_room_change"
                                                           else ids["ending"])).count()
        shot(boss, "changes-6-approve-%s" % kind)
        with boss.expect_navigation():
            boss.click("form.loupan-approve button[type=submit]")
        assert boss.locator(".alert-success").count(), boss.inner_text("body")[:500]

    # The rooms' pages show where the deals are now.
    assert names["subscribed"] in _room_status_text(boss, ids["target"])
    shot(boss, "changes-7-target-room-subscribed")
    for room_id in (ids["first"], ids["second"]):
        assert names["available"] in _room_status_text(boss, room_id)
    shot(boss, "changes-8-old-room-available")
    manager.close()
    with app.app_context():
        assert status(ids["first"]) == status(ids["second"]) == "available"
        assert status(ids["target"]) == "subscribed"
        db.session.remove()
